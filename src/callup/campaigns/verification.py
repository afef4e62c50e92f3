"""Re-verify a campaign's published draw from its published files, as a third party would.

The campaign's public record is exported (`export_campaign`: the same files `callup campaign
export` writes) into a private scratch folder and checked by the same code as `callup verify
FOLDER` (`lottery.verify.verify_files`): nothing is taken from the campaign's tables that the
published files do not carry. The commitment hash announced before the beacon round is not in
those files: the auditor gives it from where it was published (a gazette), or the check is listed
as not done. Each verification is recorded in the audit log (`campaign.verify`).
"""

from __future__ import annotations

import dataclasses
import pathlib
import re
import tempfile
from typing import ClassVar

from callup.audit import AuditEvent
from callup.campaigns.errors import CampaignStateError
from callup.campaigns.events import campaign
from callup.context import Context, Role
from callup.errors import InputError
from callup.lottery.verify import VerifyReport, by_file, published_files, verify_files

__all__ = ["DrawVerified", "PublishedVerification", "verify_published"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class DrawVerified(AuditEvent):
    """campaign.verify: a campaign's published draw was re-verified from its published files (the verdict, the checks
    that failed, whether an announced commitment was given)."""

    action: ClassVar[str] = "campaign.verify"
    match: bool
    failed: list[str]
    announced: str | None


@dataclasses.dataclass(frozen=True)
class PublishedVerification:
    campaign: str
    report: VerifyReport
    files: list[dict]  # the checks by published file (`lottery.verify.by_file`), each file by its name only
    announced: str | None


def verify_published(ctx: Context, name: str, *, announced: str | None = None) -> PublishedVerification:
    """Export campaign `name`'s public record to a scratch folder and re-run `callup verify` on it.

    `announced` is the commitment hash published before the beacon (64 hex digits), checked against
    the record's. `CampaignStateError` when the campaign has not been drawn (no draw record to verify).
    """
    from callup.campaigns.service import export_campaign
    from callup.uow import UnitOfWork

    ctx.require(Role.administrator, Role.auditor, Role.system, doing="re-verifying a campaign's published draw")
    wanted = (announced or "").strip().lower() or None
    if wanted is not None and not re.fullmatch(r"[0-9a-f]{64}", wanted):
        raise InputError("announced commitment: 64 hexadecimal digits (0-9, a-f), as published before the draw",
                         field="announced")
    with tempfile.TemporaryDirectory(prefix="callup-verify-") as scratch:
        folder = pathlib.Path(scratch)
        written = export_campaign(ctx, name, folder)
        if "record" not in written:
            raise CampaignStateError(f"campaign {name} has not been drawn: there is no published draw to verify")
        files = published_files(folder)
        report = verify_files(files, announced=wanted)
        checks = by_file(report, {k: v.name if v else None for k, v in files.items()})
    with UnitOfWork(ctx) as uow:
        uow.record(DrawVerified(target=campaign(name), match=report.match, announced=wanted,
                                failed=[c.name for c in report.checks if c.checked and not c.ok]))
    return PublishedVerification(name, report, checks, wanted)
