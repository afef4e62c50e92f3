"""A small synthetic register imported into a fresh store, and campaign steps in one line each, for campaign tests."""

from __future__ import annotations

import dataclasses
import datetime as dt
import pathlib

from callup.campaigns import replacements, service
from callup.context import FixedClock
from callup.notices import releases
from callup.register.importer import import_register
from callup.register.synth import synthesise
from callup.uow import UnitOfWork

TODAY = dt.date(2026, 11, 1)
WINDOW = (dt.date(2027, 4, 1), dt.date(2027, 7, 15))


def on_day(ctx, day: dt.date):  # noqa: ANN001, ANN201
    """The same context with its clock standing at 09:00 UTC on `day`."""
    return dataclasses.replace(ctx, clock=FixedClock(dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC)))


def load_register(ctx, tmp_path: pathlib.Path, *, people: int = 20_000, seed: int = 11) -> pathlib.Path:  # noqa: ANN001
    policy = ctx.policy()
    path = tmp_path / "register.csv"
    synthesise(path, people=people, seed=seed, regions=policy.region_codes,
               citizenship=policy.versions[-1].registration.citizenships[0], on=TODAY)
    import_register(on_day(ctx, TODAY), path)
    return path


def create(ctx, name: str, *, window=WINDOW, quota: int, over_call: str = "0", method: str = "largest_remainder") -> int:  # noqa: ANN001
    with UnitOfWork(ctx) as uow:
        return service.create_campaign(uow, service.Decree(name=name, window=window, quota=quota, over_call=over_call,
                                                           method=method))


def summary(ctx, name: str) -> service.CampaignSummary:  # noqa: ANN001
    with UnitOfWork(ctx, write=False) as uow:
        return service.campaign_summary(uow, name)


def replace(ctx, name: str, national_id: str, reason: str) -> replacements.Replacement:  # noqa: ANN001
    """A release as the `campaign replace` command makes it: the call filled, the summons cancelled."""
    with UnitOfWork(ctx) as uow:
        return releases.release(uow, name, national_id, reason)


def person(ctx, name: str, national_id: str, reason: str | None = None) -> service.PersonPlace:  # noqa: ANN001
    with UnitOfWork(ctx) as uow:
        return service.person_in_campaign(uow, name, national_id, reason=reason)


def drawn(ctx, name: str = "spring-2027", quota: int = 300, over_call: str = "0.35", beacon: str = "beacon-value-1"):  # noqa: ANN001, ANN201
    create(ctx, name, quota=quota, over_call=over_call)
    service.freeze_campaign(ctx, name)
    service.commit_campaign(ctx, name, beacon_source="drand quicknet round 1000")
    service.draw_campaign(ctx, name, beacon_value=beacon)
    return summary(ctx, name)
