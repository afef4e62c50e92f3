"""The rights a summons gives its person, and their deadlines: one list for the letter and the portal.

The summons letter prints one paragraph per right (its wording key is `Right.letter`) with its
deadline; the portal offers one journey per right and shows the same deadlines. Both read
`rights(version)` and `deadlines(...)` from here, so the letter cannot promise a right the portal
does not offer, or a date the portal does not show.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from callup.policy.model import PolicyVersion

__all__ = ["Deadlines", "Right", "deadlines", "issued_on", "rights"]


@dataclasses.dataclass(frozen=True)
class Right:
    """One right named on the summons.

    `code` names it everywhere (the portal's journey, the case it opens); `letter` is the stem of
    its keys in the letter's wording (`<letter>_heading`, `<letter>`); `deadline` says which of
    the summons' deadlines applies: "apply" (`Deadlines.apply_by`) or "appeal" (`appeal_by`)."""

    code: str
    letter: str
    deadline: str


DEFERRAL = Right("deferral", "deferral", "apply")
EXEMPTION = Right("exemption", "exemption", "apply")
CIVILIAN_SERVICE = Right("civilian_service", "alternative", "apply")
APPEAL = Right("appeal", "appeal", "appeal")
ALL = (DEFERRAL, EXEMPTION, CIVILIAN_SERVICE, APPEAL)


def rights(version: PolicyVersion) -> tuple[Right, ...]:
    """The rights a summons issued under `version` names, in the letter's order: a deferral or an
    exemption only where the policy lists grounds for it; civilian service and the appeal always."""
    return tuple(r for r in ALL if (r is not DEFERRAL or version.deferral_grounds)
                 and (r is not EXEMPTION or version.exemption_grounds))


@dataclasses.dataclass(frozen=True)
class Deadlines:
    """The last day to apply (deferral, exemption, civilian service) and to appeal the summons."""

    apply_by: dt.date
    appeal_by: dt.date

    def of(self, right: Right) -> dt.date:
        return self.apply_by if right.deadline == "apply" else self.appeal_by


def deadlines(version: PolicyVersion, *, issued: dt.date, appointment: dt.date) -> Deadlines:
    """The deadlines of a summons issued on `issued` for an appointment on `appointment`: the policy's
    `notices.response_days` after the issue, and applications no later than the appointment."""
    answer_by = issued + dt.timedelta(days=version.notices.response_days)
    return Deadlines(apply_by=min(answer_by, appointment), appeal_by=answer_by)


def issued_on(printed_at: dt.datetime | None, published_at: dt.datetime | None, today: dt.date) -> dt.date:
    """The day a summons was issued to its person: printed for the post, else published on the portal,
    else `today` (a letter made now)."""
    for at in (printed_at, published_at):
        if at is not None:
            return (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).date()
    return today
