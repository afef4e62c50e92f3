"""The transparency report: what may be published about a campaign, aggregate and non-personal.

Every table of counts goes through `disclosure.protect` with the policy's
`publication.disclosure_threshold` (default 5): counts under it show as "<5", and enough others
are withheld ("x") that none can be worked out from the published totals. National facts that
the public draw record already publishes (quota, numbers, the commitment, the seed) are shown
as they are. Nothing here names, counts or ranks a person.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from callup.context import Context, Role
from callup.reports.disclosure import PublishedTable, protect
from callup.reports.model import DeliverySection, FunnelSection, PoolRules
from callup.store.columns import as_date
from callup.uow import UnitOfWork

READERS = (Role.administrator, Role.auditor, Role.system)
RELEASE_REASONS = ("deferred", "exempted", "unfit", "civilian_service", "left_pool")
CASE_KINDS = ("medical", "deferral", "exemption", "civilian_service", "appeal", "no_show")


@dataclasses.dataclass(frozen=True)
class TransparencyReport:
    campaign: str
    status: str
    jurisdiction: str
    jurisdiction_name: str
    policy_version: str
    window: tuple[dt.date, dt.date]
    eligibility_date: dt.date
    generated_at: dt.datetime
    threshold: int
    facts: list[tuple[str, str]]  # national figures already public (the draw record) or large by nature
    draw: dict[str, Any] | None  # the public record's identifiers, for anyone to verify
    fairness: dict[str, Any] | None  # test statistics of the draw
    tables: list[PublishedTable]


def age_bands(rules: PoolRules, width: int = 3) -> list[tuple[str, list[int]]]:
    """Ages of the pool in bands of `width` years: ("18–20", [18, 19, 20]), ..."""
    ages = list(rules.by_age)
    bands = [ages[i:i + width] for i in range(0, len(ages), width)]
    return [(f"{b[0]}–{b[-1]}" if len(b) > 1 else str(b[0]), b) for b in bands]


def pool_tables(now: PoolRules, then: PoolRules | None, regions: list[str], threshold: int) -> list[PublishedTable]:
    added = sorted(set(now.by_age) - set(then.by_age)) if then else []
    note = (f"Ages {added[0]} to {added[-1]} are liable only under version {now.version}." if added else "")
    by_age = protect(f"The eligible pool by age (version {now.version}, until the {now.until_age}th birthday)", "age",
                     [str(a) for a in now.by_age], ["people"], [[n] for n in now.by_age.values()], threshold=threshold,
                     note=note)
    bands = age_bands(now)
    cross = [[sum(now.by_region_age.get(r, {}).get(a, 0) for a in ages) for _, ages in bands] for r in regions]
    by_region = protect("The eligible pool by region and age group", "region", regions, [label for label, _ in bands], cross,
                        threshold=threshold)
    return [by_age, by_region]


def call_table(funnel: FunnelSection, threshold: int) -> PublishedTable:
    values = [[row.still_called] + [row.released.get(k, 0) for k in RELEASE_REASONS] for row in funnel.regions]
    return protect("Calls by region: still called, or released by a case decision", "region",
                   [row.region for row in funnel.regions],
                   ["still called"] + [f"released: {k.replace('_', ' ')}" for k in RELEASE_REASONS], values,
                   threshold=threshold, note="The total is everyone called, by the draw or as a replacement.")


def delivery_table(delivery: DeliverySection, regions: list[str], threshold: int) -> PublishedTable:
    rows = {row.region: row for row in delivery.regions}
    values = []
    for region in regions:
        row = rows.get(region)
        by = row.by_source if row else {}
        values.append([row.proved if row else 0, row.deemed if row else 0, by.get("returned", 0), by.get("no evidence yet", 0)])
    return protect("Summonses by region and delivery evidence", "region", regions,
                   ["proved", "deemed delivered", "returned by the post", "no evidence yet"], values, threshold=threshold,
                   note="Proved: a postal receipt, or the person opened or acknowledged the summons in the portal. Deemed: "
                        "the policy's deemed-delivery rule, after the days it sets.")


def appearance_table(funnel: FunnelSection, threshold: int) -> PublishedTable:
    # Everyone summoned (the released included) is in one column: appeared (or examined), recorded as
    # not appearing on a live summons, or neither.
    values = [[row.appeared, row.no_show, max(0, row.summoned - row.appeared - row.no_show)] for row in funnel.regions]
    return protect("People by region and appearance", "region", [row.region for row in funnel.regions],
                   ["appeared or examined", "did not appear", "summoned, no appearance recorded on a live summons"], values,
                   threshold=threshold, note="Counts the people issued a summons, including people released afterwards "
                                             "(deferred, exempted, ...): appeared counts everyone who appeared or was "
                                             "examined; did not appear, no-shows recorded on a summons still live; the "
                                             "last column, everyone else (a no-show released afterwards included).")


def inducted_table(funnel: FunnelSection, threshold: int) -> PublishedTable:
    return protect("People inducted, by region", "region", [row.region for row in funnel.regions],
                   ["conscripts", "signed a contract during their service"],
                   [[(row.inducted or 0) - row.converted, row.converted] for row in funnel.regions], threshold=threshold,
                   note="People with a service record from this campaign (the total): those who served or serve as conscripts, "
                        "and those who signed a contract during their conscript service.")


def cases_table(items: list[Any], threshold: int) -> PublishedTable:
    regions = sorted({i.region for i in items})
    values = [[sum(1 for i in items if i.region == r and i.kind == k) for k in CASE_KINDS] for r in regions]
    return protect("Cases waiting for a decision, by region and kind", "region", regions,
                   [k.replace("_", " ") for k in CASE_KINDS], values, threshold=threshold,
                   note="Only regions with a case waiting are listed." if regions else "No case is waiting for a decision.")


def _fairness(ctx: Context, name: str) -> dict[str, Any]:
    from callup.reports.campaign import fairness_section

    f = fairness_section(ctx, name)
    return {"n": f.n, "alpha": f.alpha, "flagged": f.flagged, "untested": f.untested,
            "tests": [{"name": t.name, "statistic": t.statistic, "p_value": t.p_value, "rejects": t.rejects} for t in f.tests]}


def transparency_report(ctx: Context, name: str) -> TransparencyReport:
    """The publishable report of campaign `name` under its policy's disclosure threshold."""
    from callup.campaigns.service import _load, _policy_for, campaign_summary, draw_record
    from callup.cases.views import queue
    from callup.reports.funnel import delivery_section, funnel_section
    from callup.reports.pool import pool_section

    ctx.require(*READERS, doing="writing a transparency report")
    with UnitOfWork(ctx, write=False) as uow:
        row = _load(uow.conn, name)
        jurisdiction = _policy_for(ctx, row, name)
        summary = campaign_summary(uow, name)
        version = next(v for v in jurisdiction.versions if v.version == summary.policy_version)
        threshold = version.publication.disclosure_threshold
        on = as_date(summary.eligibility_date)
        frozen = row["id"] if summary.pool_size else None  # count the pool the draw was made from, once there is one
        pool = pool_section(uow, jurisdiction, version, on, frozen=frozen)
        drawn = summary.status in ("drawn", "closed")
        regions = [r.region for r in summary.regions]
        funnel = funnel_section(uow, name, regions) if drawn else None
        delivery = delivery_section(uow, name) if drawn else None
        record = draw_record(uow, name) if drawn else None
        items = queue(uow, campaign=name)
    now, then = pool.in_force, pool.compared
    facts = [("National quota", f"{summary.quota:,}"), ("Over-call", summary.over_call_rate),
             ("People in the frozen pool", f"{summary.pool_size:,}" if summary.pool_size is not None else "not frozen yet"),
             (f"Eligible on {on.isoformat()} under version {now.version} (until the {now.until_age}th birthday)", f"{now.total:,}")]
    if then is not None:
        facts.append((f"Eligible on the same date under version {then.version} (until the {then.until_age}th birthday)",
                      f"{then.total:,}"))
    tables = pool_tables(now, then, regions, threshold)
    draw = None
    if record is not None and funnel is not None and delivery is not None:  # all three once drawn, else none
        facts += [("Called by the draw", f"{record.called_total:,}"), ("Shortfall of the draw", f"{record.shortfall_total:,}")]
        draw = {"commitment_hash": record.commitment_hash, "beacon": record.commitment.describe_beacon(),
                "beacon_value": record.beacon_value, "seed": record.seed, "results_fingerprint": record.results_fingerprint,
                "pool_fingerprint": record.commitment.pool_fingerprint}
        tables += [call_table(funnel, threshold), delivery_table(delivery, regions, threshold), appearance_table(funnel, threshold),
                   inducted_table(funnel, threshold)]
    tables.append(cases_table(items, threshold))
    return TransparencyReport(
        campaign=summary.name, status=summary.status, jurisdiction=jurisdiction.code, jurisdiction_name=jurisdiction.name,
        policy_version=summary.policy_version, window=summary.window, eligibility_date=on, generated_at=ctx.now(),
        threshold=threshold, facts=facts, draw=draw, fairness=_fairness(ctx, name) if drawn else None, tables=tables)
