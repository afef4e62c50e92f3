"""What applications (deferral, exemption, civilian service) share: who may apply, and withdrawing one."""

from __future__ import annotations

from typing import Any

from callup.cases import transitions
from callup.cases.errors import CaseStateError
from callup.cases.tables import CaseKind
from callup.cases.views import CaseView, as_view
from callup.uow import UnitOfWork


def live_call(uow: UnitOfWork, campaign: str, national_id: str, kind: CaseKind) -> Any:
    """The person's call, which must not have ended, with no open case of `kind` (`CaseStateError` otherwise)."""
    call = transitions.call_of(uow, campaign, national_id)
    what = kind.value.replace("_", " ")
    if call["release_reason"] is not None:
        raise CaseStateError(f"that person's call in campaign {campaign!r} has ended: no {what} to apply for")
    if transitions.open_cases_of(uow, call["campaign_id"], call["national_id"], kind):
        raise CaseStateError(f"that person already has an open {what} case in campaign {campaign!r}")
    return call


def withdraw(uow: UnitOfWork, case_id: int, *, reason: str | None = None) -> CaseView:
    """The applicant (or an officer for them) withdraws an application or appeal that is still waiting."""
    case = transitions.load(uow, case_id, lock=True)
    return as_view(uow, transitions.transition(uow, case, "withdraw", reason=reason))
