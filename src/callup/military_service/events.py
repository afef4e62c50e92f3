"""Audit events of military service (see `callup.audit`): one entry per step of a service record."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from callup.audit import AuditEvent


@dataclasses.dataclass(frozen=True, kw_only=True)
class ServiceStepped(AuditEvent):
    """service.step: a service record moved (inducted, transferred, converted to contract, contract signed, discharged), with the
    unit and any second officer."""

    action: ClassVar[str] = "service.step"
    record: int
    campaign: str
    seq: int
    step: str
    from_state: str
    to_state: str
    unit: str | None = None
    second_officer: str | None = None
