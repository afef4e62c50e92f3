"""A small drawn campaign with its called people, and contexts for the roles of case work."""

from __future__ import annotations

import datetime as dt
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "campaigns"))

from sqlalchemy import select  # noqa: E402

from callup.campaigns.tables import Call  # noqa: E402
from callup.uow import UnitOfWork  # noqa: E402
from campaign_helpers import drawn, load_register, on_day  # noqa: E402

CAMPAIGN = "spring-2027"
DECISION_DAY = dt.date(2027, 4, 10)


def drawn_campaign(ctx, tmp_path: pathlib.Path, *, people: int = 2000, quota: int = 40):  # noqa: ANN001, ANN201
    """A drawn campaign on a small register; the context's clock moved to a day inside its window."""
    load_register(ctx, tmp_path, people=people)
    drawn(ctx, CAMPAIGN, quota=quota, over_call="0")
    return on_day(ctx, DECISION_DAY)


def called(ctx, *, region: str | None = None, live: bool = True) -> list[tuple[str, str]]:  # noqa: ANN001
    """(national id, region) of the called people, in call order (optionally one region's, only those not released)."""
    calls = Call.__table__
    query = select(calls.c.national_id, calls.c.region).order_by(calls.c.region, calls.c.position)
    if region is not None:
        query = query.where(calls.c.region == region)
    if live:
        query = query.where(calls.c.release_reason.is_(None))
    with UnitOfWork(ctx, write=False) as uow:
        return [(r.national_id, r.region) for r in uow.execute(query)]


def as_role(ctx, role: str, *, name: str | None = None, regions: str | None = None, person_id: str | None = None):  # noqa: ANN001, ANN201
    """The same store and clock, acting as someone else."""
    from callup.context import Actor, Role, parse_regions

    return ctx.with_actor(Actor(name or f"test-{role}", Role(role), regions=parse_regions(regions), person_id=person_id))


def same_randomness(ctx):  # noqa: ANN001, ANN201
    """The context with randomness from a fixed seed: two stores set up with it draw the same people."""
    import dataclasses
    import random

    return dataclasses.replace(ctx, random=random.Random(0).randbytes)
