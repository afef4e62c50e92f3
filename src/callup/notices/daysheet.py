"""An office's day sheet: who is expected at the office today, with what can be recorded for each.

The regional office records a day's appearances from it in one go (`service.record_appearances`);
the sheet says for each person whether an appearance can be recorded now and, if not, why, by the
same rule the recording applies (`service.appearance_refusal`), so the page offers only what the
service will take.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from callup.context import Role
from callup.errors import InputError
from callup.notices import service
from callup.register.queries import names_of
from callup.uow import UnitOfWork

__all__ = ["DaySheet", "SheetLine", "day_sheet"]

READERS = (Role.administrator, Role.officer, Role.auditor, Role.system)


@dataclasses.dataclass(frozen=True)
class SheetLine:
    reference: str
    national_id: str
    name: str
    campaign: str
    start: dt.time
    end: dt.time
    status: str
    appearance: str | None  # recorded for this appointment (None: not yet)
    earlier: str | None  # recorded for an earlier appointment of the summons (a rescheduled no-show)
    refusal: str | None  # why no appearance can be recorded now; None: it can
    inducted: bool = False  # inducted from this campaign: recorded as having come, never as not

    @property
    def shown(self) -> str | None:
        """The appearance the summons holds, as a recording made from this sheet must still find it."""
        return self.appearance or self.earlier


@dataclasses.dataclass(frozen=True)
class DaySheet:
    office: str | None
    day: dt.date
    offices: dict[str, str]  # code -> "name, address", in the actor's regions
    lines: list[SheetLine]  # by time

    @property
    def to_record(self) -> int:
        return sum(line.refusal is None and line.appearance is None for line in self.lines)


def day_sheet(uow: UnitOfWork, *, office: str | None = None) -> DaySheet:
    """The appointments at `office` (default: the actor's office, else the first of their regions) on the
    context's date, with each person's name and what may be recorded. Each line's read is audited.
    `InputError` (field `office`) for an office outside the actor's regions."""
    uow.ctx.require(*READERS, doing="reading an office's day sheet")
    day = uow.ctx.today()
    offices = service.appointment_offices(uow)
    if office is None or not office.strip():
        office = uow.actor.office if uow.actor.office in offices else next(iter(offices), None)
    elif office.strip() not in offices:
        raise InputError(f"office {office.strip()!r} holds no appointments in your regions", field="office")
    office = office.strip() if office else None
    booked = service.appointments_at(uow, office, day, where="office's day sheet") if office else []
    names = names_of(uow, [a.national_id for a in booked])
    inducted = service.inducted_among(uow, [a.reference for a in booked])
    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=ZoneInfo(uow.ctx.timezone))
    lines = []
    for a in booked:
        # An outcome recorded before today's appointment day belongs to an earlier appointment (a no-show rescheduled).
        now = a.appearance if a.appearance and a.appearance_at is not None and _aware(a.appearance_at) >= midnight else None
        lines.append(SheetLine(a.reference, a.national_id, names.get(a.national_id, ""), a.campaign, a.start, a.end, a.status,
                               now, a.appearance if now is None else None,
                               service.appearance_refusal(a.status, a.date, day), a.reference in inducted))
    return DaySheet(office, day, offices, lines)


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)
