"""Audit events of campaigns (see `callup.audit`): one entry per step, never per person drawn."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from callup.audit import AuditEvent


def campaign(name: str) -> str:
    """The audit target naming a campaign."""
    return f"campaign:{name}"


@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignCreated(AuditEvent):
    """campaign.create: a decree was recorded as a campaign."""

    action: ClassVar[str] = "campaign.create"
    quota: int
    window: str
    policy_version: str
    policy_sha256: str
    over_call_rate: str
    allocation_method: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignDeleted(AuditEvent):
    """campaign.delete: a campaign that was never frozen was deleted."""

    action: ClassVar[str] = "campaign.delete"


@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignFrozen(AuditEvent):
    """campaign.freeze: the eligible pool was snapshotted and the quota allocated to regions."""

    action: ClassVar[str] = "campaign.freeze"
    pool_size: int
    pool_fingerprint: str
    quota: int
    to_call: int
    volunteers: int
    left_out_by_questionnaire: int = 0  # on a route the policy's questionnaire leaves out of the pool


@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignCommitted(AuditEvent):
    """campaign.commit: the commitment to publish before the beacon round was made."""

    action: ClassVar[str] = "campaign.commit"
    commitment_hash: str
    beacon_source: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignDrawn(AuditEvent):
    """campaign.draw: the lottery ran with the beacon value; counts and the results fingerprint."""

    action: ClassVar[str] = "campaign.draw"
    beacon_value: str
    seed: str
    called: int
    shortfall: int
    results_fingerprint: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class PersonReleased(AuditEvent):
    """campaign.release: a called person was released (deferred, exempted, unfit, left the pool)."""

    action: ClassVar[str] = "campaign.release"
    personal: ClassVar[tuple[str, ...]] = ("replaced_by",)  # a national id: stored as the person's commitment
    campaign: str
    release_reason: str
    replaced_by: str | None


@dataclasses.dataclass(frozen=True, kw_only=True)
class PersonCalled(AuditEvent):
    """campaign.call: a person was called as a replacement, from the region's reserve order."""

    action: ClassVar[str] = "campaign.call"
    personal: ClassVar[tuple[str, ...]] = ("replaces",)  # a national id: stored as the person's commitment
    campaign: str
    replaces: str
    position: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignClosed(AuditEvent):
    """campaign.close: a drawn campaign was closed (nobody more is called or replaced in it)."""

    action: ClassVar[str] = "campaign.close"
    called: int
    released: int
    replacements: int = 0  # entries of the replacements record at the close
    replacements_head: str | None = None  # the hash of its last line: a later copy must extend it
