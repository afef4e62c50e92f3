"""A citizen's standing: what the portal's status page shows them, in one view model.

The page, the signed status document and the API read the same answer from here, so they cannot
disagree about what a person is now (summoned, appeared, in service, discharged, released).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from callup.cases import rights
from callup.cases.views import CaseView, my_cases
from callup.context import Role
from callup.military_service.induction import RecordView, records_of
from callup.notices import service as notices
from callup.uow import UnitOfWork

__all__ = ["CitizenStanding", "Deadline", "Release", "ToDo", "citizen_standing", "standing_of"]

ENDED = ("cancelled", "superseded")
#: Decisions that end a call, by case kind: the person need not attend.
RELEASING = {"medical": ("unfit", "temporarily_unfit"), "deferral": ("granted",), "exemption": ("granted",),
             "civilian_service": ("granted", "assigned", "completed"), "appeal": ("overturned",)}


@dataclasses.dataclass(frozen=True)
class Deadline:
    """One date the citizen must act by: `what` is "appointment", "apply" (deferral, exemption, civilian
    service), "appeal" (the summons) or "appeal_decision" (of case `case`)."""

    what: str
    on: dt.date
    days_left: int
    case: int | None = None


@dataclasses.dataclass(frozen=True)
class Release:
    """The decision that means the citizen need not attend: its case's kind and state, and the date it
    runs to (a re-examination, the end of a deferral), if any."""

    kind: str
    state: str
    until: dt.date | None
    case: int


@dataclasses.dataclass(frozen=True)
class ToDo:
    """What the citizen needs to do now: the appointment (None once it is cancelled), where, what to bring
    (from the policy), every deadline with the days left, soonest first, the rights they may use now and
    those they may no longer (with why), and the decision that released them, if one did."""

    summons: notices.SummonsView
    appointment: notices.SummonsView | None
    place: str
    bring: list[str]
    deadlines: list[Deadline]
    offers: list[rights.Offer]
    release: Release | None


@dataclasses.dataclass(frozen=True)
class CitizenStanding:
    """What the signed-in citizen sees about themselves."""

    summonses: list[notices.SummonsView]  # newest first
    service: list[RecordView]  # service records, newest first
    places: dict[str, str]  # office code -> name and address, for the newest summons' campaign
    latest: notices.SummonsView | None  # the live summons, else the newest; None: never summoned
    status: str | None  # in words, for `latest`: summoned, appeared, in service, discharged, released, superseded
    todo: ToDo | None = None  # what to do next; None: never summoned


def citizen_standing(uow: UnitOfWork) -> CitizenStanding:
    """The standing of the citizen acting in `uow` (their own record only)."""
    uow.ctx.require(Role.citizen, doing="reading your standing")
    found = standing_of(uow, uow.actor.own_id())
    if found.latest is None:
        return found
    served = found.status in ("in service", "discharged")
    return dataclasses.replace(found, todo=_todo(uow, found.latest, found.places, served))


def standing_of(uow: UnitOfWork, person_id: str) -> CitizenStanding:
    """The standing of `person_id` as their portal shows it (for the office's own checks, such as whether
    a status document it signed still says what the person is now; the caller checks visibility)."""
    views = notices.summonses_of(uow, person_id)
    service = records_of(uow, person_id)
    places = notices.office_places(uow, views[0].campaign) if views else {}
    live = [v for v in views if v.status not in ENDED]
    latest = (live or views)[0] if views else None
    return CitizenStanding(views, service, places, latest, None if latest is None else _status(latest, service))


def _todo(uow: UnitOfWork, view: notices.SummonsView, places: dict[str, str], served: bool) -> ToDo:
    today = uow.ctx.today()
    mine = my_cases(uow)
    cases = [c for c in mine if c.campaign == view.campaign]
    release = _release(cases) if view.status in ENDED else None
    live = view.status not in ENDED and not served and view.appearance is None
    offers = rights.offers(uow, summons=None if view.status in ENDED else view, cases=mine)
    deadlines = []
    if live and view.date >= today:
        deadlines.append(Deadline("appointment", view.date, (view.date - today).days))
    seen = set()
    for o in offers:
        what = {"deferral": "apply", "exemption": "apply", "civilian_service": "apply"}.get(o.code, o.code)
        if o.open and o.by >= today and (what, o.case) not in seen:
            seen.add((what, o.case))
            deadlines.append(Deadline(what, o.by, o.days_left, o.case))
    deadlines.sort(key=lambda d: (d.on, d.what))
    bring = list(uow.ctx.policy().in_force(today).notices.what_to_bring) if live else []
    return ToDo(view, view if live else None, places.get(view.office, view.office), bring, deadlines, offers, release)


def _release(cases: list[CaseView]) -> Release | None:
    """The newest decision that ended the call (cases come newest first)."""
    for c in cases:
        if c.state in RELEASING.get(c.kind, ()) and (c.kind != "appeal" or c.ground == rights.SUMMONS):
            return Release(c.kind, c.state, c.until, c.id)
    return None


def _status(view: notices.SummonsView, service: list[RecordView]) -> str:
    record = next((r for r in service if r.campaign == view.campaign), None)
    if record is not None:
        return "in service" if record.state == "serving" else "discharged"
    if view.appearance == "appeared":
        return "appeared"
    if view.status in ENDED:
        return "released" if view.status == "cancelled" else "superseded"
    return "summoned"
