"""The kinds of case, defined beside no table: commands, the web edge and other features name a kind from here."""

from __future__ import annotations

import enum

__all__ = ["CaseKind"]


class CaseKind(enum.Enum):
    medical = "medical"  # medical board: a fitness category from the policy
    deferral = "deferral"  # a policy ground, with an end date when granted
    exemption = "exemption"  # a policy ground, permanent when granted
    civilian_service = "civilian_service"  # alternative civilian service on grounds of conscience
    appeal = "appeal"  # against the decision of another case
    no_show = "no_show"  # a summoned person did not appear: an officer resolves it
