"""Where case work plugs into the campaign report.

Case work (medical board, deferrals, exemptions, alternative service, appeals, induction with its
deployment guardrail, no-shows) lives in `callup.cases`. The report reads it through these
functions only: case work's campaign report (the funnel and outcomes per region), the
inductions per region (service records) and the guardrail's attempts as counts.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from callup.reports.model import FunnelSection
from callup.uow import UnitOfWork


def casework_funnel(uow: UnitOfWork, campaign: str, recorded: FunnelSection) -> FunnelSection:
    """THE CASE FUNNEL: case work's campaign report (`callup campaign report`) merged into the recorded funnel.

    Case work places every called person in exactly one outcome (inducted, released with a
    reason, or still open) and checks per region that the outcomes add up; its delivered and
    appeared count what the medical board and induction imply too. The summonses (summoned,
    did not appear) stay from the recorded funnel.
    """
    import dataclasses

    from callup.reports.outcomes import FINAL, OPEN, RELEASES, campaign_report

    work = campaign_report(uow, campaign)
    by_region = {r.region: r for r in work.regions}
    reasons = {outcome: reason for reason, outcome in RELEASES.items()}
    rows = []
    for row in recorded.regions:
        w = by_region.get(row.region)
        if w is None:
            rows.append(row)
            continue
        released = {reasons[k]: n for k, n in w.outcomes.items() if k in reasons and n}
        rows.append(dataclasses.replace(row, called_by_draw=w.drawn, replacements=w.replacements, released=released,
                                        delivered=w.delivered, appeared=w.appeared, inducted=w.outcomes["inducted"],
                                        outcomes=dict(w.outcomes)))
    return dataclasses.replace(
        recorded, source="case work's campaign report, with the summonses", regions=rows, outcomes=[*FINAL, *OPEN],
        adds_up=work.adds_up,
        note="Every called person is in exactly one outcome: inducted, released with a reason, or open (found fit and "
             "awaiting induction, in a case, or not examined yet). Delivered counts evidence of delivery or appearance; "
             "appeared counts those who appeared or were examined. Summoned counts the people issued a summons, the released "
             "included. Replacements are counted as called; a release overturned on appeal gives the person their call "
             "back and keeps their replacement, so replacements can outnumber releases.")


def inducted_by_region(uow: UnitOfWork, campaign_id: int) -> dict[str, int]:
    """People inducted from the campaign (a conscript's service record, whatever happened to it since), per region; a
    contract record opened by a conversion is the same person, not another induction."""
    from callup.military_service.tables import ServiceRecord

    records = ServiceRecord.__table__
    query = (select(records.c.region, func.count()).where(records.c.campaign_id == campaign_id, records.c.converted_from.is_(None))
             .group_by(records.c.region))
    scope = uow.ctx.region_filter(records.c.region)
    if scope is not None:
        query = query.where(scope)
    return dict(uow.execute(query).all())


def converted_by_region(uow: UnitOfWork, campaign_id: int) -> dict[str, int]:
    """People inducted from the campaign who signed a contract during their conscript service, per region."""
    from callup.military_service.tables import ServiceRecord

    records = ServiceRecord.__table__
    query = (select(records.c.region, func.count()).where(records.c.campaign_id == campaign_id, records.c.converted_from.is_not(None))
             .group_by(records.c.region))
    scope = uow.ctx.region_filter(records.c.region)
    if scope is not None:
        query = query.where(scope)
    return dict(uow.execute(query).all())


def guardrail_events(uow: UnitOfWork, campaign: str) -> list[dict] | None:
    """The deployment guardrail's attempts for people called in the campaign, counted by action, status, zone and
    outcome (refused, or made by override): no names."""
    from callup.campaigns.service import _load
    from callup.campaigns.tables import Call
    from callup.military_service.guardrail import report

    attempts = report(uow)
    if not attempts:
        return []
    calls = Call.__table__
    campaign_id = _load(uow.conn, campaign)["id"]
    ids = sorted({a.national_id for a in attempts})
    ours: set[str] = set()
    for i in range(0, len(ids), 500):
        ours |= set(uow.execute(select(calls.c.national_id).where(calls.c.campaign_id == campaign_id,
                                                                   calls.c.national_id.in_(ids[i:i + 500]))).scalars())
    counted = Counter((a.action, a.status, a.zone, a.outcome) for a in attempts if a.national_id in ours)
    return [{"action": action, "status": status, "zone": zone, "outcome": outcome, "attempts": n}
            for (action, status, zone, outcome), n in sorted(counted.items())]
