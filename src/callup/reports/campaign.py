"""The campaign report service: one `CampaignReport` from the services that own each figure.

Pool (`reports.pool`, the same counts as `register.eligibility`), allocation
(`campaigns.service.campaign_summary`), draw record and its verification (`lottery.verify`
re-run on the public record files exported beside the report, as a third party would),
funnel and delivery evidence (`reports.funnel`), fairness (`campaigns.fairness`), open cases
(`cases.views.queue`) and the force projection (`planning.service.projection_report`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pathlib
import statistics
import tempfile
from typing import Any

from callup.context import Context, Role
from callup.reports.casework import guardrail_events
from callup.reports.model import (
    AllocationRow,
    CampaignReport,
    CasesSection,
    DrawSection,
    FairnessSection,
    FairnessTest,
    GuardrailSection,
    OpenCaseKind,
    ProjectionSection,
    QuestionnaireRow,
    QuestionnaireSection,
    VerificationCheck,
)
from callup.store.columns import as_date
from callup.uow import UnitOfWork

READERS = (Role.administrator, Role.auditor, Role.system)
AGE_BUCKETS = ((0, 7), (8, 14), (15, 30), (31, 60), (61, None))


def default_scenario() -> pathlib.Path:
    from callup.examples import path

    return path("scenarios/seed-36-months.toml")


def _bucket(days: int) -> str:
    for low, high in AGE_BUCKETS:
        if high is None or days <= high:
            return f"{low}-{high} days" if high is not None else f"over {low - 1} days"
    raise AssertionError(days)


def cases_section(uow: UnitOfWork, campaign: str) -> CasesSection:
    """Cases waiting for a decision, by kind with their ages, by age bucket and by region."""
    from callup.cases.views import queue

    items = queue(uow, campaign=campaign)
    kinds = []
    for kind in sorted({i.kind for i in items}):
        ages = [i.age_days for i in items if i.kind == kind]
        kinds.append(OpenCaseKind(kind, len(ages), float(statistics.median(ages)), max(ages)))
    buckets = {_bucket(low): 0 for low, _ in AGE_BUCKETS}
    regions: dict[str, int] = {}
    for i in items:
        buckets[_bucket(i.age_days)] += 1
        regions[i.region] = regions.get(i.region, 0) + 1
    return CasesSection(len(items), kinds, buckets, dict(sorted(regions.items())))


def questionnaire_section(uow: UnitOfWork, version: Any, on: dt.date) -> QuestionnaireSection | None:
    """The newest self-declaration round sent on or before `on`, by region (None when none was sent)."""
    from callup.questionnaire.service import rates_by_region

    report = rates_by_region(uow, before=on)
    if report is None:
        return None
    rows = [QuestionnaireRow(r.region, r.region, r.sent, r.answered, r.on_paper, r.rate) for r in report.regions]
    def said(route: str) -> str:
        return route.replace("_", " ").replace("preassessment", "pre-assessment")

    held = [said(k) for k in version.questionnaire.leave_out_of_pool] if version.questionnaire else []
    return QuestionnaireSection(report.round, report.sent_on, report.deadline, report.sent, report.answered, report.rate,
                                rows, {said(k): n for k, n in report.routes.items()}, held)


def _recorded_commitment(ctx: Context, name: str) -> str | None:
    """The commitment hash the audit log recorded at the commit step (before the draw, in the hash chain)."""
    from callup.audit.chain import entries
    from callup.campaigns.events import campaign

    found = entries(ctx.engine(), target=campaign(name), action="campaign.commit")
    return found[-1].details.get("commitment_hash") if found else None


def draw_section(ctx: Context, name: str, public_dir: pathlib.Path, announced: str | None) -> DrawSection:
    """Export the public record to `public_dir` and verify the draw from those files alone, against the
    commitment hash the audit log recorded when the office committed (else `announced`)."""
    from callup.campaigns.service import export_campaign
    from callup.lottery.pool import read_pool
    from callup.lottery.record import load_record
    from callup.lottery.verify import verify

    files = export_campaign(ctx, name, public_dir)
    announced = _recorded_commitment(ctx, name) or announced
    record = load_record(files["record"])
    published = {kind: pathlib.Path(files[kind]).read_bytes() if kind in files else None
                 for kind in ("policy", "quotas", "allocation", "replacements")}
    if published["policy"] is None and ctx.policy().source:
        published["policy"] = pathlib.Path(ctx.policy().source).read_bytes()
    result = verify(record, read_pool(files["pool"]), published_commitment=announced, policy_file=published["policy"],
                    quotas_file=published["quotas"], allocation_file=published["allocation"],
                    replacements_file=published["replacements"])
    commitment = record.commitment
    return DrawSection(
        format_version=result.format_version, commitment_hash=record.commitment_hash, beacon=result.beacon,
        beacon_value=record.beacon_value, seed=record.seed, pool_size=record.pool_size,
        pool_fingerprint=commitment.pool_fingerprint, called_total=record.called_total, shortfall_total=record.shortfall_total,
        results_fingerprint=record.results_fingerprint, verdict=result.verdict,
        checks=[VerificationCheck(c.name, c.ok, c.detail, c.rules_out) for c in result.checks if c.checked], limits=list(result.limits),
        files={kind: pathlib.Path(path).name for kind, path in files.items()})


def fairness_section(ctx: Context, name: str) -> FairnessSection:
    from callup.campaigns.fairness import campaign_fairness

    f = campaign_fairness(ctx, name)
    t, o = f.birth_date_test, f.import_order_test
    level = t.alpha / 3
    tests = [FairnessTest("Spearman rank correlation, birth date and rank", f"rho = {t.spearman_rho:.4f}", t.spearman_p,
                          t.spearman_p < level),
             FairnessTest("Kruskal-Wallis, rank by birth month", f"H = {t.kruskal_h:.2f}", t.kruskal_p, t.kruskal_p < level),
             FairnessTest("Chi-square, birth month by rank tercile", f"chi2 = {t.chi2:.2f} on {t.chi2_dof} df", t.chi2_p,
                          t.chi2_p < level)]
    if o is not None:
        tests += [FairnessTest(f"Spearman rank correlation, import order ({o.batches} batches) and rank",
                               f"rho = {o.spearman_rho:.4f}", o.spearman_p, o.spearman_p < level),
                  FairnessTest("Kruskal-Wallis, rank by import batch", f"H = {o.kruskal_h:.2f}", o.kruskal_p, o.kruskal_p < level),
                  FairnessTest("Chi-square, import batch by rank tercile", f"chi2 = {o.chi2:.2f} on {o.chi2_dof} df", o.chi2_p,
                               o.chi2_p < level)]
    months = [{"month": m.month, "count": m.count, "mean": m.mean, "sem": m.sem} for m in t.months]
    return FairnessSection(t.n, f.alpha, f.flagged, tests, months, list(f.regions), [*t.reasons, *(o.reasons if o else [])],
                           level=level, untested="" if o is not None else
                           "Everyone in this pool entered the register in one import batch, so import order cannot be tested.")


def projection_section(scenario: pathlib.Path) -> ProjectionSection:
    from callup.planning.service import projection_report

    p = projection_report(scenario)
    series = [{"month": r["month"], "label": r["label"], "total": r["total"], "active": r["active"]} for r in p.table]
    return ProjectionSection(p.scenario, p.months, series, list(p.targets))


def campaign_report(ctx: Context, name: str, *, public_dir: pathlib.Path | None = None,
                    scenario: pathlib.Path | None = None) -> CampaignReport:
    """The whole report of campaign `name`; the public record is exported to `public_dir` (a temporary one if None).

    National and read-only: an administrator, an auditor or the system. The context's policy
    file must be the one the campaign was created under (`PolicyChanged` otherwise). Sections
    that need a step the campaign has not reached (no draw yet) are None.
    """
    from callup.campaigns.service import _load, _policy_for, campaign_summary
    from callup.reports.funnel import delivery_section, funnel_section
    from callup.reports.pool import pool_section

    ctx.require(*READERS, doing="writing a campaign report")
    with UnitOfWork(ctx, write=False) as uow:
        row = _load(uow.conn, name)
        jurisdiction = _policy_for(ctx, row, name)  # the rules the campaign was created under, byte for byte
        summary = campaign_summary(uow, name)
        version = next((v for v in jurisdiction.versions if v.version == summary.policy_version), None)
        version = version or jurisdiction.in_force(summary.eligibility_date)
        on = as_date(summary.eligibility_date)
        frozen = row["id"] if summary.pool_size else None  # count the pool the draw was made from, once there is one
        pool = pool_section(uow, jurisdiction, version, on, frozen=frozen)
        drawn = summary.status in ("drawn", "closed")
        funnel = funnel_section(uow, name, [r.region for r in summary.regions]) if drawn else None
        delivery = delivery_section(uow, name) if drawn else None
        cases = cases_section(uow, name)
        events = guardrail_events(uow, name)
        declared = questionnaire_section(uow, version, on)
    names = {r.code: r.name for r in jurisdiction.regions}
    allocation = [AllocationRow(r.region, names.get(r.region, r.region), r.pool, r.volunteers, r.quota, r.number, r.called,
                                r.released) for r in summary.regions]
    draw = fairness = None
    if drawn:
        if public_dir is None:
            with tempfile.TemporaryDirectory() as scratch:
                draw = draw_section(ctx, name, pathlib.Path(scratch), summary.commitment_hash)
        else:
            draw = draw_section(ctx, name, public_dir, summary.commitment_hash)
        fairness = fairness_section(ctx, name)
    forbidden = {rule.status: list(rule.forbidden_zones) for rule in version.deployment}
    return CampaignReport(
        campaign=summary.name, status=summary.status, jurisdiction=jurisdiction.code, jurisdiction_name=jurisdiction.name,
        policy_version=summary.policy_version, policy_sha256=row["policy_sha256"], window=summary.window,
        eligibility_date=on, quota=summary.quota, over_call_rate=summary.over_call_rate,
        allocation_method=summary.allocation_method, generated_at=ctx.now(), generated_by=ctx.actor.label(), pool=pool,
        allocation=allocation, draw=draw, funnel=funnel, fairness=fairness, delivery=delivery,
        guardrail=GuardrailSection(events, forbidden), cases=cases,
        projection=projection_section(scenario or default_scenario()), region_names=names, frozen_pool=summary.pool_size,
        questionnaire=declared and dataclasses.replace(declared, regions=[
            dataclasses.replace(row, name=names.get(row.region, row.region)) for row in declared.regions]))
