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
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from callup.campaigns import calls
from callup.cases import transitions
from callup.cases.applications import case_of_kind
from callup.cases.errors import CaseInputError, CaseStateError
from callup.cases.tables import Case, CaseKind
from callup.cases.views import CaseView, as_view
from callup.context import Role
from callup.notices.service import move, no_shows
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


@dataclasses.dataclass(frozen=True)
class Resolution:
    """An officer's resolution of one no-show case: reschedule (a slot to be given), excuse or refer, with reasons."""

    case_id: int
    resolution: str
    reason: str


def resolve_no_show(uow: UnitOfWork, case_id: int, resolution: str, *, reason: str, office: str | None = None,
                    date: dt.date | None = None, start: dt.time | None = None) -> CaseView:
    """Reschedule (moving the appointment when a slot is given), excuse, or refer to the policy's authority."""
    slot = (office, date, start) if resolution == "reschedule" and (office or date or start) else None
    return _resolve(uow, [Resolution(case_id, resolution, reason)], slot=slot)[0]


def resolve_no_shows(uow: UnitOfWork, resolutions: Sequence[Resolution]) -> list[CaseView]:
    """`resolve_no_show` for each of an officer's list (no new slot given), in a few statements whatever its length;
    all or none. No resolution ends a call, so the order of the list changes nothing."""
    return _resolve(uow, resolutions, slot=None)


def _resolve(uow: UnitOfWork, resolutions: Sequence[Resolution],
             slot: tuple[str | None, dt.date | None, dt.time | None] | None) -> list[CaseView]:
    """Every resolution checked, then the cases moved, those of the same step and reasons in one UPDATE; `slot`: the
    new appointment of a rescheduled case (`resolve_no_show`, a list of one)."""
    for r in resolutions:
        if r.resolution not in RESOLUTIONS:
            raise CaseInputError(f"resolution {r.resolution!r} is not one of {', '.join(RESOLUTIONS)}", field="resolution")
    if len({r.case_id for r in resolutions}) < len(resolutions):
        raise CaseInputError("a case is resolved once: the list names one twice", field="case")
    taking = [case_of_kind(uow, case["id"], CaseKind.no_show, loaded=case)
              for case in transitions.load_each(uow, [r.case_id for r in resolutions], lock=True)]
    effects: list[dict[str, str]] = []
    for case, r in zip(taking, resolutions, strict=True):
        transitions.precheck(uow, case, r.resolution, r.reason)
        effect: dict[str, str] = {}
        if r.resolution == "refer":
            rule = uow.ctx.policy().in_force(uow.ctx.today()).no_shows
            if rule is None:
                raise CaseStateError("the policy names no authority to refer a no-show to")
            effect["authority"] = rule.referral_authority
        if slot is not None:
            effect["appointment"] = _move(uow, case, *slot)
        effects.append(effect)
    groups: dict[tuple[str, str, str | None], list[int]] = {}  # cases taking the same step for the same reasons
    for i, (r, effect) in enumerate(zip(resolutions, effects, strict=True)):
        ground = effect.get("authority", "no_show")[:64] if r.resolution == "refer" else None
        groups.setdefault((r.resolution, r.reason, ground), []).append(i)
    afters: list[Any] = [None] * len(taking)
    for (resolution, reason, ground), members in groups.items():
        rows = transitions.transition_each(uow, [taking[i] for i in members], resolution, reason=reason, ground=ground,
                                           effects=[effects[i] or None for i in members])
        for i, row in zip(members, rows, strict=True):
            afters[i] = row
    return [as_view(uow, after) for after in afters]


def _move(uow: UnitOfWork, case: Any, office: str | None, date: dt.date | None, start: dt.time | None) -> str:
    """Move the no-show's appointment to the slot given (office, date and start, all three); the new appointment."""
    if not (office and date and start):
        raise CaseInputError("a new appointment needs the office, the date and the start", field="date")
    reference = (case["evidence"] or "").split(":")[0].removeprefix("summons ").strip()
    moved = move(uow, reference, office=office, date=date, start=start, for_open_case=True)
    return f"{moved.office} {moved.date.isoformat()} {moved.start:%H:%M}"
