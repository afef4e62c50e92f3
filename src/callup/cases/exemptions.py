"""Exemptions: permanent, on a ground the policy lists, decided by an officer with reasons.

A granted exemption ends the call (the next person in reserve is called) and keeps the person
out of every later pool (a hold on the register: `callup.cases.availability`).
"""

from __future__ import annotations

from callup.cases import transitions
from callup.cases.applications import live_call
from callup.cases.errors import CaseInputError
from callup.cases.tables import CaseKind
from callup.cases.views import CaseView, as_view
from callup.policy.model import ExemptionGround
from callup.uow import UnitOfWork


def ground_of(uow: UnitOfWork, code: str) -> ExemptionGround:
    """The exemption ground `code` of the policy in force today; `CaseInputError` naming the known ones."""
    known = uow.ctx.policy().in_force(uow.ctx.today()).exemption_grounds
    for g in known:
        if g.code == code.strip():
            return g
    raise CaseInputError(f"exemption ground {code!r} is not one of the policy's: {', '.join(g.code for g in known) or '(none)'}",
                         field="ground")


def apply_for_exemption(uow: UnitOfWork, campaign: str, national_id: str, ground: str, *, evidence: str | None = None,
                        reason: str | None = None) -> CaseView:
    """Record an application for an exemption on a policy ground, with the evidence the ground asks for."""
    found = ground_of(uow, ground)
    call = live_call(uow, campaign, national_id, CaseKind.exemption)
    if found.evidence and not (evidence and evidence.strip()):
        raise CaseInputError(f"ground {found.code} needs evidence: {', '.join(found.evidence)} (a document reference)",
                             field="evidence")
    return as_view(uow, transitions.open_case(uow, campaign, national_id, CaseKind.exemption, reason=reason, evidence=evidence,
                                              ground=found.code, call=call))
