"""Writing reports to a directory: the use cases behind `callup report ...`.

`write_campaign_report` builds the campaign report once and writes it as HTML, PDF and JSON,
with the public record it verified in `public-record/`. The file names are fixed, so a
campaign name never becomes a path.
"""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Any

from callup.context import Context
from callup.errors import InputError
from callup.file_output import make_folder

HTML, PDF, JSON, PUBLIC = "campaign-report.html", "campaign-report.pdf", "campaign-report.json", "public-record"


def prepare(out: pathlib.Path) -> pathlib.Path:
    """The output directory, created; `InputError` naming --out when it cannot be."""
    return make_folder(out, field="out")


@dataclasses.dataclass(frozen=True)
class Written:
    report: Any  # the report object the files render
    files: dict[str, str]  # kind -> path


def write_campaign_report(ctx: Context, name: str, out: pathlib.Path, *, scenario: pathlib.Path | None = None) -> Written:
    """Write the campaign report of `name` to `out`: HTML, PDF, JSON and the public record it verified."""
    from callup.cli_output import to_json
    from callup.reports import html, pdf
    from callup.reports.campaign import campaign_report

    if scenario is not None and not scenario.is_file():
        raise InputError(f"{scenario}: no such scenario file", field="scenario")
    out = prepare(out)
    report = campaign_report(ctx, name, public_dir=out / PUBLIC, scenario=scenario)
    files = {"html": str(html.write_campaign(report, out / HTML)), "pdf": str(pdf.write_campaign(report, out / PDF))}
    (out / JSON).write_text(to_json(dataclasses.asdict(report)) + "\n", encoding="utf-8")
    files["json"] = str(out / JSON)
    if report.draw is not None:
        files["public_record"] = str(out / PUBLIC)
    return Written(report, files)


T_HTML, T_PDF, T_JSON = "transparency-report.html", "transparency-report.pdf", "transparency-report.json"


def _slug(title: str) -> str:
    words = "".join(ch.lower() if ch.isalnum() else " " for ch in title).split()
    return "-".join(words[:8])


def published_csv(table: Any) -> str:
    """One published table as CSV: the shown values, markers included, with the totals row and column."""
    import io

    from callup import csv_output

    buf = io.StringIO()
    writer = csv_output.writer(buf)
    writer.writerow([table.row_label, *table.columns, "total"])
    for i, row in enumerate(table.rows):
        writer.writerow([row, *table.body[i], table.row_totals[i]])
    writer.writerow(["total", *table.column_totals, table.grand_total])
    return buf.getvalue()


def transparency_json(report: Any) -> dict[str, Any]:
    data = dataclasses.asdict(report)
    for table, original in zip(data["tables"], report.tables):
        table["suppressed"] = [[i, j, why] for (i, j), why in sorted(original.suppressed.items())]
    return data


def write_transparency_report(ctx: Context, name: str, out: pathlib.Path) -> Written:
    """Write the transparency report of `name` to `out`: HTML, PDF, JSON and one CSV per table."""
    from callup.cli_output import to_json
    from callup.reports import html, pdf_transparency
    from callup.reports.transparency import transparency_report

    out = prepare(out)
    report = transparency_report(ctx, name)
    files = {"html": str(html.write_transparency(report, out / T_HTML)), "pdf": str(pdf_transparency.write_transparency(report, out / T_PDF))}
    (out / T_JSON).write_text(to_json(transparency_json(report)) + "\n", encoding="utf-8")
    files["json"] = str(out / T_JSON)
    for n, table in enumerate(report.tables, 1):
        path = out / f"transparency-{n}-{_slug(table.title)}.csv"
        path.write_text(published_csv(table), encoding="utf-8")
        files[f"table {n}"] = str(path)
    return Written(report, files)
