"""Wording of the summons letter: per-language templates.

One TOML file per language (`templates/<language>.toml`, see `en.toml` for the keys): the
sender, date and number formats, and every text of the letter. `load_templates(directory)`
takes the templates shipped with callup and adds or replaces languages from a country's own
directory, so a country changes wording without code; `template_for` picks a letter's
template by its language, falling back to the default. Placeholders in braces are filled per
letter, and each key accepts only its own (a typo is an error when the file is loaded).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import pathlib
import string
import tomllib
from collections.abc import Mapping

from callup.errors import InputError

TEMPLATES = pathlib.Path(__file__).resolve().parent / "templates"
DEFAULT_LANGUAGE = "en"


FORMAT_KEYS = {"months": None, "weekdays": None, "date": {"day", "month", "year"},
               "long_date": {"weekday", "day", "month", "year"}, "time": {"start", "end"}, "thousands": set()}
SENDER_KEYS = ("authority", "agency", "return_address", "portal", "footer")
TEXT_PLACEHOLDERS = {
    "subject": {"campaign", "region", "region_name"},
    "salutation": {"name"},
    "portal": {"portal"},
    "legal_basis": {"legal_basis", "policy_version"},
    "deadline_apply": {"date"},
    "deadline_appeal": {"date"},
}
TEXT_KEYS = (
    "info_reference", "info_date", "info_campaign", "info_region", "info_rank", "info_pseudonym",
    "title", "subject", "salutation", "intro",
    "appointment_heading", "appointment_date", "appointment_time", "appointment_office", "appointment_bring",
    "rights_heading", "deferral_heading", "deferral", "exemption_heading", "exemption", "alternative_heading", "alternative", "appeal_heading", "appeal",
    "deadline_apply", "deadline_appeal", "portal_heading", "portal", "code_label", "qr_caption", "legal_basis",
)


@dataclasses.dataclass(frozen=True)
class Template:
    """The wording and formats of the letter in one language (see `templates/en.toml`)."""

    language: str
    name: str
    months: tuple[str, ...]
    weekdays: tuple[str, ...]
    formats: Mapping[str, str]
    sender: Mapping[str, str]  # but the footer
    text: Mapping[str, str]
    source: str
    footer: tuple[str, ...] = ()  # the sender's footer lines

    def __hash__(self) -> int:
        return hash((self.language, self.source))

    def date(self, day: dt.date, *, long: bool = False) -> str:
        """`day` in this language's (long) date format."""
        return self.formats["long_date" if long else "date"].format(
            day=day.day, month=self.months[day.month - 1], year=day.year, weekday=self.weekdays[day.weekday()])

    def time(self, start: dt.time, end: dt.time) -> str:
        return self.formats["time"].format(start=f"{start:%H:%M}", end=f"{end:%H:%M}")

    def number(self, value: int) -> str:
        return f"{value:,}".replace(",", self.formats["thousands"])


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def parse_template(data: Mapping, *, source: str) -> Template:
    """A template from the parsed TOML `data`. Raises `InputError` naming `source` and the key
    for a missing or unknown key, a wrong type, or a placeholder the key does not accept."""
    def fail(key: str, problem: str) -> InputError:
        return InputError(f"{source}: {key}: {problem}")

    def section(name: str) -> Mapping:
        value = data.get(name)
        if not isinstance(value, Mapping):
            raise fail(name, "missing table")
        return value

    def text_of(table: Mapping, prefix: str, key: str, allowed: set[str]) -> str:
        value = table.get(key)
        if not isinstance(value, str) or not (value if key == "thousands" else value.strip()):
            raise fail(f"{prefix}.{key}", "missing or not text")
        try:
            used = _placeholders(value)
        except ValueError as exc:
            raise fail(f"{prefix}.{key}", f"bad braces ({exc})") from None
        if used - allowed:
            raise fail(f"{prefix}.{key}", f"unknown placeholder(s) {', '.join('{' + u + '}' for u in sorted(used - allowed))}"
                       + (f"; allowed: {', '.join('{' + a + '}' for a in sorted(allowed))}" if allowed else "; none allowed"))
        return " ".join(value.split()) if key != "thousands" else value

    for key in ("language", "name"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise fail(key, "missing or not text")
    unknown = set(data) - {"language", "name", "format", "sender", "text"}
    if unknown:
        raise fail(", ".join(sorted(unknown)), "unknown key(s)")
    fmt, sender, text = section("format"), section("sender"), section("text")
    for name, table, known in (("format", fmt, FORMAT_KEYS), ("sender", sender, SENDER_KEYS), ("text", text, TEXT_KEYS)):
        extra = set(table) - set(known)
        if extra:
            raise fail(f"{name}.{min(extra)}", "unknown key")
    lists = {}
    for key, count in (("months", 12), ("weekdays", 7)):
        value = fmt.get(key)
        if not (isinstance(value, list) and len(value) == count and all(isinstance(v, str) and v for v in value)):
            raise fail(f"format.{key}", f"must be a list of {count} names")
        lists[key] = tuple(value)
    formats = {key: text_of(fmt, "format", key, allowed) for key, allowed in FORMAT_KEYS.items() if allowed is not None}
    for key, allowed in FORMAT_KEYS.items():
        if allowed and _placeholders(formats[key]) != allowed:
            raise fail(f"format.{key}", f"must use {', '.join('{' + a + '}' for a in sorted(allowed))}")
    senders = {key: text_of(sender, "sender", key, set()) for key in SENDER_KEYS if key != "footer"}
    footer = sender.get("footer")
    if not (isinstance(footer, list) and 1 <= len(footer) <= 3 and all(isinstance(v, str) for v in footer)):
        raise fail("sender.footer", "must be a list of one to three lines")
    texts = {key: text_of(text, "text", key, TEXT_PLACEHOLDERS.get(key, set())) for key in TEXT_KEYS}
    return Template(data["language"].strip(), data["name"].strip(), lists["months"], lists["weekdays"],
                    formats, senders, texts, source, tuple(footer))


def load_template(path: str | pathlib.Path) -> Template:
    """The template in the TOML file `path`; raises `InputError` naming the file for an
    unreadable or invalid file (see `parse_template`)."""
    path = pathlib.Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read letter template ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    template = parse_template(data, source=str(path))
    if template.language != path.stem:
        raise InputError(f"{path}: language: {template.language!r} does not match the file name ({path.stem}.toml)")
    return template


@functools.lru_cache(maxsize=8)
def _package_templates() -> dict[str, Template]:
    return {p.stem: load_template(p) for p in sorted(TEMPLATES.glob("*.toml"))}


def load_templates(directory: str | pathlib.Path | None = None) -> dict[str, Template]:
    """The templates by language: the ones shipped with callup, then those in `directory` (one
    `<language>.toml` each), which replace or add languages. Raises `InputError` for a bad file
    or a directory that cannot be read."""
    templates = dict(_package_templates())
    if directory is not None:
        directory = pathlib.Path(directory)
        if not directory.is_dir():
            raise InputError(f"{directory}: not a directory of letter templates")
        for path in sorted(directory.glob("*.toml")):
            templates[path.stem] = load_template(path)
    return templates


def template_for(language: str, templates: Mapping[str, Template], default: str = DEFAULT_LANGUAGE) -> Template:
    """The template for `language` ("ru", or "ru-RU" falling back to "ru"), else for `default`.
    Raises `InputError` (field "language") when neither exists."""
    lang = (language or "").strip().lower().replace("_", "-")
    for candidate in (lang, lang.split("-")[0], default):
        if candidate in templates:
            return templates[candidate]
    raise InputError(f"language: no letter template for {language!r} nor the default {default!r}", field="language")
