"""Languages of the web pages: gettext catalogues (Babel), chosen per request, and locale formats.

The catalogues are the `.po` files under `locale/`, compiled in memory when the app starts (no
build step, no `.mo` files to keep in step). A request's language is the `lang` cookie set by the
language switch, else the best match of the browser's Accept-Language, else English. Dates and
numbers are formatted with Babel for that locale.
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import io
import pathlib

from babel import Locale
from babel.dates import format_date, format_time, get_datetime_format, get_timezone
from babel.numbers import format_decimal

LOCALE_DIR = pathlib.Path(__file__).resolve().parent / "locale"
DEFAULT = "en"
LANGUAGES = {"en": "English", "ru": "Русский"}
#: The locale whose formats each language's pages use: English pages write day, month, year and a
#: 24-hour clock ("Monday, 4 October 2027, 08:00"), as the letters do, not the US order.
FORMAT_LOCALES = {"en": "en_GB", "ru": "ru_RU"}


@functools.cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalogue of `language` (NullTranslations for English and unknown languages)."""
    po = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == DEFAULT or not po.is_file():
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The language for a request: the switch's cookie, else Accept-Language, else English."""
    if cookie in LANGUAGES:
        return cookie
    if accept_language:
        wanted = []
        for part in accept_language.split(",")[:20]:
            tag, _, params = part.strip().partition(";")
            q = 1.0
            if params.strip().startswith("q="):
                try:
                    q = float(params.strip()[2:])
                except ValueError:
                    q = 0.0
            if tag:
                wanted.append((q, tag.strip().replace("_", "-")))
        for _, tag in sorted(wanted, key=lambda item: -item[0]):
            base = tag.split("-")[0].lower()
            if base in LANGUAGES:
                return base
    return DEFAULT


class Formats:
    """Locale-aware formatting for templates: dates, times, instants and numbers."""

    def __init__(self, language: str, timezone: str = "UTC") -> None:
        self.language = language
        self.locale = Locale.parse(FORMAT_LOCALES.get(language, language))
        self.timezone = get_timezone(timezone)

    def date(self, value: dt.date | None, form: str = "long") -> str:
        return "" if value is None else format_date(value, format=form, locale=self.locale)

    def time(self, value: dt.time | None) -> str:
        return "" if value is None else format_time(value, format="short", locale=self.locale)

    def at(self, day: dt.date | None, start: dt.time | None) -> str:
        """A day and a time of day: "Monday, 4 October 2027, 08:00" (the letter's words for an appointment)."""
        if day is None:
            return ""
        return self._join(self.date(day, "full"), self.time(start)) if start is not None else self.date(day, "full")

    def instant(self, value: dt.datetime | str | None) -> str:
        """An instant in the site's time zone: "4 October 2027, 08:00"."""
        if value is None:
            return ""
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        local = value.astimezone(self.timezone)
        return self._join(format_date(local.date(), format="long", locale=self.locale),
                          format_time(local.time(), format="short", locale=self.locale))

    def span(self, first: dt.datetime, last: dt.datetime) -> tuple[str, str]:
        """Two instants for "from ... to ...": the second as a time of day alone when it falls on the first's day."""
        a, b = (v if v.tzinfo else v.replace(tzinfo=dt.UTC) for v in (first, last))
        same_day = a.astimezone(self.timezone).date() == b.astimezone(self.timezone).date()
        later = format_time(b.astimezone(self.timezone).time(), format="short", locale=self.locale) if same_day else self.instant(b)
        return self.instant(a), later

    def _join(self, date_text: str, time_text: str) -> str:
        return str(get_datetime_format("medium", locale=self.locale)).replace("{1}", date_text).replace("{0}", time_text)

    def number(self, value: int | float | None) -> str:
        return "" if value is None else format_decimal(value, locale=self.locale)


@functools.lru_cache(maxsize=64)
def formats(language: str, timezone: str = "UTC") -> Formats:
    """The formatting of `language` in `timezone`, made once per worker (parsing the locale costs more than a page's dates)."""
    return Formats(language, timezone)
