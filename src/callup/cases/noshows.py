"""No-shows: every summoned person recorded as not appearing gets a case an officer resolves.

`open_no_shows` opens one case per no-show recorded on a live summons (`Summons.appearance ==
no_show`) that has none since that record (idempotent). An officer resolves each: rescheduled
(optionally moving the appointment, within the policy's limits), excused with a reason, or
referred to the authority the policy names (`no_shows.referral_authority`). Nothing punitive
follows automatically: there is no step the system may take on a no-show case.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import func, select

from callup.campaigns import calls
from callup.cases import transitions
from callup.cases.applications import case_of_kind
from callup.cases.errors import CaseInputError, CaseStateError
from callup.cases.tables import Case, CaseKind
from callup.cases.views import CaseView, as_view
from callup.context import Role
from callup.notices.service import no_shows
from callup.uow import UnitOfWork

cases = Case.__table__
RESOLUTIONS = ("reschedule", "excuse", "refer")


@dataclasses.dataclass(frozen=True)
class NoShowsOpened:
    campaign: str
    opened_for: dict[str, int]  # the case opened for each person, by national id, in the order opened
    already: int

    @property
    def opened(self) -> list[int]:
        return list(self.opened_for.values())


def open_no_shows(uow: UnitOfWork, campaign: str, *, references: list[str] | None = None) -> NoShowsOpened:
    """Open a case for every recorded no-show in the actor's regions that has no case since it was recorded
    (with `references`, for those summonses only), all of them in a few statements."""
    uow.ctx.require(Role.administrator, Role.officer, Role.system, doing="opening no-show cases")
    campaign_id = calls.campaign_id(uow, campaign)
    if campaign_id is None:
        from callup.campaigns.errors import CampaignNotFound

        raise CampaignNotFound(f"no campaign named {campaign!r}", field="campaign")
    found = no_shows(uow, campaign_id, references=references)
    # the latest no-show case of this campaign opened for each of them (the case index starts with the
    # campaign, so each batch is an index look-up, not a scan of every case)
    latest: dict[str, Any] = {}
    ids = sorted({n.national_id for n in found})
    for i in range(0, len(ids), 500):
        latest.update(uow.execute(select(cases.c.national_id, func.max(cases.c.opened_at))
                                  .where(cases.c.campaign_id == campaign_id, cases.c.national_id.in_(ids[i:i + 500]),
                                         cases.c.kind == CaseKind.no_show.value)
                                  .group_by(cases.c.national_id)).tuples().all())
    to_open = [row for row in found if latest.get(row.national_id) is None or latest[row.national_id] < row.appearance_at]
    opened = transitions.open_cases(
        uow, CaseKind.no_show, transitions.calls_of(uow, campaign, [row.national_id for row in to_open]), ground="no_show",
        evidences=[f"summons {row.reference}: no-show recorded {row.appearance_at:%Y-%m-%d %H:%M}" for row in to_open])
    return NoShowsOpened(campaign, {case["national_id"]: case["id"] for case in opened}, len(found) - len(to_open))


def resolve_no_show(uow: UnitOfWork, case_id: int, resolution: str, *, reason: str, office: str | None = None,
                    date: dt.date | None = None, start: dt.time | None = None) -> CaseView:
    """Reschedule (moving the appointment when a slot is given), excuse, or refer to the policy's authority."""
    if resolution not in RESOLUTIONS:
        raise CaseInputError(f"resolution {resolution!r} is not one of {', '.join(RESOLUTIONS)}", field="resolution")
    case = case_of_kind(uow, case_id, CaseKind.no_show)
    transitions.precheck(uow, case, resolution, reason)
    effect: dict[str, str] = {}
    if resolution == "refer":
        rule = uow.ctx.policy().in_force(uow.ctx.today()).no_shows
        if rule is None:
            raise CaseStateError("the policy names no authority to refer a no-show to")
        effect["authority"] = rule.referral_authority
    if resolution == "reschedule" and (office or date or start):
        if not (office and date and start):
            raise CaseInputError("a new appointment needs the office, the date and the start", field="date")
        from callup.notices.service import move

        reference = (case["evidence"] or "").split(":")[0].removeprefix("summons ").strip()
        moved = move(uow, reference, office=office, date=date, start=start, for_open_case=True)
        effect["appointment"] = f"{moved.office} {moved.date.isoformat()} {moved.start:%H:%M}"
    after = transitions.transition(uow, case, resolution, reason=reason, effect=effect or None,
                                   ground=effect.get("authority", "no_show")[:64] if resolution == "refer" else None)
    return as_view(uow, after)
