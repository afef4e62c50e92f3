"""Summons letters as PDF: one multi-page PDF per batch, or one letter on demand.

A `Letter` is a plain value (everything printed on one summons); `render_batch(letters, path)`
writes them as one A4 page each into one PDF and returns each letter's page number;
`render_one(letter)` returns a single letter as PDF bytes (for the portal and reprints);
`write_manifest(...)` writes the post's mailing manifest (reference, postcode, page).

The page follows DIN 5008 form B for a window envelope (DL or C5/6 with the window on the
left): letterhead in the top 45 mm; the address field 45 mm from the top and 20 mm from the
left edge, 85 x 45 mm, its first 17.7 mm for the return address line and the addressee from
62.7 mm; the information block (reference, date, draw) from 50 mm at 125 mm from the left;
the text from 98.5 mm with a 25 mm left margin; fold marks at 105 and 210 mm and the punch
mark at 148.5 mm.

Wording comes from per-language templates (`wording`: `templates/<language>.toml`), chosen
by the letter's language or the default; a country adds or replaces languages from its own
directory, so wording changes without code. A template whose text would not fit on the page
is refused when the layout is made.

Text is set in DejaVu Sans, embedded as a TrueType subset, which covers Latin with
diacritics, Cyrillic and Greek; every text field of a letter is normalised to NFC. The fonts
come from Debian's `fonts-dejavu-core` package (or the directory in $CALLUP_FONT_DIR); when
they are missing a `CallupError` says which package to install.

Speed: the parts of the page that are the same for every letter in a language (letterhead,
headings, paragraphs, labels, footer) are drawn once per PDF as a form XObject and placed on
each page; paragraph wrapping is cached; the QR code (zxing-cpp, error correction level M,
22 mm) is an inline 1-bit image mask; streams are compressed without ASCII85
(`rl_config.useA85 = 0`, set for the process when the first PDF is started) and the output is
invariant (no time stamp or random id: the same letters give the same bytes).

Fields that vary in length are fitted, never cut: a name or address line too long for the
window at 8 points is broken in two while the window has room, other fields are set in a
smaller size down to 5.5 points.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import io
import os
import pathlib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

from callup import csv_output
from callup.errors import CallupError, InputError
from callup.notices.rights import ALL as ALL_RIGHTS, Right
from callup.notices.wording import (  # noqa: F401 - part of this module's API
    DEFAULT_LANGUAGE,
    TEMPLATES,
    Template,
    load_template,
    load_templates,
    parse_template,
    template_for,
)

FONT_DIR = pathlib.Path("/usr/share/fonts/truetype/dejavu")
FONT_PACKAGE = "fonts-dejavu-core"
FONT_FILES = {"Sans": "DejaVuSans.ttf", "Sans-Bold": "DejaVuSans-Bold.ttf",
              "Mono": "DejaVuSansMono.ttf", "Mono-Bold": "DejaVuSansMono-Bold.ttf"}
MAX_ADDRESS_LINES = 5

MM = 72 / 25.4
PAGE_W, PAGE_H = 210 * MM, 297 * MM
LEFT, RIGHT = 25 * MM, 190 * MM  # text margins: 25 mm left, 20 mm right
WIDTH = RIGHT - LEFT
INFO_X = 125 * MM
INK = (0.12, 0.23, 0.37)    # headings, rules
GREY = (0.35, 0.35, 0.35)   # labels
TINT = (0.93, 0.95, 0.97)   # appointment box
QR_SIZE = 22 * MM


# --- the letter ------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Letter:
    """Everything printed on one summons letter.

    `address_lines` are the lines under the name as the post wants them (street, postcode and
    town, country), at most five; `postcode` is used for the mailing manifest only. `language`
    picks the template (e.g. "ru"; "ru-RU" also finds "ru"). `start`/`end` are the slot of the
    appointment at `office_name`, `office_address`. `apply_by` is the deadline to apply for
    deferral, exemption or alternative civilian service, `appeal_by` the deadline to appeal. `code`
    is the one-time portal sign-in code and `portal_url` the address the QR code opens (it should
    not contain the code). `rights` are the codes of the rights the letter names, in order
    (`callup.notices.rights.rights`, the list the portal offers too). Every text field is normalised to NFC on creation; raises `InputError`
    for an empty name or address or more than five address lines."""

    reference: str
    name: str
    address_lines: tuple[str, ...]
    postcode: str
    language: str
    pseudonym: str
    rank: int
    region: str
    region_name: str
    campaign: str
    office_name: str
    office_address: tuple[str, ...]
    date: dt.date
    start: dt.time
    end: dt.time
    legal_basis: str
    policy_version: str
    issued: dt.date
    apply_by: dt.date
    appeal_by: dt.date
    code: str
    portal_url: str
    rights: tuple[str, ...] = tuple(r.code for r in ALL_RIGHTS)

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, str):
                object.__setattr__(self, f.name, _clean(value))
            elif isinstance(value, (tuple, list)):
                object.__setattr__(self, f.name, tuple(_clean(v) for v in value if _clean(v)))
        if not self.name:
            raise InputError("name: empty; a letter needs the addressee's name", field="name")
        if not self.address_lines:
            raise InputError("address: empty; a letter needs a postal address", field="address")
        if len(self.address_lines) > MAX_ADDRESS_LINES:
            raise InputError(f"address: {len(self.address_lines)} lines, at most {MAX_ADDRESS_LINES} fit the envelope window",
                             field="address")


def _clean(text: str) -> str:
    """NFC, control characters and surrounding white space removed."""
    text = unicodedata.normalize("NFC", str(text))
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(text.split())


# --- fonts -----------------------------------------------------------------------------------------------------

_registered: dict[str, str] = {}


def font_dir() -> pathlib.Path:
    """Where the DejaVu fonts are read from: $CALLUP_FONT_DIR, else Debian's location."""
    return pathlib.Path(os.environ.get("CALLUP_FONT_DIR") or FONT_DIR)


def letter_fonts() -> dict[str, str]:
    """Register the letter fonts with ReportLab once per process; their ReportLab names.
    Raises `CallupError` naming the package to install when a font file is missing."""
    if not _registered:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        where = font_dir()
        missing = [name for name in FONT_FILES.values() if not (where / name).is_file()]
        if missing:
            raise CallupError(f"letter font {missing[0]} not found in {where}: install the Debian package {FONT_PACKAGE} "
                              f"(apt-get install {FONT_PACKAGE}) or set CALLUP_FONT_DIR to a directory holding the DejaVu fonts")
        names = {}
        for key, file in FONT_FILES.items():
            name = f"DejaVu{key}"
            try:
                pdfmetrics.registerFont(TTFont(name, str(where / file)))
            except Exception as exc:  # noqa: BLE001 - a damaged font file is the set-up's problem, said plainly
                raise CallupError(f"letter font {where / file} cannot be read ({exc}): reinstall {FONT_PACKAGE}") from None
            names[key] = name
        _registered.update(names)
    return _registered


# --- layout ----------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8192)
def _wrap(text: str, font: str, size: float, width: float) -> tuple[str, ...]:
    from reportlab.lib.utils import simpleSplit

    return tuple(simpleSplit(text, font, size, width))


@functools.lru_cache(maxsize=8192)
def _fit_size(text: str, font: str, size: float, width: float, smallest: float) -> float:
    """The largest font size up to `size` at which `text` fits `width` (not below `smallest`)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    w = stringWidth(text, font, size)
    return size if w <= width else max(smallest, size * width / w)


def _y(mm: float) -> float:
    """PDF y of a distance in mm from the top of the page."""
    return PAGE_H - mm * MM


@dataclasses.dataclass
class _Layout:
    """Positions (PDF points) of a template's page: static drawing ops and the places of the
    per-letter fields."""

    static: list[tuple]
    at: dict[str, tuple[float, float]]
    subject_width: float
    legal_lines: int


INFO_ROWS = ("info_reference", "info_date", "info_campaign", "info_region", "info_rank")
INFO_LABEL_W = 26 * MM
INFO_TOP, INFO_PITCH = 52, 4.6  # mm


def _named(codes: Sequence[str]) -> tuple[Right, ...]:
    """The rights of `codes`, in the one list's order (an unknown code is a programming error)."""
    known = {r.code: r for r in ALL_RIGHTS}
    return tuple(known[c] for c in codes)


@functools.lru_cache(maxsize=32)
def _layout(t: Template, rights: tuple[Right, ...] = ALL_RIGHTS) -> _Layout:
    """The page of template `t` naming `rights`: what is drawn once per PDF and where each field
    of a letter goes. Raises `InputError` when the template's text does not fit on one page."""
    f = letter_fonts()
    sans, bold = f["Sans"], f["Sans-Bold"]
    ops: list[tuple] = []
    at: dict[str, tuple[float, float]] = {}

    def text(font, size, x, y, s, color=(0, 0, 0)):
        ops.append(("text", font, size, x, y, s, color))

    def fit(font, size, x, y, s, width, color=(0, 0, 0)):
        text(font, _fit_size(s, font, size, width, 5.5), x, y, s, color)

    def para(font, size, leading, x, top, s, width, color=(0, 0, 0)) -> float:
        """Wrapped paragraph with its first baseline at `top` (PDF y); the y below its last line."""
        y = top
        for line in _wrap(s, font, size, width):
            text(font, size, x, y, line, color)
            y -= leading
        return y + leading

    sender, tx = t.sender, t.text
    # letterhead: emblem, authority, agency, rule
    ops.append(("emblem", LEFT, _y(31), 13 * MM, 16 * MM))
    fit(bold, 15, LEFT + 17 * MM, _y(22), sender["authority"].upper(), WIDTH - 17 * MM, INK)
    fit(sans, 10.5, LEFT + 17 * MM, _y(28), sender["agency"], WIDTH - 17 * MM, INK)
    ops.append(("rule", LEFT, _y(37), RIGHT, 0.9, INK))
    # fold and punch marks
    for mm, length in ((105, 5), (148.5, 7), (210, 5)):
        ops.append(("rule", 4 * MM, _y(mm), (4 + length) * MM, 0.4, GREY))
    # address field: return address line in the top zone, addressee from 62.7 mm
    fit(sans, 6.5, LEFT, _y(59), sender["return_address"], 75 * MM, GREY)
    ops.append(("rule", LEFT, _y(60.2), LEFT + min(75 * MM, _text_width(sender["return_address"], sans, 6.5)), 0.3, GREY))
    at["address"] = (LEFT, _y(66.5))
    # information block
    for i, key in enumerate(INFO_ROWS):
        y = _y(INFO_TOP + i * INFO_PITCH)
        fit(sans, 7, INFO_X, y, tx[key], INFO_LABEL_W - 2 * MM, GREY)
        at[key] = (INFO_X + INFO_LABEL_W, y)
    y = _y(INFO_TOP + len(INFO_ROWS) * INFO_PITCH)
    fit(sans, 7, INFO_X, y, tx["info_pseudonym"], INFO_LABEL_W - 2 * MM, GREY)
    at["info_pseudonym"] = (INFO_X, y - 3.6 * MM)
    # body
    y = _y(102.5)
    fit(bold, 14, LEFT, y, tx["title"], WIDTH, INK)
    at["subject"] = (LEFT, y - 5.5 * MM)
    at["salutation"] = (LEFT, y - 12.5 * MM)
    y = para(sans, 9.5, 12, LEFT, y - 18 * MM, tx["intro"], WIDTH)
    # appointment box
    top = y - 5.5 * MM
    pad = 4 * MM
    label_w = 24 * MM
    y = top - pad - 2.5 * MM
    text(bold, 10.5, LEFT + pad, y, tx["appointment_heading"], INK)
    rows = []
    for key in ("appointment_date", "appointment_time", "appointment_office"):
        y -= 6 * MM if key == "appointment_date" else 5.2 * MM
        fit(sans, 8.5, LEFT + pad, y, tx[key], label_w - 2 * MM, GREY)
        rows.append(y)
    at["appointment_date"] = (LEFT + pad + label_w, rows[0])
    at["appointment_time"] = (LEFT + pad + label_w, rows[1])
    at["appointment_office"] = (LEFT + pad + label_w, rows[2])
    at["appointment_address"] = (LEFT + pad + label_w, rows[2] - 4 * MM)
    y = rows[2] - 4 * MM * 2 - 5.5 * MM  # office name and two address lines
    y = para(sans, 8, 10, LEFT + pad, y, tx["appointment_bring"], WIDTH - 2 * pad, GREY)
    bottom = y - pad + 1 * MM
    ops.insert(0, ("box", LEFT, bottom, WIDTH, top - bottom, TINT, INK))
    # rights, each with its deadline right-aligned on the heading line
    y = bottom - 7 * MM
    text(bold, 11, LEFT, y, tx["rights_heading"], INK)
    y -= 1 * MM
    for right in rights:
        key = right.letter
        y -= 4.4 * MM
        text(bold, 8.5, LEFT, y, tx[f"{key}_heading"])
        at[f"{key}_deadline"] = (RIGHT, y)
        y = para(sans, 8.5, 10.5, LEFT, y - 10.5, tx[key], WIDTH)
    y -= 2 * MM
    rights_end = y

    def portal(top: float) -> float:
        """The portal block from `top` down: text and code on the left, QR code and caption on
        the right; the y of its bottom."""
        ops.append(("rule", LEFT, top, RIGHT, 0.5, INK))
        y = top - 5 * MM
        text(bold, 10, LEFT, y, tx["portal_heading"], INK)
        y = para(sans, 8.5, 10.5, LEFT, y - 4.8 * MM, tx["portal"].format(portal=sender["portal"]), WIDTH - QR_SIZE - 8 * MM)
        y -= 6.5 * MM
        fit(sans, 8.5, LEFT, y, tx["code_label"], 40 * MM, GREY)
        at["code"] = (LEFT + 42 * MM, y - 0.5 * MM)
        at["qr"] = (RIGHT - QR_SIZE, top - 2.5 * MM - QR_SIZE)
        caption_y = top - 2.5 * MM - QR_SIZE - 3.2 * MM
        captions = _wrap(tx["qr_caption"], sans, 6.5, QR_SIZE + 8 * MM)[:2]
        for i, line in enumerate(captions):
            ops.append(("centred", sans, 6.5, RIGHT - QR_SIZE / 2, caption_y - i * 8, line, GREY))
        return min(y - 2 * MM, caption_y - (len(captions) - 1) * 8 - 2 * MM)

    # bottom up: footer, legal basis (per letter, up to two lines), portal block
    footer_top = _y(284)
    legal_lines = 2
    legal_y = footer_top + 2.5 * MM + (legal_lines - 1) * 9
    at["legal_basis"] = (LEFT, legal_y)
    mark = len(ops)
    height = 0 - portal(0)
    del ops[mark:]
    top = legal_y + 7.5 + 1.5 * MM + height
    if top > rights_end - 2 * MM:
        over = (top - rights_end + 2 * MM) / MM
        raise InputError(f"{t.source}: the text does not fit on one page ({over:.0f} mm too long): shorten it")
    portal(top)
    ops.append(("rule", LEFT, footer_top, RIGHT, 0.4, GREY))
    for i, line in enumerate(t.footer):
        fit(sans, 6.5, LEFT, footer_top - (3.5 + 3.2 * i) * MM, line, WIDTH, GREY)
    return _Layout(ops, at, WIDTH, legal_lines)


def _text_width(s: str, font: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(s, font, size)


# --- drawing ---------------------------------------------------------------------------------------------------


def _draw_static(c, layout: _Layout) -> None:
    for op in layout.static:
        kind = op[0]
        if kind == "text":
            _, font, size, x, y, s, color = op
            c.setFillColorRGB(*color)
            c.setFont(font, size)
            c.drawString(x, y, s)
        elif kind == "centred":
            _, font, size, x, y, s, color = op
            c.setFillColorRGB(*color)
            c.setFont(font, size)
            c.drawCentredString(x, y, s)
        elif kind == "rule":
            _, x0, y, x1, width, color = op
            c.setStrokeColorRGB(*color)
            c.setLineWidth(width)
            c.line(x0, y, x1, y)
        elif kind == "box":
            _, x, y, w, h, fill, stroke = op
            c.setFillColorRGB(*fill)
            c.setStrokeColorRGB(*stroke)
            c.setLineWidth(0.6)
            c.roundRect(x, y, w, h, 2 * MM, stroke=1, fill=1)
        elif kind == "emblem":
            _, x, y, w, h = op
            _emblem(c, x, y, w, h)
    c.setFillColorRGB(0, 0, 0)


def _emblem(c, x: float, y: float, w: float, h: float) -> None:
    """A plain shield with a star: the letterhead's mark."""
    p = c.beginPath()
    p.moveTo(x, y + h)
    p.lineTo(x + w, y + h)
    p.lineTo(x + w, y + 0.45 * h)
    p.curveTo(x + w, y + 0.15 * h, x + 0.6 * w, y + 0.05 * h, x + w / 2, y)
    p.curveTo(x + 0.4 * w, y + 0.05 * h, x, y + 0.15 * h, x, y + 0.45 * h)
    p.close()
    c.setFillColorRGB(*INK)
    c.drawPath(p, stroke=0, fill=1)
    import math

    cx, cy, r = x + w / 2, y + 0.55 * h, 0.3 * w
    star = c.beginPath()
    for i in range(10):
        a = math.pi / 2 + i * math.pi / 5
        rr = r if i % 2 == 0 else r * 0.4
        (star.moveTo if i == 0 else star.lineTo)(cx + rr * math.cos(a), cy + rr * math.sin(a))
    star.close()
    c.setFillColorRGB(1, 1, 1)
    c.drawPath(star, stroke=0, fill=1)


def _qr(c, content: str, x: float, y: float, size: float) -> None:
    """A QR code (error correction M) of `content` as an inline 1-bit image mask, its lower left
    corner at (x, y); the white quiet zone is left to the layout."""
    import numpy as np
    import zxingcpp

    code = zxingcpp.create_barcode(content, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    modules = np.asarray(code.to_image(scale=1, add_quiet_zones=False))
    n = modules.shape[0]
    data = np.packbits(modules < 128, axis=1).tobytes().hex()
    c._code.append(f"q {size:.2f} 0 0 {size:.2f} {x:.2f} {y:.2f} cm BI /IM true /W {n} /H {n} /BPC 1 /D [1 0] "
                   f"/F /AHx ID {data}> EI Q")


ADDRESS_W = 78 * MM
ADDRESS_LINES = 6  # 4.3 mm apart from 66.5 mm: the last ends above the window's lower edge at 90 mm


def _window_lines(lines: tuple[str, ...]) -> list[str]:
    """The lines of the address window: a line too long for 8-point type is broken in two
    (at 10 points) while the window has room; otherwise lines are shrunk to fit when drawn."""
    out: list[str] = []
    for i, line in enumerate(lines):
        room = ADDRESS_LINES - len(out) - (len(lines) - i - 1)
        if room > 1 and _fit_size(line, _registered["Sans"], 10, ADDRESS_W, 5.5) < 8:
            out.extend(_wrap(line, _registered["Sans"], 10, ADDRESS_W)[:room])
        else:
            out.append(line)
    return out


def _pseudonym(hex_text: str) -> str:
    return " ".join(hex_text[i:i + 4] for i in range(0, len(hex_text), 4))


def _draw_letter(c, t: Template, layout: _Layout, letter: Letter) -> None:
    """The per-letter fields, in one text object (cheaper than one per string), and the QR code."""
    f = _registered
    sans, bold, mono, mono_bold = f["Sans"], f["Sans-Bold"], f["Mono"], f["Mono-Bold"]
    at, tx = layout.at, t.text
    text = c.beginText()

    def put(font, size, where, s, width):
        x, y = at[where] if isinstance(where, str) else where
        text.setFont(font, _fit_size(s, font, size, width, 5.5))
        text.setTextOrigin(x, y)
        text.textOut(s)

    # address (window)
    x, y = at["address"]
    for i, line in enumerate(_window_lines((letter.name, *letter.address_lines))):
        put(sans, 10, (x, y - i * 4.3 * MM), line, ADDRESS_W)
    # information block
    value_w = RIGHT - INFO_X - INFO_LABEL_W
    put(mono_bold, 8.5, "info_reference", letter.reference, value_w)
    put(sans, 8.5, "info_date", t.date(letter.issued), value_w)
    put(sans, 8.5, "info_campaign", letter.campaign, value_w)
    put(sans, 8.5, "info_region", f"{letter.region} {letter.region_name}", value_w)
    put(sans, 8.5, "info_rank", t.number(letter.rank), value_w)
    put(mono, 7.5, "info_pseudonym", _pseudonym(letter.pseudonym), RIGHT - INFO_X)
    # body
    text.setFillColorRGB(*GREY)
    put(sans, 9, "subject", tx["subject"].format(campaign=letter.campaign, region=letter.region,
                                                 region_name=letter.region_name), layout.subject_width)
    text.setFillColorRGB(0, 0, 0)
    put(sans, 10, "salutation", tx["salutation"].format(name=letter.name), WIDTH)
    box_w = RIGHT - at["appointment_date"][0] - 4 * MM
    put(bold, 12, "appointment_date", t.date(letter.date, long=True), box_w)
    put(bold, 10, "appointment_time", t.time(letter.start, letter.end), box_w)
    put(bold, 9.5, "appointment_office", letter.office_name, box_w)
    x, y = at["appointment_address"]
    office_lines = letter.office_address[:1] + ((", ".join(letter.office_address[1:]),) if letter.office_address[1:] else ())
    for i, line in enumerate(office_lines):
        put(sans, 9, (x, y - i * 4 * MM), line, box_w)
    for right in _named(letter.rights):
        s = (tx["deadline_apply"].format(date=t.date(letter.apply_by)) if right.deadline == "apply"
             else tx["deadline_appeal"].format(date=t.date(letter.appeal_by)))
        x, y = at[f"{right.letter}_deadline"]
        put(bold, 8.5, (x - _text_width(s, bold, 8.5), y), s, WIDTH)
    put(mono_bold, 14, "code", letter.code, RIGHT - QR_SIZE - 6 * MM - at["code"][0])
    legal = tx["legal_basis"].format(legal_basis=letter.legal_basis, policy_version=letter.policy_version)
    size = 7.5
    lines = _wrap(legal, sans, size, WIDTH)
    if len(lines) > layout.legal_lines:
        size = 6.5
        lines = _wrap(legal, sans, size, WIDTH)[:layout.legal_lines]
    x, y = at["legal_basis"]
    text.setFillColorRGB(*GREY)
    for i, line in enumerate(lines):
        put(sans, size, (x, y - i * 9), line, WIDTH)
    c.drawText(text)
    c.setFillColorRGB(0, 0, 0)
    _qr(c, letter.portal_url, *at["qr"], QR_SIZE)


class _Document:
    """One PDF being written: a canvas, and the static form of each language used so far."""

    def __init__(self, target, templates: Mapping[str, Template], default_language: str, title: str) -> None:
        from reportlab import rl_config
        from reportlab.pdfgen.canvas import Canvas

        rl_config.useA85 = 0
        fonts = letter_fonts()
        self.templates, self.default = templates, default_language
        self.canvas = Canvas(target, pagesize=(PAGE_W, PAGE_H), invariant=1, pageCompression=1,
                             initialFontName=fonts["Sans"], initialFontSize=10)
        self.canvas.setTitle(title)
        self.canvas.setAuthor("callup")
        self.forms: set[str] = set()
        self.pages = 0

    def add(self, letter: Letter) -> int:
        """Draw `letter` on a new page; its page number."""
        t = template_for(letter.language, self.templates, self.default)
        rights = _named(letter.rights)
        layout = _layout(t, rights)
        c = self.canvas
        form = f"static-{t.language}-{'-'.join(letter.rights)}"
        if form not in self.forms:
            c.beginForm(form, 0, 0, PAGE_W, PAGE_H)
            _draw_static(c, layout)
            c.endForm()
            self.forms.add(form)
        c.doForm(form)
        _draw_letter(c, t, layout, letter)
        c.showPage()
        self.pages += 1
        return self.pages

    def save(self) -> None:
        self.canvas.save()


def render_batch(letters: Iterable[Letter], out_path: str | pathlib.Path, *, templates: Mapping[str, Template] | None = None,
                 default_language: str = DEFAULT_LANGUAGE) -> list[int]:
    """Write `letters` as one PDF at `out_path`, one A4 page each, in the order given; the page
    number (from 1) of each letter, in the same order.

    The file is written under a temporary name and renamed into place, so `out_path` is either
    the complete batch or absent (a killed job leaves no half file). Templates come from
    `templates` (default: `load_templates()`), chosen per letter as `template_for` does.
    Raises `InputError` for a letter whose language and the default have no template, or a
    template that does not fit the page; `CallupError` when the fonts are missing; nothing is
    written then."""
    out_path = pathlib.Path(out_path)
    templates = load_templates() if templates is None else templates
    part = out_path.with_name(out_path.name + ".part")
    pages: list[int] = []
    try:
        doc = _Document(str(part), templates, default_language, "Summonses")
        for letter in letters:
            pages.append(doc.add(letter))
        doc.save()
        os.replace(part, out_path)
    finally:
        part.unlink(missing_ok=True)
    return pages


def render_one(letter: Letter, *, templates: Mapping[str, Template] | None = None,
               default_language: str = DEFAULT_LANGUAGE) -> bytes:
    """`letter` alone as a one-page PDF (for the portal and reprints). Raises as `render_batch`."""
    buffer = io.BytesIO()
    doc = _Document(buffer, load_templates() if templates is None else templates, default_language, "Summons")
    doc.add(letter)
    doc.save()
    return buffer.getvalue()


def write_manifest(letters: Sequence[Letter], pages: Sequence[int], out_path: str | pathlib.Path) -> None:
    """The batch's mailing manifest as CSV at `out_path`: a header `reference,postcode,page` and
    one row per letter, in batch order (written under a temporary name and renamed into place).
    Raises ValueError when `letters` and `pages` differ in length."""
    if len(letters) != len(pages):
        raise ValueError(f"{len(letters)} letters but {len(pages)} page numbers")
    out_path = pathlib.Path(out_path)
    part = out_path.with_name(out_path.name + ".part")
    try:
        with open(part, "w", encoding="utf-8", newline="") as out:
            writer = csv_output.writer(out)
            writer.writerow(["reference", "postcode", "page"])
            writer.writerows((letter.reference, letter.postcode, page) for letter, page in zip(letters, pages))
        os.replace(part, out_path)
    finally:
        part.unlink(missing_ok=True)
