"""Where case work plugs into the campaign report.

Case work (medical board, deferrals, exemptions, alternative service, appeals, induction with its
deployment guardrail, no-shows) lives in `callup.cases`. The report reads it through these
functions only: the inductions per region (service records), the guardrail's attempts as
counts, and `casework_funnel`, the place for a whole funnel from case work's own campaign
report once it offers one.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from callup.reports.model import FunnelSection
from callup.uow import UnitOfWork


def casework_funnel(uow: UnitOfWork, campaign: str) -> FunnelSection | None:
    """THE CASE FUNNEL: case work's own funnel from called to inducted per region, when it offers one.

    None until then; `funnel.funnel_section` builds the funnel from calls, summonses and service
    records (`inducted_by_region`) instead.
    """
    return None


def inducted_by_region(uow: UnitOfWork, campaign_id: int) -> dict[str, int]:
    """People inducted from the campaign (a service record, whatever happened to it since), per region."""
    from callup.cases.tables import ServiceRecord

    records = ServiceRecord.__table__
    query = (select(records.c.region, func.count()).where(records.c.campaign_id == campaign_id).group_by(records.c.region))
    scope = uow.ctx.region_filter(records.c.region)
    if scope is not None:
        query = query.where(scope)
    return dict(uow.execute(query).all())


def guardrail_events(uow: UnitOfWork, campaign: str) -> list[dict] | None:
    """The deployment guardrail's attempts for people called in the campaign, counted by action, status, zone and
    outcome (refused, or made by override): no names."""
    from callup.campaigns.service import _load
    from callup.campaigns.tables import Call
    from callup.cases.guardrail import report

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
