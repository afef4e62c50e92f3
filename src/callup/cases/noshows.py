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

from sqlalchemy import select

from callup.campaigns import calls
from callup.cases import transitions
from callup.cases.applications import case_of_kind
from callup.cases.errors import CaseInputError, CaseStateError
from callup.cases.tables import Case, CaseKind
from callup.cases.views import CaseView, as_view
from callup.context import Role
from callup.notices.tables import LIVE, Appearance, Summons
from callup.uow import UnitOfWork

cases, summonses = Case.__table__, Summons.__table__
RESOLUTIONS = ("reschedule", "excuse", "refer")


@dataclasses.dataclass(frozen=True)
class NoShowsOpened:
    campaign: str
    opened: list[int]
    already: int


def open_no_shows(uow: UnitOfWork, campaign: str, *, reference: str | None = None) -> NoShowsOpened:
    """Open a case for every recorded no-show in the actor's regions that has no case since it was recorded
    (with `reference`, for that summons only)."""
    uow.ctx.require(Role.administrator, Role.officer, Role.system, doing="opening no-show cases")
    campaign_id = calls.campaign_id(uow, campaign)
    if campaign_id is None:
        from callup.campaigns.errors import CampaignNotFound

        raise CampaignNotFound(f"no campaign named {campaign!r}", field="campaign")
    # One query: the no-shows without a no-show case of this campaign opened since (the case index
    # starts with the campaign, so each check is an index look-up, not a scan of every case).
    case_since = (select(cases.c.id).where(cases.c.campaign_id == campaign_id, cases.c.national_id == summonses.c.national_id,
                                           cases.c.kind == CaseKind.no_show.value, cases.c.opened_at >= summonses.c.appearance_at)
                  .exists())
    query = (select(summonses.c.national_id, summonses.c.reference, summonses.c.appearance_at, case_since.label("already"))
             .where(summonses.c.campaign_id == campaign_id, summonses.c.appearance == Appearance.no_show.value,
                    summonses.c.status.in_([s.value for s in LIVE]))
             .order_by(summonses.c.appearance_at, summonses.c.id))
    if reference is not None:
        query = query.where(summonses.c.reference == reference)
    scope = uow.ctx.region_filter(summonses.c.region)
    opened, already = [], 0
    for row in uow.execute(query if scope is None else query.where(scope)).all():
        if row.already:
            already += 1
            continue
        case = transitions.open_case(uow, campaign, row.national_id, CaseKind.no_show, ground="no_show",
                                     evidence=f"summons {row.reference}: no-show recorded {row.appearance_at:%Y-%m-%d %H:%M}")
        opened.append(case["id"])
    return NoShowsOpened(campaign, opened, already)


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
