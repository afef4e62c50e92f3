"""The paper questionnaire: one form per person (A4, PDF, ReportLab like the summons letters), in English with
the Russian beside each question, carrying the same reference and sign-in code as the portal. An officer keys a
returned form in the console (or `callup questionnaire key`)."""

from __future__ import annotations

import dataclasses
import os
import pathlib

from callup.context import Context
from callup.errors import CallupError
from callup.file_output import check_folder
from callup.questionnaire.service import Form, FormBatch, forms_to_print
from callup.uow import UnitOfWork

FONT_DIR = pathlib.Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = {"Sans": "DejaVuSans.ttf", "SansBold": "DejaVuSans-Bold.ttf"}
_fonts: dict[str, str] = {}


def _register_fonts() -> dict[str, str]:
    """The DejaVu fonts (Latin and Cyrillic), registered once per process under the letters' names."""
    if not _fonts:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        where = pathlib.Path(os.environ.get("CALLUP_FONT_DIR") or FONT_DIR)
        for key, file in FONT_FILES.items():
            if not (where / file).is_file():
                raise CallupError(f"form font {file} not found in {where}: install the Debian package fonts-dejavu-core "
                                  "or set CALLUP_FONT_DIR to a directory holding the DejaVu fonts")
            pdfmetrics.registerFont(TTFont(f"DejaVu{key}", str(where / file)))
            _fonts[key] = f"DejaVu{key}"
    return _fonts


@dataclasses.dataclass(frozen=True)
class PrintResult:
    round: str
    forms: int
    files: list[str]


def print_forms(ctx: Context, name: str, *, out: pathlib.Path, region: str | None = None,
                references: list[str] | None = None, reminder: bool = False,
                portal_url: str = "https://portal.example") -> PrintResult:
    """Write the forms of round `name` (a region's, or those of `references`) to one PDF in `out`, with a CSV list
    of references for the post; returns what was written. Administrators only (the forms carry sign-in codes)."""
    check_folder(out, field="out", create=True, private=True)
    with UnitOfWork(ctx) as uow:
        batch = forms_to_print(uow, name, region=region, references=references, reminder=reminder)
    stem = f"questionnaire-{batch.round}" + (f"-{region}" if region else "") + ("-reminders" if reminder else "")
    pdf = out / f"{stem}.pdf"
    render(batch, pdf, reminder=reminder, portal_url=portal_url)
    listing = out / f"{stem}.csv"
    with listing.open("w", encoding="utf-8", newline="") as fh:
        fh.write("page_order,reference,region,postcode\n")
        for i, form in enumerate(batch.forms, 1):
            fh.write(f"{i},{form.reference},{form.region},{form.postcode}\n")
    return PrintResult(batch.round, len(batch.forms), [str(pdf), str(listing)])


def render(batch: FormBatch, path: pathlib.Path, *, reminder: bool = False, portal_url: str = "https://portal.example") -> None:
    """Draw every form of `batch` into the PDF `path` (each form starts on a new page)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    fonts = _register_fonts()
    c = canvas.Canvas(str(path), pagesize=A4, pageCompression=1)
    c.setTitle(f"Questionnaire {batch.round}")
    for form in batch.forms:
        _draw(c, batch, form, fonts, reminder=reminder, portal_url=portal_url)
    c.save()


def _draw(c, batch: FormBatch, form: Form, fonts: dict[str, str], *, reminder: bool, portal_url: str) -> None:  # noqa: ANN001
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import simpleSplit

    width, height = A4
    left, right = 20 * mm, width - 20 * mm
    sans, bold = fonts["Sans"], fonts["SansBold"]
    grey = (0.35, 0.35, 0.35)

    def line(text: str, y: float, *, font: str = sans, size: float = 10, colour=(0, 0, 0), x: float = left,  # noqa: ANN001
             room: float | None = None) -> float:
        c.setFillColorRGB(*colour)
        for part in simpleSplit(text, font, size, room or (right - x)):
            c.setFont(font, size)
            c.drawString(x, y, part)
            y -= size * 1.3
        c.setFillColorRGB(0, 0, 0)
        return y

    def footer() -> None:
        c.setFont(sans, 7.5)
        c.setFillColorRGB(*grey)
        c.drawString(left, 12 * mm, f"{batch.jurisdiction} · {batch.round} · {form.reference}")
        c.drawRightString(right, 12 * mm, "For the office: keyed by / Ввёл сотрудник ____________")
        c.setFillColorRGB(0, 0, 0)

    y = height - 20 * mm
    y = line(batch.jurisdiction, y, font=bold, size=11)
    y = line("Self-declaration before military service / Анкета перед призывом на военную службу", y, font=bold, size=14)
    if reminder:
        y = line("Reminder: we have not received your answers yet. / Напоминание: мы ещё не получили ваши ответы.", y,
                 font=bold, size=10, colour=(0.6, 0, 0))
    y -= 4 * mm
    for text in (form.name, form.address, form.postcode):
        y = line(text, y, size=11)
    y -= 4 * mm
    box_top = y + 4 * mm
    y = line(f"Reference / Номер: {form.reference}", y, font=bold, size=11)
    y = line(f"Answer by / Ответьте до: {batch.deadline.isoformat()}", y, size=10)
    y = line(f"Online / На портале: {portal_url.rstrip('/')}/signin — sign-in code / код входа: {form.code}", y, size=10)
    y = line("Or fill in this form and give or post it to your regional call-up office. / Или заполните эту анкету "
             "и передайте или отправьте её в региональный призывной пункт.", y, size=9, colour=grey)
    c.rect(left - 2 * mm, y + 1 * mm, right - left + 4 * mm, box_top - y - 1 * mm)
    y -= 5 * mm

    for number, question in enumerate(batch.questions, 1):
        need = 30 * mm + (len(question.choices) * 6 * mm)
        if y < need + 20 * mm:
            footer()
            c.showPage()
            y = height - 20 * mm
        optional = "" if question.mandatory else " (optional / необязательно)"
        y = line(f"{number}. {question.text.en}{optional}", y, font=bold, size=10.5)
        y = line(question.text.ru, y, size=9.5, colour=grey, x=left + 5 * mm)
        if question.hint:
            y = line(f"{question.hint.en} / {question.hint.ru}", y, size=8.5, colour=grey, x=left + 5 * mm)
        y -= 1.5 * mm
        boxes: list[str] = []
        if question.type == "yes_no":
            boxes = ["Yes / Да", "No / Нет"]
        elif question.type == "choice":
            boxes = [f"{choice.text.en} / {choice.text.ru}" for choice in question.choices]
        for label in boxes:
            c.rect(left + 5 * mm, y - 1 * mm, 3.5 * mm, 3.5 * mm)
            y = line(label, y, x=left + 11 * mm, size=10) - 1 * mm
        if question.type == "date":
            c.setFont(sans, 9)
            x = left + 5 * mm
            for label, cells in (("Day / День", 2), ("Month / Месяц", 2), ("Year / Год", 4)):
                c.drawString(x, y, label)
                for i in range(cells):
                    c.rect(x + i * 6 * mm, y - 9 * mm, 6 * mm, 7 * mm)
                x += max(cells * 6 * mm, 28 * mm) + 6 * mm
            y -= 12 * mm
        if question.type == "text":
            for _ in range(2):
                y -= 7 * mm
                c.line(left + 5 * mm, y, right, y)
            y -= 3 * mm
        y -= 4 * mm
    footer()
    c.showPage()
