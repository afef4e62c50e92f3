"""The campaign report as PDF (ReportLab platypus): the same report as the HTML, figures as 200 dpi images.

The long per-region tables the HTML folds away go to an appendix, so the sections read in a few pages.
"""

from __future__ import annotations

import pathlib
import re
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, KeepTogether, PageBreak, Paragraph, Spacer, Table, TableStyle

from callup.reports.html import figure_list, number, p_value, percent, when
from callup.reports.pdfkit import BAND, RULE, WIDTH, Styles, build, esc, figure, table, verdict

# --- the campaign report -----------------------------------------------------------------------------------


def _figures(report: Any) -> dict[str, Any]:
    return {name: build(section) for name, build, section, _label in figure_list(report)}


def _summary(r: Any, s: Styles) -> list[Any]:
    cards = [(number(r.pool.in_force.total), f"in the pool (ages {r.pool.in_force.from_age}–{r.pool.in_force.until_age - 1})"),
             (number(r.quota), f"national quota, over-call {r.over_call_rate}"),
             (number(sum(a.called for a in r.allocation)), f"called now ({number(sum(a.released for a in r.allocation))} released)"),
             (r.draw.verdict if r.draw else "not drawn", "draw re-computed from the public record"),
             (("FLAGGED" if r.fairness.flagged else "fair") if r.fairness else "–", "birth date and import order against rank"),
             (number(r.cases.total), "cases open (a decision or an assignment to come)")]
    cells = [[Paragraph(esc(v), s.big), Paragraph(esc(label), s.note)] for v, label in cards]
    rows = [[cells[i], cells[i + 1], cells[i + 2]] for i in range(0, len(cells), 3)]
    t = Table(rows, colWidths=[WIDTH / 3] * 3, hAlign="LEFT")
    t.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), BAND), ("BOX", (0, 0), (-1, -1), 0.5, RULE),
                           ("INNERGRID", (0, 0), (-1, -1), 3, colors.white), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return [t, Spacer(1, 6)]


def _pool(r: Any, s: Styles, figs: dict[str, Any]) -> list[Any]:
    now, then = r.pool.in_force, r.pool.compared
    text = (f"Everyone eligible on {r.pool.on.isoformat()} under the rules in force (version {now.version}, from age "
            f"{now.from_age} until the {now.until_age}th birthday)")
    if then:
        change = now.total - then.total
        text += (f", and under the age limits of version {then.version} (until the {then.until_age}th birthday) applied on "
                 f"the same date. The change {'adds' if change >= 0 else 'removes'} <b>{number(abs(change))}</b> people "
                 f"({percent(change / then.total if then.total else 0)}).")
    if r.frozen_pool:
        text += (f" Counted in the pool frozen for the draw ({number(r.frozen_pool)} people), as it was drawn from; the "
                 "earlier age limits are applied to the same people.")
    else:
        text += " Counted in the register as it stands now (the pool is not frozen yet)."
    rules = r.pool.rules
    ages = sorted({a for x in rules for a in x.by_age})
    rows = [["Age"] + [f"{x.version} (until {x.until_age})" for x in rules]]
    rows += [[str(a)] + [number(x.by_age[a]) if a in x.by_age else "not liable" for x in rules] for a in ages]
    rows.append(["Total"] + [number(x.total) for x in rules])
    return [Paragraph("1. The pool before and after the age change", s.h2), Paragraph(text, s.body),
            table(rows, [20 * mm] + [38 * mm] * len(rules), s, numeric=set(range(1, len(rules) + 1)), total=True),
            Spacer(1, 4), figure(figs["pool-age"], f"People in the pool by completed years of age on {r.pool.on.isoformat()}.", s),
            figure(figs["pool-region"], "People in the pool by region; the narrow inner bar is the pool under the other age "
                   "limits (table A1 in the appendix).", s)]


def _allocation(r: Any, s: Styles) -> list[Any]:
    fields = ["pool", "volunteers", "quota", "number", "called", "released"]
    national = [["", "Pool", "Volunteers", "Quota", "Number drawn", "Called", "Released"],
                ["All regions"] + [number(sum(getattr(a, f) for a in r.allocation)) for f in fields]]
    return [Paragraph("2. Allocation to regions", s.h2),
            Paragraph(f"The national quota of {number(r.quota)} shared by {r.allocation_method.replace('_', ' ')} in "
                      f"proportion to each region's frozen pool, over {len(r.allocation)} regions; the number drawn adds "
                      f"the over-call of {r.over_call_rate}. Called counts live calls (by the draw and replacements), "
                      "released the calls ended by a case decision. Table A2 in the appendix has every region.", s.body),
            table(national, [30 * mm] + [24 * mm] * 6, s, numeric=set(range(1, 7)))]


def _draw(r: Any, s: Styles) -> list[Any]:
    out: list[Any] = [CondPageBreak(60 * mm), Paragraph("3. The draw record and its verification", s.h2)]
    d = r.draw
    if d is None:
        return out + [Paragraph("The campaign has not been drawn: there is no draw record yet.", s.body)]
    out.append(Paragraph(f"The public record ({', '.join(sorted(d.files.values()))}) was exported beside this report and the "
                         "draw re-run from those files alone, as anyone can with <font name=\"%s\">callup verify "
                         "draw-record.json pool.parquet --announced HASH</font>." % s.mono, s.body))
    out.append(verdict(f"Verification: {d.verdict}", d.verdict == "MATCH", s, cell=False))
    facts = [["Record format", str(d.format_version)], ["Commitment hash", Paragraph(d.commitment_hash, s.code)],
             ["Beacon", Paragraph(esc(d.beacon), s.cell)], ["Beacon value", Paragraph(esc(d.beacon_value), s.code)],
             ["Seed", Paragraph(d.seed, s.code)], ["Pool", Paragraph(f"{number(d.pool_size)} people, fingerprint {d.pool_fingerprint}", s.code)],
             ["Called by the draw", f"{number(d.called_total)} (shortfall {number(d.shortfall_total)})"],
             ["Results fingerprint", Paragraph(d.results_fingerprint, s.code)]]
    out.append(table(facts, [40 * mm, WIDTH - 40 * mm], s, header=False))
    checks = [["Check", "Result", "A pass rules out", "Detail"]]
    checks += [[Paragraph(esc(c.name), s.cell), verdict("ok" if c.ok else "DIFFERS", c.ok, s), Paragraph(esc(c.rules_out), s.cell),
                Paragraph(esc(c.detail), s.code)] for c in d.checks]
    out += [Paragraph("What the verification checks", s.h3), table(checks, [28 * mm, 17 * mm, 60 * mm, WIDTH - 105 * mm], s),
            Paragraph("What no check on these files can rule out", s.h3)]
    out += [Paragraph("• " + re.sub(r"`([^`]+)`", rf'<font name="{s.mono}">\1</font>', esc(limit)), s.body) for limit in d.limits]
    return out


def _funnel(r: Any, s: Styles, figs: dict[str, Any]) -> list[Any]:
    out: list[Any] = [CondPageBreak(60 * mm), Paragraph("4. From called to inducted", s.h2)]
    f = r.funnel
    if f is None:
        return out + [Paragraph("Nobody has been called yet: the campaign has not been drawn.", s.body)]
    out.append(Paragraph(esc(f"Source: {f.source}. {f.note} Table A3 in the appendix has every region."), s.body))
    out.append(figure(figs["funnel"], "The national funnel, stage by stage.", s))
    reasons = sorted({k for row in f.regions for k in row.released})
    rows = [["Stage", "People"]] + [[stage, number(f.total(stage)) if f.total(stage) is not None else "not recorded yet"]
                                    for stage in f.stages]
    rows[2:2] = [[f"  released: {reason.replace('_', ' ')}", number(sum(row.released.get(reason, 0) for row in f.regions))]
                 for reason in reasons]
    out.append(KeepTogether([table(rows, [60 * mm, 30 * mm], s, numeric={1})]))
    if f.total("inducted") is not None:
        out.append(Paragraph(esc(f"Signed a contract during their conscript service: {number(sum(row.converted for row in f.regions))} "
                                 f"of the {number(f.total('inducted'))} inducted (counted once, as inducted)."), s.body))
    if f.outcomes:
        rows = [["Outcome", "People"]] + [[o.replace("_", " "), number(sum(row.outcomes.get(o, 0) for row in f.regions))]
                                          for o in f.outcomes]
        rows.append(["Called", number(f.total("called"))])
        out.append(KeepTogether([
            Paragraph("Where every called person stands", s.h3),
            verdict("The outcomes add up in every region" if f.adds_up else "The outcomes do NOT add up", bool(f.adds_up), s,
                    cell=False),
            table(rows, [60 * mm, 30 * mm], s, numeric={1}, total=True)]))
    return out


def _fairness(r: Any, s: Styles, figs: dict[str, Any]) -> list[Any]:
    out: list[Any] = [CondPageBreak(60 * mm), Paragraph("5. Fairness of the draw", s.h2)]
    fa = r.fairness
    if fa is None:
        return out + [Paragraph("The campaign has not been drawn: there is nothing to test yet.", s.body)]
    out.append(Paragraph("Does a person's place in the draw depend on their birth date, or on when they entered the register "
                         "(the import batch, in import order)? Each person's rank is taken as the share of their region's "
                         "pool ahead of them (uniform between 0 and 1 under a fair draw, whatever the region's size). "
                         f"{len(fa.tests)} tests, each at {fa.level:.4f} (overall level {fa.alpha}, Bonferroni), on "
                         f"{number(fa.n)} people.", s.body))
    if fa.untested:
        out.append(Paragraph(esc(fa.untested), s.body))
    out.append(verdict("FLAGGED" if fa.flagged else "No dependence found", not fa.flagged, s, cell=False))
    rows = [["Test", "Statistic", "p-value", "Rejects"]]
    rows += [[t.name, t.statistic, p_value(t.p_value), verdict("yes" if t.rejects else "no", not t.rejects, s)] for t in fa.tests]
    out.append(table(rows, [75 * mm, 40 * mm, 20 * mm, 20 * mm], s, numeric={2}))
    out += [Paragraph(esc(reason), s.body) for reason in fa.reasons]
    out.append(figure(figs["fairness"], "Mean share of the region's pool ahead of a person, by month of birth, with two "
                      "standard errors; selection rates by region in table A4 of the appendix.", s))
    return out


def _delivery(r: Any, s: Styles, figs: dict[str, Any]) -> list[Any]:
    out: list[Any] = [CondPageBreak(60 * mm), Paragraph("6. Delivery evidence", s.h2)]
    dv = r.delivery
    if dv is None or not dv.regions:
        return out + [Paragraph("No summonses have been issued for this campaign yet.", s.body)]
    out.append(Paragraph("Live summonses by what shows they reached their person: <b>proved</b> (a postal receipt, the person "
                         "opening or acknowledging it in the portal), <b>deemed</b> (the policy's deemed-delivery rule after "
                         f"the days it sets) or <b>not delivered</b> ({number(dv.returned)} returned by the post, "
                         f"{number(dv.awaiting)} without evidence yet).", s.body))
    total = dv.total("total")
    rows = [["", "Summonses", "Share"]] + [[label, number(dv.total(f)), percent(dv.total(f) / total if total else 0)]
                                           for f, label in (("proved", "Proved"), ("deemed", "Deemed"), ("undelivered", "Not delivered"))]
    rows.append(["Total", number(total), "100.0%"])
    out += [table(rows, [40 * mm, 25 * mm, 20 * mm], s, numeric={1, 2}, total=True), Spacer(1, 4),
            figure(figs["delivery"], "Live summonses by region and kind of delivery evidence (table A5 in the appendix).", s)]
    return out


def _guardrail(r: Any, s: Styles) -> list[Any]:
    g = r.guardrail
    rows = [["Status", "Forbidden zones"]] + [[k.replace("_", " "), ", ".join(v) or "none"] for k, v in g.forbidden.items()]
    out: list[Any] = [CondPageBreak(40 * mm), Paragraph("7. Deployment guardrail", s.h2),
                      Paragraph("The policy forbids deploying these service statuses to these zones; a deployment that would "
                                "break the rule is refused and recorded.", s.body), table(rows, [40 * mm, 80 * mm], s)]
    if g.events is None:
        out.append(Paragraph("Guardrail events: not recorded yet. Induction and deployment are recorded by case work, which "
                             "does not record them yet.", s.note))
    elif not g.events:
        out.append(Paragraph("No deployment was refused.", s.body))
    else:
        keys = list(g.events[0])
        out += [Paragraph("Attempts recorded for people called in this campaign", s.h3),
                table([[k.capitalize() for k in keys]] + [[number(e[k]) if isinstance(e[k], int) else str(e[k]).replace("_", " ")
                                                           for k in keys] for e in g.events],
                      [30 * mm] * len(keys), s, numeric={i for i, k in enumerate(keys) if isinstance(g.events[0][k], int)})]
    return out


def _cases(r: Any, s: Styles) -> list[Any]:
    c = r.cases
    out: list[Any] = [CondPageBreak(40 * mm), Paragraph("8. Open cases", s.h2),
                      Paragraph(f"<b>{number(c.total)}</b> case{'' if c.total == 1 else 's'} of this campaign "
                                f"{'is' if c.total == 1 else 'are'} waiting for a decision (or, for civilian service, an "
                                "assignment).", s.body)]
    if c.total:
        rows = [["Kind", "Open", "Median age (days)", "Oldest (days)"]]
        rows += [[k.kind.replace("_", " "), number(k.count), number(k.median_age_days), number(k.oldest_age_days)] for k in c.kinds]
        out.append(table(rows, [45 * mm, 20 * mm, 35 * mm, 30 * mm], s, numeric={1, 2, 3}))
        out += [Paragraph("How long they have waited", s.h3),
                table([list(c.age_buckets), [number(v) for v in c.age_buckets.values()]], [28 * mm] * len(c.age_buckets), s,
                      numeric=set(range(len(c.age_buckets))))]
    return out


def _questionnaire(r: Any, s: Styles) -> list[Any]:
    q = r.questionnaire
    if q is None:
        return []
    held = ", ".join(k.replace("_", " ") for k in q.leave_out_of_pool)
    text = (f"Round {esc(q.round)} was sent on {q.sent_on.isoformat()} to <b>{number(q.sent)}</b> people (answers by "
            f"{q.deadline.isoformat()}); <b>{number(q.answered)}</b> answered ({percent(q.rate)}). "
            + (f"The policy leaves out of the pool people on these open lists: {held}; not answering leaves nobody out."
               if held else "The policy leaves nobody out of the pool on the answers."))
    routes = "; ".join(f"{k.replace('_', ' ')} {number(n)}" for k, n in q.routes.items()) or "none"
    rows = [["Region", "Sent", "Answered", "On paper", "Response rate"]]
    rows += [[f"{row.name} ({row.region})", number(row.sent), number(row.answered), number(row.on_paper), percent(row.rate)]
             for row in q.regions]
    return [CondPageBreak(40 * mm), Paragraph("The self-declaration before the campaign", s.h2), Paragraph(text, s.body),
            Paragraph(f"Open lists the answers sent people to: {routes}.", s.body),
            table(rows, [60 * mm, 22 * mm, 22 * mm, 22 * mm, 28 * mm], s, numeric={1, 2, 3, 4})]


def _projection(r: Any, s: Styles, figs: dict[str, Any]) -> list[Any]:
    out: list[Any] = [CondPageBreak(80 * mm), Paragraph("9. Force projection against the targets", s.h2)]
    pr = r.projection
    if pr is None:
        return out + [Paragraph("No scenario was projected.", s.body)]
    out.append(Paragraph(f"Scenario <b>{esc(pr.scenario)}</b>, {pr.months} months from {esc(pr.series[0]['label'])}: total "
                         "strength (active and reserve) and active strength against the targets.", s.body))
    rows = [["Target", "Level", "Deadline", "At the deadline", "Verdict"]]
    rows += [[t["name"], number(t["target"]), t["deadline"], number(t["value_at_deadline"]),
              verdict(f"met {t['met_label']}" if t["met_by_deadline"] else f"short by {number(t['shortfall_at_deadline'])}",
                      t["met_by_deadline"], s)] for t in pr.targets]
    out += [table(rows, [22 * mm, 28 * mm, 22 * mm, 30 * mm, 45 * mm], s, numeric={1, 3}),
            figure(figs["projection"], "Projected total and active strength by month; dashed: the targets; dotted: the deadline.", s)]
    return out


def _appendix(r: Any, s: Styles) -> list[Any]:
    names = r.region_names
    out: list[Any] = [PageBreak(), Paragraph("Appendix: tables by region", s.h2)]
    rules = r.pool.rules
    rows = [["Region", "Name"] + [x.version for x in rules]]
    rows += [[region, names.get(region, "")] + [number(x.by_region.get(region, 0)) for x in rules] for region in r.pool.in_force.by_region]
    rows.append(["Total", ""] + [number(x.total) for x in rules])
    out += [Paragraph("A1. The pool by region", s.h3), table(rows, [18 * mm, 50 * mm] + [25 * mm] * len(rules), s,
                                                              numeric=set(range(2, 2 + len(rules))), total=True)]
    fields = ["pool", "volunteers", "quota", "number", "called", "released"]
    rows = [["Region", "Name", "Pool", "Volunteers", "Quota", "Number", "Called", "Released"]]
    rows += [[a.region, a.name] + [number(getattr(a, f)) for f in fields] for a in r.allocation]
    rows.append(["Total", ""] + [number(sum(getattr(a, f) for a in r.allocation)) for f in fields])
    out += [Paragraph("A2. Allocation to regions", s.h3),
            table(rows, [16 * mm, 46 * mm] + [18 * mm] * 6, s, numeric=set(range(2, 8)), total=True)]
    if r.funnel is not None:
        f = r.funnel
        reasons = sorted({k for row in f.regions for k in row.released})
        recorded = f.total("inducted") is not None
        head = ["Region", "Called", *[f"Rel.: {x.replace('_', ' ')}" for x in reasons], "Still called", "Summoned", "Delivered",
                "Appeared", "No-show"] + (["Inducted"] if recorded else [])
        rows = [head]
        for row in f.regions:
            rows.append([row.region, number(row.called), *[number(row.released.get(x, 0)) for x in reasons],
                         number(row.still_called), number(row.summoned), number(row.delivered), number(row.appeared),
                         number(row.no_show)] + ([number(row.inducted)] if recorded else []))
        rows.append(["Total", number(f.total("called")), *[number(sum(x.released.get(k, 0) for x in f.regions)) for k in reasons],
                     number(f.total("still called")), number(f.total("summoned")), number(f.total("delivered")),
                     number(f.total("appeared")), number(sum(x.no_show for x in f.regions))]
                    + ([number(f.total("inducted"))] if recorded else []))
        width = (WIDTH - 16 * mm) / (len(head) - 1)
        out += [Paragraph("A3. From called to inducted", s.h3),
                table(rows, [16 * mm] + [width] * (len(head) - 1), s, numeric=set(range(1, len(head))), total=True)]
    if r.fairness is not None:
        rows = [["Region", "Pool", "Number drawn", "Called by the draw", "Selection rate", "Expected"]]
        rows += [[g["region"], number(g["pool"]), number(g["number"]), number(g["called_by_draw"]), percent(g["selection_rate"], 2),
                  percent(g["expected_rate"], 2)] for g in r.fairness.regions]
        out += [Paragraph("A4. Selection rate by region", s.h3),
                table(rows, [18 * mm, 25 * mm, 28 * mm, 32 * mm, 28 * mm, 25 * mm], s, numeric=set(range(1, 6)))]
    if r.delivery is not None and r.delivery.regions:
        rows = [["Region", "Proved", "Deemed", "Not delivered", "Evidence"]]
        rows += [[x.region, number(x.proved), number(x.deemed), number(x.undelivered),
                  ", ".join(f"{k} {number(v)}" for k, v in x.by_source.items())] for x in r.delivery.regions]
        out += [Paragraph("A5. Delivery evidence by region", s.h3),
                table(rows, [18 * mm, 22 * mm, 22 * mm, 28 * mm, WIDTH - 90 * mm], s, numeric={1, 2, 3})]
    return out


def write_campaign(report: Any, path: pathlib.Path) -> pathlib.Path:
    """Write the campaign report as PDF to `path`."""
    r, s = report, Styles()
    figs = _figures(r)
    story: list[Any] = [
        Paragraph(esc(f"Campaign report: {r.campaign}"), s.title),
        Paragraph(esc(f"{r.jurisdiction_name} ({r.jurisdiction}) · status {r.status} · window {r.window[0].isoformat()} to "
                      f"{r.window[1].isoformat()} · eligibility on {r.eligibility_date.isoformat()}"), s.sub),
        Paragraph(esc(f"Policy version {r.policy_version} (policy file SHA-256 {r.policy_sha256[:16]}…) · generated "
                      f"{when(r.generated_at)} by {r.generated_by}"), s.sub),
        Spacer(1, 8), *_summary(r, s), *_pool(r, s, figs), *_allocation(r, s), *_draw(r, s), *_funnel(r, s, figs),
        *_fairness(r, s, figs), *_delivery(r, s, figs), *_guardrail(r, s), *_cases(r, s), *_questionnaire(r, s), *_projection(r, s, figs),
        *_appendix(r, s),
        Spacer(1, 10),
        Paragraph("This report holds no personal data: counts, the public draw record and test statistics only.", s.note),
    ]
    return build(story, path, title=f"Campaign report: {r.campaign}", footer=f"callup · campaign report {r.campaign} · "
                 f"{when(r.generated_at)}", s=s)
