"""What a decision does beyond its case: end the call (with a replacement) and, when overturned, give it back.

`release` runs the campaign's replacement (`callup.campaigns.replacements.replace`) in the
decision's unit of work and returns the effect to store with the transition. `restore` undoes
exactly that effect: the released person is called again (their release is cleared); the
replacement called meanwhile keeps their call, beyond the region's number (the campaign report
shows it as `supernumerary`), and fills the next call of the region that ends: nobody new is
called then, so the region's count returns to its number.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import and_, select, update

from callup.audit import person
from callup.campaigns import replacements
from callup.campaigns.tables import Call, ReleaseReason
from callup.cases.events import CallRestored
from callup.cases.tables import CaseTransition
from callup.uow import UnitOfWork

calls, history = Call.__table__, CaseTransition.__table__


def release(uow: UnitOfWork, case: Any, reason: ReleaseReason) -> dict[str, Any]:
    """End the person's call for `reason` and fill it; the effect to store.

    The call is filled by a supernumerary call of the region if there is one (a replacement
    kept after the person they replaced got their call back on appeal), which then replaces
    this person; otherwise by the next person in the region's reserve. A person already
    released (by another decision) is not released twice: the effect is then empty, so
    overturning this decision later gives back nothing it did not take.
    """
    replacements._campaign_for_update(uow.conn, case["campaign"])  # one release at a time per campaign, as replace does
    spare = _supernumerary(uow, case)
    if spare is not None:
        return _release_to(uow, case, reason, spare)
    done = replacements.replace(uow, case["campaign"], case["national_id"], reason)
    if done.already_done:
        return {}
    return {"release": reason.value, "replacement": done.replacement}


def _supernumerary(uow: UnitOfWork, case: Any) -> str | None:
    """The region's first live replacement call whose released person is live again, if any."""
    replaced = calls.alias("replaced")
    row = uow.execute(select(calls.c.national_id).join(replaced, and_(
        replaced.c.campaign_id == calls.c.campaign_id, replaced.c.national_id == calls.c.replaces)).where(
        calls.c.campaign_id == case["campaign_id"], calls.c.region == case["region"], calls.c.release_reason.is_(None),
        replaced.c.release_reason.is_(None), calls.c.national_id != case["national_id"])
        .order_by(calls.c.position).limit(1)).first()
    return row.national_id if row else None


def _release_to(uow: UnitOfWork, case: Any, reason: ReleaseReason, spare: str) -> dict[str, Any]:
    """Release the person's call and let the supernumerary `spare` replace them: nobody new is called."""
    from callup.campaigns.events import PersonReleased
    from callup.notices.service import cancel_for_release

    where = and_(calls.c.campaign_id == case["campaign_id"], calls.c.national_id == case["national_id"],
                 calls.c.release_reason.is_(None))
    if uow.execute(update(calls).where(where).values(release_reason=reason, released_at=uow.now())).rowcount != 1:
        return {}
    previous = uow.execute(select(calls.c.replaces).where(calls.c.campaign_id == case["campaign_id"],
                                                          calls.c.national_id == spare)).scalar_one()
    uow.execute(update(calls).where(calls.c.campaign_id == case["campaign_id"], calls.c.national_id == spare)
                .values(replaces=case["national_id"]))
    cancel_for_release(uow, case["campaign_id"], case["national_id"], f"released: {reason.value}")
    uow.record(PersonReleased(target=person(case["national_id"]), campaign=case["campaign"], release_reason=reason.value,
                              replaced_by=spare))
    return {"release": reason.value, "replacement": spare, "supernumerary_of": previous}


def decision_effect(uow: UnitOfWork, case: Any) -> dict[str, Any]:
    """The effect stored with the transition that put the case in its current state."""
    row = uow.execute(select(history.c.effect).where(history.c.case_id == case["id"], history.c.to_state == case["state"])
                      .order_by(history.c.seq.desc()).limit(1)).first()
    return json.loads(row.effect) if row is not None and row.effect else {}


def restore(uow: UnitOfWork, case: Any, effect: dict[str, Any]) -> dict[str, Any]:
    """Undo `effect` (from `release`): the person's call is theirs again; the effect of the undoing."""
    if not effect.get("release"):
        return {}
    where = and_(calls.c.campaign_id == case["campaign_id"], calls.c.national_id == case["national_id"],
                 calls.c.release_reason == effect["release"])
    restored = uow.execute(update(calls).where(where).values(release_reason=None, released_at=None)).rowcount
    if restored != 1:
        return {}
    uow.record(CallRestored(target=person(case["national_id"]), campaign=case["campaign"], case=case["id"],
                            release_reason=effect["release"], replacement_kept=effect.get("replacement")))
    return {"restored": effect["release"], "replacement_kept": effect.get("replacement")}


def is_released(uow: UnitOfWork, case: Any) -> bool:
    reason = uow.execute(select(calls.c.release_reason).where(
        calls.c.campaign_id == case["campaign_id"], calls.c.national_id == case["national_id"])).scalar()
    return reason is not None
