"""Audit events of case work (see `callup.audit`): one entry per transition, in its transaction.

The free-text reason stays in `case_transitions` (it may touch health or family matters); the
entry carries its SHA-256, so the stored reason is tamper-evident without being published.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from callup.audit import AuditEvent


@dataclasses.dataclass(frozen=True, kw_only=True)
class CaseStepped(AuditEvent):
    """case.step: a case moved through its machine (opened, decided, appealed, overturned, ...)."""

    action: ClassVar[str] = "case.step"
    #: The replacement's national id (called, or kept when the call is given back), as a commitment.
    personal: ClassVar[tuple[str, ...]] = ("effect.replacement", "effect.replacement_kept")
    case: int
    kind: str
    campaign: str
    seq: int
    step: str
    from_state: str
    to_state: str
    ground: str | None = None
    evidence: str | None = None
    reason_sha256: str | None = None
    effect: dict[str, Any] | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class CallRestored(AuditEvent):
    """campaign.restore: an overturned decision gave a released person their call back; the replacement stays called."""

    action: ClassVar[str] = "campaign.restore"
    personal: ClassVar[tuple[str, ...]] = ("replacement_kept",)  # a national id: stored as the person's commitment
    campaign: str
    case: int
    release_reason: str
    replacement_kept: str | None
