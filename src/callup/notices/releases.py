"""A called person's release: the campaign fills their call and their summons is cancelled, in one unit of work.

The campaign knows nothing of summonses (notices sit above campaigns), so the use case that
releases someone lives here and asks each feature for its part: `replacements.replace` ends and
fills the call, `service.cancel_for_releases` cancels the live summonses. Case decisions
(`cases.effects.release`) and the `campaign replace` command both release through this module.
"""

from __future__ import annotations

from collections.abc import Sequence

from callup.campaigns import replacements
from callup.campaigns.kinds import ReleaseReason
from callup.notices.service import cancel_for_releases
from callup.uow import UnitOfWork

__all__ = ["release", "release_many"]


def release(uow: UnitOfWork, campaign: str, national_id: str, reason: ReleaseReason | str) -> replacements.Replacement:
    """Release `national_id` from `campaign` for `reason`: their call is filled (`replacements.replace`, which
    checks the actor) and their live summons cancelled. Releasing someone again changes nothing."""
    return release_many(uow, campaign, [(national_id, reason)])[0]


def release_many(uow: UnitOfWork, campaign: str, items: Sequence[tuple[str, ReleaseReason | str]]) -> list[replacements.Replacement]:
    """`release` for each (national id, reason), in order, in the caller's one transaction: all or nothing, in a few
    statements whatever their number (`replacements.replace_each`, `service.cancel_for_releases`)."""
    done = replacements.replace_each(uow, campaign, items)
    cancel_for_releases(uow, campaign, [(d.released, f"released: {d.reason}") for d in done if not d.already_done])
    return done
