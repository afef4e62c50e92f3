"""A citizen's standing: what the portal's status page shows them, in one view model.

The page, the signed status document and the API read the same answer from here, so they cannot
disagree about what a person is now (summoned, appeared, in service, discharged, released).
"""

from __future__ import annotations

import dataclasses

from callup.context import Role
from callup.military_service.induction import RecordView, records_of
from callup.notices import service as notices
from callup.uow import UnitOfWork

__all__ = ["CitizenStanding", "citizen_standing", "standing_of"]

ENDED = ("cancelled", "superseded")


@dataclasses.dataclass(frozen=True)
class CitizenStanding:
    """What the signed-in citizen sees about themselves."""

    summonses: list[notices.SummonsView]  # newest first
    service: list[RecordView]  # service records, newest first
    places: dict[str, str]  # office code -> name and address, for the newest summons' campaign
    latest: notices.SummonsView | None  # the live summons, else the newest; None: never summoned
    status: str | None  # in words, for `latest`: summoned, appeared, in service, discharged, released, superseded


def citizen_standing(uow: UnitOfWork) -> CitizenStanding:
    """The standing of the citizen acting in `uow` (their own record only)."""
    uow.ctx.require(Role.citizen, doing="reading your standing")
    return standing_of(uow, uow.actor.person_id)


def standing_of(uow: UnitOfWork, person_id: str) -> CitizenStanding:
    """The standing of `person_id` as their portal shows it (for the office's own checks, such as whether
    a status document it signed still says what the person is now; the caller checks visibility)."""
    views = notices.summonses_of(uow, person_id)
    service = records_of(uow, person_id)
    places = notices.office_places(uow, views[0].campaign) if views else {}
    latest = ([v for v in views if v.status not in ENDED] or views or [None])[0]
    return CitizenStanding(views, service, places, latest, None if latest is None else _status(latest, service))


def _status(view: notices.SummonsView, service: list[RecordView]) -> str:
    record = next((r for r in service if r.campaign == view.campaign), None)
    if record is not None:
        return "in service" if record.state == "serving" else "discharged"
    if view.appearance == "appeared":
        return "appeared"
    if view.status in ENDED:
        return "released" if view.status == "cancelled" else "superseded"
    return "summoned"
