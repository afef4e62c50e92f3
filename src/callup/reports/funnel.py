"""The funnel from called to inducted per region, and delivery evidence per region.

The funnel is built from what the store records: calls (by the draw, as replacements, released
with a reason), the live summonses (delivered, appeared, did not appear) and the service
records of those inducted; case work's campaign report (`casework.casework_funnel`) then places
every called person in one outcome. Every region's row adds up: called = released + still called.
The path called >= summoned (issued a summons) >= delivered >= appeared >= inducted counts people,
released ones included, so that each stage is a part of the one before (`PATH`, the funnel chart).
"""

from __future__ import annotations

from sqlalchemy import func, select

from callup.campaigns.tables import Call, Campaign
from callup.notices.tables import LIVE, Appearance, Summons
from callup.reports.casework import casework_funnel, converted_by_region, inducted_by_region
from callup.reports.model import DeliveryRow, DeliverySection, FunnelRow, FunnelSection
from callup.store.columns import enum_value as _value
from callup.uow import UnitOfWork

calls, summonses, campaigns = Call.__table__, Summons.__table__, Campaign.__table__
PROVED = ("receipt", "portal", "acknowledgement")
STAGES = ["called", "released", "still called", "summoned", "delivered", "appeared", "inducted"]
PATH = ["called", "summoned", "delivered", "appeared", "inducted"]


def _campaign_id(uow: UnitOfWork, name: str) -> int:
    from callup.campaigns.service import _load

    return _load(uow.conn, name)["id"]


def _scoped(uow: UnitOfWork, query, column):  # noqa: ANN001, ANN202
    scope = uow.ctx.region_filter(column)
    return query if scope is None else query.where(scope)


def _summons_counts(uow: UnitOfWork, campaign_id: int) -> list[tuple[str, str, str | None, str | None, int]]:
    """(region, status, delivery source, appearance, count) of the live summonses."""
    query = (select(summonses.c.region, summonses.c.status, summonses.c.delivery_source, summonses.c.appearance, func.count())
             .where(summonses.c.campaign_id == campaign_id, summonses.c.status.in_([s.value for s in LIVE]))
             .group_by(summonses.c.region, summonses.c.status, summonses.c.delivery_source, summonses.c.appearance))
    return [(r, _value(s), src, _value(a), n) for r, s, src, a, n in uow.execute(_scoped(uow, query, summonses.c.region))]


def interim_funnel(uow: UnitOfWork, campaign: str, regions: list[str]) -> FunnelSection:
    """The funnel from calls, summonses and service records."""
    campaign_id = _campaign_id(uow, campaign)
    query = (select(calls.c.region, calls.c.source, calls.c.release_reason, func.count()).where(calls.c.campaign_id == campaign_id)
             .group_by(calls.c.region, calls.c.source, calls.c.release_reason))
    rows: dict[str, dict] = {r: {"draw": 0, "replacement": 0, "released": {}, "summoned": 0, "delivered": 0, "appeared": 0,
                                 "no_show": 0} for r in regions}
    for region, source, reason, n in uow.execute(_scoped(uow, query, calls.c.region)):
        row = rows.setdefault(region, {"draw": 0, "replacement": 0, "released": {}, "summoned": 0, "delivered": 0,
                                       "appeared": 0, "no_show": 0})
        row[_value(source)] += n
        if reason is not None:
            row["released"][_value(reason)] = row["released"].get(_value(reason), 0) + n
    people_summoned = (select(summonses.c.region, func.count(func.distinct(summonses.c.national_id)))
                       .where(summonses.c.campaign_id == campaign_id).group_by(summonses.c.region))
    for region, n in uow.execute(_scoped(uow, people_summoned, summonses.c.region)):
        rows[region]["summoned"] = n
    for region, status, _source, appearance, n in _summons_counts(uow, campaign_id):
        row = rows[region]
        row["delivered"] += n if status in ("delivered", "acknowledged") else 0
        row["appeared"] += n if appearance == Appearance.appeared.value else 0
        row["no_show"] += n if appearance == Appearance.no_show.value else 0
    inducted = inducted_by_region(uow, campaign_id)
    converted = converted_by_region(uow, campaign_id)
    out = [FunnelRow(region, r["draw"], r["replacement"], dict(sorted(r["released"].items())), r["summoned"], r["delivered"],
                     r["appeared"], r["no_show"], inducted.get(region, 0), converted=converted.get(region, 0))
           for region, r in sorted(rows.items())]
    return FunnelSection(
        source="calls, summonses and service records", stages=STAGES, regions=out,
        note="Released people leave the funnel with their reason; their replacements are counted as called. Summoned: "
             "people issued a summons, including those whose summons a release cancelled. Inducted: people with a service "
             "record from this campaign (a conscript who later signed a contract stays counted once).")


def funnel_section(uow: UnitOfWork, campaign: str, regions: list[str]) -> FunnelSection:
    """The funnel recorded by calls, summonses and service records, with case work's outcomes merged in."""
    return casework_funnel(uow, campaign, interim_funnel(uow, campaign, regions))


def delivery_section(uow: UnitOfWork, campaign: str) -> DeliverySection:
    """Live summonses per region by kind of delivery evidence: proved, deemed by the policy's rule, or none."""
    rows: dict[str, dict] = {}
    returned = awaiting = 0
    for region, status, source, _appearance, n in _summons_counts(uow, _campaign_id(uow, campaign)):
        row = rows.setdefault(region, {"proved": 0, "deemed": 0, "undelivered": 0, "by_source": {}})
        if source in PROVED:
            row["proved"] += n
        elif source == "deemed":
            row["deemed"] += n
        else:
            row["undelivered"] += n
            returned += n if status == "returned" else 0
            awaiting += 0 if status == "returned" else n
        key = source or ("returned" if status == "returned" else "no evidence yet")
        row["by_source"][key] = row["by_source"].get(key, 0) + n
    return DeliverySection([DeliveryRow(region, r["proved"], r["deemed"], r["undelivered"], dict(sorted(r["by_source"].items())))
                            for region, r in sorted(rows.items())], returned, awaiting)
