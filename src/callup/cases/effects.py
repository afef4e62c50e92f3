"""What a decision does beyond its case: end the call (with a replacement) and, when overturned, give it back.

`release` releases the person (`callup.notices.releases.release`: the campaign fills the call,
the summons is cancelled) in the decision's unit of work and returns the effect to store with the transition. `restore` undoes
exactly that effect: the released person is called again (their release is cleared); the
replacement called meanwhile keeps their call, beyond the region's number (the campaign report
shows it as `supernumerary`), and fills the next call of the region that ends: nobody new is
called then, so the region's count returns to its number. Both are entries of the campaign's
public replacements record.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from callup.audit import person
from callup.campaigns import replacements
from callup.campaigns.kinds import ReleaseReason
from callup.cases.events import CallRestored
from callup.cases.tables import CaseTransition
from callup.notices import releases
from callup.uow import UnitOfWork

history = CaseTransition.__table__


def release(uow: UnitOfWork, case: Any, reason: ReleaseReason) -> dict[str, Any]:
    """End the person's call for `reason`, fill it and cancel their summons (`releases.release`); the effect to store.

    A person already released (by another decision) is not released twice: the effect is then
    empty, so overturning this decision later gives back nothing it did not take.
    """
    return release_each(uow, [(case, reason)])[0]


def release_each(uow: UnitOfWork, ending: Sequence[tuple[Any, ReleaseReason]]) -> list[dict[str, Any]]:
    """`release` for the person of each (case, reason), in the list's order, released together for each campaign
    (`releases.release_many`); the effects to store, one per case."""
    by_campaign: dict[str, list[tuple[Any, ReleaseReason]]] = {}
    for item in ending:
        by_campaign.setdefault(item[0]["campaign"], []).append(item)
    effects: dict[int, dict[str, Any]] = {}
    for campaign, mine in by_campaign.items():
        for (case, reason), done in zip(mine, releases.release_many(uow, campaign, [(c["national_id"], r) for c, r in mine]),
                                        strict=True):
            # how the call was filled (reserve, supernumerary or nobody), so a page can say what the release caused
            effects[case["id"]] = {} if done.already_done else {"release": reason.value, "replacement": done.replacement,
                                                               "filled_by": done.filled_by}
    return [effects[case["id"]] for case, _ in ending]


def release_not_liable(uow: UnitOfWork, case: Any) -> dict[str, Any]:
    """End the call of a person who should not have been called (their appeal against the summons was
    allowed): released as someone who left the pool, with a replacement; the effect to store."""
    return release(uow, case, ReleaseReason.left_pool)


def decision_effect(uow: UnitOfWork, case: Any) -> dict[str, Any]:
    """The effect stored with the transition that put the case in its current state."""
    row = uow.execute(select(history.c.effect).where(history.c.case_id == case["id"], history.c.to_state == case["state"])
                      .order_by(history.c.seq.desc()).limit(1)).first()
    return json.loads(row.effect) if row is not None and row.effect else {}


def restore(uow: UnitOfWork, case: Any, effect: dict[str, Any]) -> dict[str, Any]:
    """Undo `effect` (from `release`): the person's call is theirs again; the effect of the undoing, naming who is now
    beyond the region's number for it (`replacement_kept`: usually the replacement, who keeps their call; the person
    themselves when the call theirs filled is someone else's again)."""
    if not effect.get("release"):
        return {}
    restored = replacements.restore_call(uow, case["campaign_id"], case["national_id"], effect["release"],
                                         effect.get("replacement"))
    if restored is None:
        return {}
    uow.record(CallRestored(target=person(case["national_id"]), campaign=case["campaign"], case=case["id"],
                            release_reason=effect["release"], replacement_kept=restored.beyond))
    return {"restored": effect["release"], "replacement_kept": restored.beyond}

