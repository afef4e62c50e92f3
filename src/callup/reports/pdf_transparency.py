"""The transparency report as PDF: the same figures as its HTML, suppressed counts in grey."""

from __future__ import annotations

import pathlib
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, KeepTogether, Paragraph, Spacer, TableStyle

from callup.reports.html import p_value, when
from callup.reports.pdfkit import MUTED, WIDTH, Styles, build, esc, table, verdict


def _published(t: Any, s: Styles) -> list[Any]:
    """One published table: suppressed cells in grey, the totals row in bold; a single column shows no totals column."""
    single = len(t.columns) == 1
    head = [t.row_label.capitalize(), *t.columns] + ([] if single else ["Total"])
    rows = [head]
    for i, name in enumerate(t.rows):
        rows.append([name, *t.body[i]] + ([] if single else [t.row_totals[i]]))
    rows.append(["Total", *t.column_totals] + ([] if single else [t.grand_total]))
    first = 22 * mm if t.row_label == "region" or t.row_label == "age" else 40 * mm
    width = min(30 * mm, (WIDTH - first) / (len(head) - 1))
    out = table(rows, [first] + [width] * (len(head) - 1), s, numeric=set(range(1, len(head))), total=bool(t.rows))
    grey = [("TEXTCOLOR", (j + 1, i + 1), (j + 1, i + 1), MUTED) for (i, j) in t.suppressed
            if i < len(t.rows) and (j < len(t.columns) or not single)]
    out.setStyle(TableStyle(grey))
    items: list[Any] = [CondPageBreak(40 * mm), Paragraph(esc(t.title), s.h2)]
    if t.rows:
        items.append(out)
    if t.note:
        items.append(Paragraph(esc(t.note), s.note))
    return items if len(t.rows) > 24 else [items[0], KeepTogether(items[1:])]


def write_transparency(report: Any, path: pathlib.Path) -> pathlib.Path:
    """Write the transparency report as PDF to `path`."""
    r, s = report, Styles()
    story: list[Any] = [
        Paragraph(esc(f"Transparency report: {r.campaign}"), s.title),
        Paragraph(esc(f"{r.jurisdiction_name} ({r.jurisdiction}) · status {r.status} · window {r.window[0].isoformat()} to "
                      f"{r.window[1].isoformat()} · policy version {r.policy_version} · as of {when(r.generated_at)}"), s.sub),
        Spacer(1, 8),
        Paragraph(f"Aggregate figures of the call-up campaign {esc(r.campaign)}, for publication. No figure names, ranks or "
                  "describes a person. To protect the people behind small numbers, <b>counts under "
                  f"{r.threshold} are shown as “&lt;{r.threshold}”</b>, and some other counts are <b>withheld (“x”)</b> so "
                  "that no small count can be worked out from the totals. Every figure that is shown is exact; totals "
                  "include the suppressed counts.", s.body),
        Paragraph("The campaign in figures", s.h2),
        table([[Paragraph(esc(label), s.cell), value] for label, value in r.facts], [120 * mm, 30 * mm], s, numeric={1},
              header=False),
    ]
    if r.draw:
        d = r.draw
        story += [Paragraph("The draw", s.h2),
                  Paragraph("The lottery's public record (commitment, policy file, pool file of pseudonyms, allocation, "
                            "draw record, replacements record) lets anyone re-run the draw, check every replacement against "
                            f"the reserve order, and check it all with <font name=\"{s.mono}\">callup verify public/ "
                            "--announced HASH</font>.", s.body),
                  table([["Commitment hash", Paragraph(d["commitment_hash"], s.code)], ["Beacon", Paragraph(esc(d["beacon"]), s.cell)],
                         ["Beacon value", Paragraph(esc(d["beacon_value"]), s.code)], ["Seed", Paragraph(d["seed"], s.code)],
                         ["Pool fingerprint", Paragraph(d["pool_fingerprint"], s.code)],
                         ["Results fingerprint", Paragraph(d["results_fingerprint"], s.code)]],
                        [40 * mm, WIDTH - 40 * mm], s, header=False)]
    if r.fairness:
        f = r.fairness
        story += [Paragraph("Does the place in the draw depend on the birth date or on the import order?", s.h3),
                  verdict("FLAGGED" if f["flagged"] else "No dependence found", not f["flagged"], s, cell=False),
                  *([Paragraph(esc(f["untested"]), s.body)] if f["untested"] else []),
                  table([["Test", "Statistic", "p-value"]] + [[t["name"], t["statistic"], p_value(t["p_value"])] for t in f["tests"]],
                        [80 * mm, 45 * mm, 25 * mm], s, numeric={2})]
    for t in r.tables:
        story += _published(t, s)
    story += [Spacer(1, 10), Paragraph(f"“&lt;{r.threshold}”: a count from 1 to {r.threshold - 1}. “x”: withheld so that a "
                                       "small count cannot be worked out from the totals. The threshold is the policy's "
                                       "publication.disclosure_threshold.", s.note)]
    return build(story, path, title=f"Transparency report: {r.campaign}",
                 footer=f"callup · transparency report {r.campaign} · {when(r.generated_at)}", s=s)
