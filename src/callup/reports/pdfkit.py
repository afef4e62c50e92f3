"""What the PDF renderers share: fonts, paragraph styles, tables, figures as 200 dpi images, the page frame.

Text is set in DejaVu Sans (the letters' fonts, embedded as subsets).
"""

from __future__ import annotations

import io
import pathlib
from collections.abc import Set
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from callup.reports import plots

INK, MUTED, RULE, BAND = colors.HexColor("#1d2430"), colors.HexColor("#5b6472"), colors.HexColor("#d9dde3"), colors.HexColor("#f3f5f8")
ACCENT, OK, BAD = colors.HexColor("#1f3b73"), colors.HexColor("#2f7d32"), colors.HexColor("#b5442c")
WIDTH = A4[0] - 36 * mm
PAD = 4  # points of padding left and right in table cells


def fonts() -> tuple[str, str, str]:
    """(regular, bold, mono) font names, registered once: the DejaVu fonts the letters use."""
    from callup.notices.letters import letter_fonts

    names = letter_fonts()
    return names["Sans"], names["Sans-Bold"], names["Mono"]


class Styles:
    def __init__(self) -> None:
        regular, bold, mono = fonts()
        self.regular, self.bold, self.mono = regular, bold, mono
        self.title = ParagraphStyle("title", fontName=bold, fontSize=20, leading=24, textColor=ACCENT, spaceAfter=4)
        self.sub = ParagraphStyle("sub", fontName=regular, fontSize=9, leading=12, textColor=MUTED)
        self.h2 = ParagraphStyle("h2", fontName=bold, fontSize=14, leading=18, textColor=ACCENT, spaceBefore=14, spaceAfter=6)
        self.h3 = ParagraphStyle("h3", fontName=bold, fontSize=10.5, leading=14, spaceBefore=8, spaceAfter=4, textColor=INK)
        self.body = ParagraphStyle("body", fontName=regular, fontSize=9.5, leading=13, textColor=INK, alignment=TA_LEFT,
                                   spaceAfter=5)
        self.note = ParagraphStyle("note", parent=self.body, fontSize=8.5, leading=11, textColor=MUTED)
        self.cell = ParagraphStyle("cell", fontName=regular, fontSize=8, leading=10, textColor=INK)
        self.code = ParagraphStyle("code", fontName=mono, fontSize=7, leading=9, textColor=INK, wordWrap="CJK")
        self.head = ParagraphStyle("head", fontName=bold, fontSize=8, leading=10, textColor=INK)
        self.head_n = ParagraphStyle("head_n", parent=self.head, alignment=TA_RIGHT)
        self.flag = ParagraphStyle("flag", fontName=regular, fontSize=8, leading=10, textColor=INK)
        self.big = ParagraphStyle("big", fontName=bold, fontSize=15, leading=18, textColor=INK)


def esc(text: Any) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def table(rows: list[list[Any]], widths: list[float] | None, s: Styles, *, numeric: Set[int] = frozenset(),
          total: bool = False, header: bool = True) -> Table:
    """A table with a shaded header row, right-aligned numeric columns and an optional bold total row."""
    if header:
        size = min((_head_size(c, widths[i] if widths else None, s.head) for i, c in enumerate(rows[0]) if isinstance(c, str)),
                   default=s.head.fontSize)
        rows = [[_head(c, size, s.head_n if i in numeric else s.head) if isinstance(c, str) else c
                 for i, c in enumerate(rows[0])], *rows[1:]]
    t = Table(rows, colWidths=widths, repeatRows=1 if header else 0, hAlign="LEFT")
    style = [("FONTNAME", (0, 0), (-1, -1), s.regular), ("FONTSIZE", (0, 0), (-1, -1), 8), ("LEADING", (0, 0), (-1, -1), 10),
             ("TEXTCOLOR", (0, 0), (-1, -1), INK), ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE), ("TOPPADDING", (0, 0), (-1, -1), 2),
             ("BOTTOMPADDING", (0, 0), (-1, -1), 2), ("LEFTPADDING", (0, 0), (-1, -1), PAD),
             ("RIGHTPADDING", (0, 0), (-1, -1), PAD)]
    if header:
        style += [("BACKGROUND", (0, 0), (-1, 0), BAND), ("FONTNAME", (0, 0), (-1, 0), s.bold)]
    for col in numeric:
        style.append(("ALIGN", (col, 0), (col, -1), "RIGHT"))
    if total:
        style += [("FONTNAME", (0, -1), (-1, -1), s.bold), ("LINEABOVE", (0, -1), (-1, -1), 1, INK)]
    t.setStyle(TableStyle(style))
    return t


def _head_size(text: str, width: float | None, style: ParagraphStyle) -> float:
    """The font size at which the header's longest word fits its column (down to 6 pt), so that no
    word is broken in the middle ("Volunte-ers")."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    size = style.fontSize
    longest = max(text.split() or [""], key=lambda word: stringWidth(word, style.fontName, size))
    while width and size > 6 and stringWidth(longest, style.fontName, size) > width - 2 * PAD:
        size -= 0.5
    return size


def _head(text: str, size: float, style: ParagraphStyle) -> Paragraph:
    style = ParagraphStyle(f"{style.name}-{size}", parent=style, fontSize=size, leading=size + 2, splitLongWords=False)
    return Paragraph(esc(text), style)


def figure(fig: Any, caption: str, s: Styles) -> KeepTogether:
    data = plots.png(fig)
    w, h = fig.get_size_inches()
    image = Image(io.BytesIO(data), width=WIDTH, height=WIDTH * h / w)
    return KeepTogether([image, Paragraph(esc(caption), s.note), Spacer(1, 4)])


def verdict(text: str, good: bool, s: Styles, *, cell: bool = True) -> Paragraph:
    colour = "#2f7d32" if good else "#b5442c"
    return Paragraph(f'<font name="{s.bold}" color="{colour}">{esc(text)}</font>', s.flag if cell else s.body)


def _page(title: str, s: Styles):  # noqa: ANN202 - a ReportLab page callback
    def draw(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(s.regular, 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(18 * mm, 10 * mm, title)
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"page {doc.page}")
        canvas.restoreState()
    return draw


def build(story: list[Any], path: pathlib.Path, *, title: str, footer: str, s: Styles) -> pathlib.Path:
    doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=18 * mm, title=title, author="callup", subject=footer, creator="callup")
    page = _page(footer, s)
    doc.build(story, onFirstPage=page, onLaterPages=page)
    return path
