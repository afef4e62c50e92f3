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


def most_called_region(ctx) -> str:  # noqa: ANN001
    """The region with the most people called: a list of its people tests who replaces whom in the list's order."""
    from collections import Counter

    return Counter(region for _, region in called(ctx)).most_common(1)[0][0]


def as_role(ctx, role: str, *, name: str | None = None, regions: str | None = None, person_id: str | None = None):  # noqa: ANN001, ANN201
    """The same store and clock, acting as someone else."""
    from callup.context import Actor, Role, parse_regions

    return ctx.with_actor(Actor(name or f"test-{role}", Role(role), regions=parse_regions(regions), person_id=person_id))


def same_randomness(ctx):  # noqa: ANN001, ANN201
    """The context with randomness from a fixed seed: two stores set up with it draw the same people."""
    import dataclasses
    import random

    return dataclasses.replace(ctx, random=random.Random(0).randbytes)


def decisions_left(engine):  # noqa: ANN001, ANN201
    """What decisions leave, without ids and times: each case's state, ground, decider and history (with each step's
    effect: the release and who replaced whom), each call with its release and what it replaces, the medical findings
    recorded."""
    from callup.cases.tables import Case, CaseTransition, MedicalFinding

    cases, history, findings, calls = Case.__table__, CaseTransition.__table__, MedicalFinding.__table__, Call.__table__
    with engine.connect() as conn:
        steps: dict[int, list[tuple]] = {}
        for r in conn.execute(select(history).order_by(history.c.case_id, history.c.seq)):
            steps.setdefault(r.case_id, []).append((r.seq, r.from_state, r.step, r.to_state, r.reason, r.effect))
        return (sorted((r.national_id, r.state, r.ground, r.decided_by, r.version, str(r.appeal_deadline), str(r.until),
                        tuple(steps[r.id])) for r in conn.execute(select(cases))),
                sorted(tuple(r) for r in conn.execute(select(calls.c.national_id, calls.c.position, calls.c.release_reason,
                                                             calls.c.replaces))),
                sorted(conn.execute(select(findings.c.category)).scalars()))


def case_steps(engine):  # noqa: ANN001, ANN201
    """The audit log's case steps: (person, step, line of the case's history)."""
    from callup import audit

    return sorted((x.target, x.details["step"], x.details["seq"]) for x in audit.entries(engine, action="case.step"))
