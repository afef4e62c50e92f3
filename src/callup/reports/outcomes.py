"""The campaign report: per region and nationally, where every called person stands, and proof that it adds up.

Every called person (drawn or called as a replacement) is counted in exactly one outcome,
tested in this order: `inducted` (a service record), then the release of their call
(`deferred`, `exempted`, `alternative_service`, `unfit`, `left_pool`), then, for a live call,
`awaiting_induction` (found fit), `in_case` (a case waits for a decision) or `awaiting` (not
examined yet). Each region's row carries its identities, checked when the report is built:

    called = drawn + replacements
    called = inducted + deferred + exempted + alternative_service + unfit + left_pool + open
    open   = awaiting_induction + in_case + awaiting
    live   = called - released = counted_to_number + supernumerary

(`supernumerary`: replacements whose released person got their call back on appeal). The
national row is the sum of the regions. `outcome_rows` is the table `callup plan calibrate`
reads (delivered counts those with evidence of delivery or who appeared; appeared counts
those who appeared or were examined; fitness columns count each person's standing category).
"""

from __future__ import annotations

import dataclasses
import io
from typing import Any

from sqlalchemy import select

from callup import csv_output
from callup.campaigns.errors import CampaignNotFound
from callup.campaigns.tables import Call, Campaign, CampaignRegion
from callup.cases.machines import MACHINES
from callup.cases.tables import Case, CaseKind
from callup.cases.views import WAITING
from callup.context import Role
from callup.military_service.tables import ServiceRecord
from callup.notices.tables import Appearance, Summons
from callup.store.columns import enum_value as value
from callup.uow import UnitOfWork

calls, campaigns, regions_t = Call.__table__, Campaign.__table__, CampaignRegion.__table__
cases, records, summonses = Case.__table__, ServiceRecord.__table__, Summons.__table__

FINAL = ("inducted", "deferred", "exempted", "alternative_service", "unfit", "left_pool")
OPEN = ("awaiting_induction", "in_case", "awaiting")
RELEASES = {"deferred": "deferred", "exempted": "exempted", "civilian_service": "alternative_service", "unfit": "unfit",
            "left_pool": "left_pool"}


@dataclasses.dataclass
class RegionReport:
    region: str
    quota: int = 0
    number: int = 0
    called: int = 0
    drawn: int = 0
    replacements: int = 0
    released: int = 0
    live: int = 0
    counted_to_number: int = 0
    supernumerary: int = 0
    delivered: int = 0
    appeared: int = 0
    fitness: dict[str, int] = dataclasses.field(default_factory=dict)
    appealed: int = 0
    outcomes: dict[str, int] = dataclasses.field(default_factory=lambda: dict.fromkeys(FINAL + OPEN, 0))
    open: int = 0
    open_cases: int = 0
    shortfall: int = 0

    def identities(self) -> dict[str, bool]:
        o = self.outcomes
        return {
            "called = drawn + replacements": self.called == self.drawn + self.replacements,
            "called = final outcomes + open": self.called == sum(o[k] for k in FINAL) + self.open,
            "open = awaiting_induction + in_case + awaiting": self.open == sum(o[k] for k in OPEN),
            "live = called - released": self.live == self.called - self.released,
            "live = counted_to_number + supernumerary": self.live == self.counted_to_number + self.supernumerary,
        }


@dataclasses.dataclass(frozen=True)
class CampaignReport:
    campaign: str
    fitness_codes: list[str]
    regions: list[RegionReport]
    national: RegionReport
    adds_up: bool
    identities: dict[str, dict[str, bool]]


def _people(uow: UnitOfWork, campaign_id: int, scope: Any) -> dict[str, Any]:
    """Per called person: region, source, replaced person, release, and what the other tables say of them."""
    def where(col_region: Any, col_campaign: Any) -> list[Any]:
        out = [col_campaign == campaign_id]
        if scope is not None:
            out.append(scope(col_region))
        return out

    people = {r.national_id: {"region": r.region, "source": value(r.source), "replaces": r.replaces,
                              "release": value(r.release_reason)}
              for r in uow.execute(select(calls.c.national_id, calls.c.region, calls.c.source, calls.c.replaces,
                                          calls.c.release_reason).where(*where(calls.c.region, calls.c.campaign_id)))}
    for r in uow.execute(select(summonses.c.national_id, summonses.c.delivered_at, summonses.c.appearance)
                         .where(*where(summonses.c.region, summonses.c.campaign_id))):
        p = people.get(r.national_id)
        if p is not None:
            p["delivered"] = p.get("delivered", False) or r.delivered_at is not None
            p["appeared"] = p.get("appeared", False) or value(r.appearance) == Appearance.appeared.value
    for r in uow.execute(select(cases.c.id, cases.c.national_id, cases.c.kind, cases.c.state, cases.c.ground)
                         .where(*where(cases.c.region, cases.c.campaign_id)).order_by(cases.c.id)):
        p = people.get(r.national_id)
        if p is None:
            continue
        kind = CaseKind(value(r.kind))
        if kind is CaseKind.medical and r.state in ("fit", "unfit", "temporarily_unfit"):
            p["fitness"], p["fit"] = r.ground, r.state == "fit"
        if kind is CaseKind.appeal:
            p["appealed"] = True
        if r.state in WAITING[kind] and r.state not in MACHINES[kind].final:
            p["open_cases"] = p.get("open_cases", 0) + 1
    for r in uow.execute(select(records.c.national_id).where(*where(records.c.region, records.c.campaign_id))):
        if r.national_id in people:
            people[r.national_id]["inducted"] = True
    return people


def _outcome(p: dict[str, Any]) -> str:
    if p.get("inducted"):
        return "inducted"
    if p["release"] is not None:
        return RELEASES[p["release"]]
    if p.get("fit"):
        return "awaiting_induction"
    return "in_case" if p.get("open_cases") else "awaiting"


def campaign_report(uow: UnitOfWork, name: str) -> CampaignReport:
    """The report of campaign `name` in the actor's regions (a regional officer: their regions only)."""
    uow.ctx.require(Role.administrator, Role.officer, Role.medical, Role.auditor, Role.system, doing="reading a campaign report")
    c = uow.execute(select(campaigns.c.id, campaigns.c.name).where(campaigns.c.name == name)).first()
    if c is None:
        raise CampaignNotFound(f"no campaign named {name!r}", field="name")
    scope = uow.ctx.region_filter if uow.ctx.actor.regions is not None else None
    codes = [f.code for f in uow.ctx.policy().in_force(uow.ctx.today()).fitness_categories]
    by_region: dict[str, RegionReport] = {}
    query = select(regions_t.c.region, regions_t.c.quota, regions_t.c.number).where(regions_t.c.campaign_id == c.id)
    for r in uow.execute(query if scope is None else query.where(scope(regions_t.c.region))):
        by_region[r.region] = RegionReport(r.region, quota=r.quota, number=r.number, fitness=dict.fromkeys(codes, 0))
    people = _people(uow, c.id, scope)
    live = {n for n, p in people.items() if p["release"] is None}
    for p in people.values():
        row = by_region.setdefault(p["region"], RegionReport(p["region"], fitness=dict.fromkeys(codes, 0)))
        row.called += 1
        row.drawn += p["source"] == "draw"
        row.replacements += p["source"] == "replacement"
        row.released += p["release"] is not None
        if p["release"] is None:
            row.live += 1
            if p["source"] == "replacement" and p["replaces"] in live:
                row.supernumerary += 1
        examined = p.get("fitness") is not None
        row.appeared += bool(p.get("appeared") or examined or p.get("inducted"))
        row.delivered += bool(p.get("delivered") or p.get("appeared") or examined or p.get("inducted"))
        if examined:
            row.fitness[p["fitness"]] = row.fitness.get(p["fitness"], 0) + 1
        row.appealed += bool(p.get("appealed"))
        row.open_cases += p.get("open_cases", 0)
        row.outcomes[_outcome(p)] += 1
    national = RegionReport("national", fitness=dict.fromkeys(codes, 0))
    for row in by_region.values():
        row.counted_to_number = row.live - row.supernumerary
        row.open = sum(row.outcomes[k] for k in OPEN)
        row.shortfall = max(0, row.quota - row.outcomes["inducted"])
        for f in dataclasses.fields(RegionReport):
            if f.name == "region":
                continue
            mine = getattr(row, f.name)
            if isinstance(mine, dict):
                total = getattr(national, f.name)
                for k, v in mine.items():
                    total[k] = total.get(k, 0) + v
            else:
                setattr(national, f.name, getattr(national, f.name) + mine)
    regions = [by_region[k] for k in sorted(by_region)]
    identities = {r.region: r.identities() for r in [*regions, national]}
    sums = all(getattr(national, f) == sum(getattr(r, f) for r in regions) for f in ("called", "live", "quota", "open"))
    return CampaignReport(name, codes, regions, national, sums and all(all(v.values()) for v in identities.values()), identities)


def outcome_rows(report: CampaignReport) -> list[dict[str, Any]]:
    """The report as the outcome table `callup plan calibrate` reads: one row per region with calls."""
    rows = []
    for r in report.regions:
        if r.called == 0:
            continue
        row = {"campaign": report.campaign, "region": r.region, "called": r.called, "delivered": r.delivered,
               "appeared": r.appeared}
        row.update({f"fitness_{code}": r.fitness.get(code, 0) for code in report.fitness_codes})
        row.update(deferred=r.outcomes["deferred"], exempted=r.outcomes["exempted"],
                   alternative_service=r.outcomes["alternative_service"], inducted=r.outcomes["inducted"])
        rows.append(row)
    return rows


def outcomes_csv(report: CampaignReport) -> str:
    rows = outcome_rows(report)
    out = io.StringIO()
    header = ["campaign", "region", "called", "delivered", "appeared", *[f"fitness_{c}" for c in report.fitness_codes],
              "deferred", "exempted", "alternative_service", "inducted"]
    writer = csv_output.writer(out)
    writer.writerow(header)
    writer.writerows([row.get(name, "") for name in header] for row in rows)
    return out.getvalue()

