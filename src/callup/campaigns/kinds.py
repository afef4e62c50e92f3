"""The campaign's named values other features use: a campaign's status, how a call was made and why it ended.

Defined here, beside no table, so that case work, notices and military service can name a release
reason or a status without importing `campaigns.tables`; the tables use the same enums.
"""

from __future__ import annotations

import enum

__all__ = ["CallSource", "CampaignStatus", "ReleaseReason"]


class CampaignStatus(enum.Enum):
    created = "created"
    frozen = "frozen"
    committed = "committed"
    drawn = "drawn"
    closed = "closed"


class CallSource(enum.Enum):
    draw = "draw"
    replacement = "replacement"


class ReleaseReason(enum.Enum):
    deferred = "deferred"
    exempted = "exempted"
    unfit = "unfit"
    left_pool = "left_pool"
    civilian_service = "civilian_service"  # alternative civilian service granted
