"""The citizen's rights on their summons, online: which they may exercise now, each answer checked as
it is given, and one use case per right that opens the case.

The rights are the letter's (`callup.notices.rights.rights`), with the letter's deadlines: a citizen
applies (deferral, exemption, civilian service) by the summons' `apply_by` and appeals the summons
by its `appeal_by`. An officer recording a late application in writing goes through the kind's own
service (`deferrals.apply_for_deferral`, ...), which has no deadline of its own.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

from callup.cases import civilian, deferrals, exemptions, transitions
from callup.cases.appeals import AppealLate, lodge_appeal, may_appeal
from callup.cases.applications import open_call
from callup.cases.errors import CaseInputError, CaseStateError
from callup.cases.machines import MACHINES
from callup.cases.tables import CaseKind
from callup.cases.views import CaseView, as_view, my_cases
from callup.context import Role
from callup.notices import rights as letter_rights, service as notices
from callup.uow import UnitOfWork

__all__ = ["Offer", "Submitted", "SUMMONS", "appeal_summons", "check_answer", "decide_by", "offers", "sent", "submit", "summons_deadlines"]

#: The ground of an appeal against the summons itself (an appeal of a decision names the decision's kind and state).
SUMMONS = "summons"
ENDED = ("cancelled", "superseded")
#: The answers each right asks for, one page each, in order.
STEPS: dict[str, tuple[str, ...]] = {
    "deferral": ("ground", "evidence"),
    "exemption": ("ground", "evidence"),
    "civilian_service": ("statement",),
    "appeal": ("reason",),
    "appeal_decision": ("reason",),
}
KINDS = {"deferral": CaseKind.deferral, "exemption": CaseKind.exemption, "civilian_service": CaseKind.civilian_service,
         "appeal": CaseKind.appeal, "appeal_decision": CaseKind.appeal}
MAX_TEXT = transitions.MAX_TEXT


@dataclasses.dataclass(frozen=True)
class Offer:
    """One right of the letter for the signed-in citizen: its deadline and whether they may use it now
    (`open`); when not, `why` says so in words (already applied, the deadline passed, the call ended)."""

    code: str
    by: dt.date
    days_left: int
    open: bool
    why: str | None
    case: int | None = None  # the case the right contests (an appeal of a decision)


@dataclasses.dataclass(frozen=True)
class Submitted:
    """What the citizen sent: the case it opened, by when it is decided and which right it was."""

    right: str
    case: CaseView
    decide_by: dt.date


def _me(uow: UnitOfWork) -> str:
    """The signed-in citizen's national id."""
    person = uow.actor.person_id
    if person is None:
        raise CaseStateError("only a signed-in citizen uses the rights of their summons")
    return person


def _live(uow: UnitOfWork) -> notices.SummonsView | None:
    views = notices.summonses_of(uow, _me(uow))
    return next((v for v in views if v.status not in ENDED), None)


def summons_deadlines(uow: UnitOfWork, view: notices.SummonsView) -> letter_rights.Deadlines:
    """The deadlines of summons `view`, as its letter prints them."""
    policy, today = uow.ctx.policy(), uow.ctx.today()
    issued = letter_rights.issued_on(view.printed_at, view.published_at, today)
    return letter_rights.deadlines(policy.in_force(issued), issued=issued, appointment=view.date)


#: An appeal of the summons in these states stands in the way of another (one appeal per summons).
APPEAL_HOLDS = ("lodged", "upheld")


def _summons_appeal(uow: UnitOfWork, campaign_id: int, national_id: str) -> Any:
    """The person's appeal against their summons in the campaign, lodged or upheld (one per summons), if any."""
    from sqlalchemy import select

    from callup.cases.tables import Case

    cases = Case.__table__
    return uow.execute(select(cases.c.id).where(cases.c.campaign_id == campaign_id, cases.c.national_id == national_id,
                                                 cases.c.kind == CaseKind.appeal.value, cases.c.appeals_case_id.is_(None),
                                                 cases.c.state.in_(APPEAL_HOLDS)).limit(1)).first()


def _refusals(uow: UnitOfWork, view: notices.SummonsView | None, cases: list[CaseView]) -> dict[str, str | None]:
    """Why the citizen may not use each right of the letter on summons `view` now, in words (None: they may);
    the call is read once for all of them, and their open cases and any appeal of the summons come from
    `cases` (all the citizen's cases, which the caller has read)."""
    codes = [r.code for r in letter_rights.ALL]
    if view is None:
        return dict.fromkeys(codes, "you have no summons in force")
    try:
        open_call(uow, view.campaign, _me(uow), what="application")
    except CaseStateError:
        return dict.fromkeys(codes, "your call has ended")
    here = [c for c in cases if c.campaign == view.campaign]
    open_kinds = {c.kind for c in here if c.state not in MACHINES[CaseKind(c.kind)].final}
    appealed = any(c.kind == CaseKind.appeal.value and c.appeals_case is None and c.state in APPEAL_HOLDS for c in here)
    due, today = summons_deadlines(uow, view), uow.ctx.today()
    out: dict[str, str | None] = {}
    for right in letter_rights.ALL:
        by = due.of(right)
        if today > by:
            out[right.code] = f"the deadline was {by.isoformat()}"
        elif right.code == "appeal":
            out[right.code] = "you have already appealed this summons" if appealed else None
        else:
            out[right.code] = "you have already applied" if KINDS[right.code].value in open_kinds else None
    return out


#: "Not given": `offers` reads the citizen's summons and cases itself.
_READ = object()


def offers(uow: UnitOfWork, *, summons: Any = _READ, cases: Any = _READ) -> list[Offer]:
    """Every right the letter of the citizen's summons in force names, with its deadline and whether they
    may use it now (none without such a summons), and an appeal of each decision they may still appeal.
    `summons` (their summons in force, or None) and `cases` (their cases) save reading them again."""
    uow.ctx.require(Role.citizen, doing="reading your rights")
    view = _live(uow) if summons is _READ else summons
    mine = my_cases(uow) if cases is _READ else cases
    today = uow.ctx.today()
    out = []
    if view is not None:
        due = summons_deadlines(uow, view)
        issued = letter_rights.issued_on(view.printed_at, view.published_at, today)
        why_not = _refusals(uow, view, mine)
        for right in letter_rights.rights(uow.ctx.policy().in_force(issued)):
            by = due.of(right)
            why = why_not[right.code]
            out.append(Offer(right.code, by, (by - today).days, why is None, why))
    for case in mine:
        if case.kind != CaseKind.appeal.value and case.appeal_deadline is not None and case.appeal_deadline >= today \
                and may_appeal(uow, case.id):
            out.append(Offer("appeal_decision", case.appeal_deadline, (case.appeal_deadline - today).days, True, None, case.id))
    return out


def _text(value: str, field: str, missing: str) -> str:
    text = " ".join(value.split()) if field != "statement" else value.strip()
    if not text:
        raise CaseInputError(missing, field=field)
    if len(text) > MAX_TEXT:
        raise CaseInputError(f"{field} is longer than {MAX_TEXT} characters: shorten it", field=field)
    return text


def check_answer(uow: UnitOfWork, code: str, field: str, answers: Mapping[str, str]) -> None:
    """Check the answer to `field` of right `code` (`CaseInputError` naming the field and what is wrong),
    as `submit` will: a ground of the policy; the evidence its ground asks for; a reason or statement
    that is not empty or only spaces."""
    value = answers.get(field, "")
    if field == "ground":
        if not value.strip():
            raise CaseInputError("choose the ground you apply on", field="ground")
        (deferrals.ground_of if code == "deferral" else exemptions.ground_of)(uow, value)
    elif field == "evidence":
        ground = (deferrals.ground_of if code == "deferral" else exemptions.ground_of)(uow, answers.get("ground", ""))
        registry = getattr(ground, "registry", None)
        if ground.evidence and not registry and not (value.strip() or answers.get("upload")):
            raise CaseInputError(f"give a reference of the document this ground asks for ({', '.join(ground.evidence)}), "
                                 "or upload it", field="evidence")
    elif field == "statement":
        _text(value, "statement", "write your reasons of conscience")
    elif field == "reason":
        _text(value, "reason", "write why you appeal")
    else:
        raise CaseInputError(f"no question {field!r}", field=field)


def decide_by(uow: UnitOfWork, case: CaseView) -> dt.date:
    """The day by which the office decides `case`, from the policy in force when it was opened."""
    opened = (case.opened_at if case.opened_at.tzinfo else case.opened_at.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).date()
    days = uow.ctx.policy().in_force(opened).decisions
    return opened + dt.timedelta(days=days.appeal_days if case.kind == CaseKind.appeal.value else days.application_days)


def appeal_summons(uow: UnitOfWork, reference: str, *, reason: str, evidence: str | None = None) -> CaseView:
    """Appeal the summons `reference` itself (not liable, say): an appeal case with no contested case,
    lodged by its deadline, once. An officer who took no part decides it (`appeals.decide_appeal`):
    upheld, the summons stands; overturned, the call ends."""
    uow.ctx.require(Role.citizen, doing="appealing your summons")
    view = notices.view(uow, reference)
    text = _text(reason or "", "reason", "write why you appeal")
    if view.status in ENDED:
        raise CaseStateError("this summons is no longer in force: there is nothing to appeal")
    due = summons_deadlines(uow, view)
    if uow.ctx.today() > due.appeal_by:
        raise AppealLate(f"the deadline to appeal this summons was {due.appeal_by.isoformat()}: a late appeal cannot be lodged")
    call = open_call(uow, view.campaign, _me(uow), what="appeal")
    if _summons_appeal(uow, call["campaign_id"], call["national_id"]) is not None:
        raise CaseStateError("this summons has already been appealed: one appeal per summons")
    row = transitions.open_case(uow, view.campaign, call["national_id"], CaseKind.appeal, reason=text, evidence=evidence,
                                ground=SUMMONS)
    return as_view(uow, row)


def submit(uow: UnitOfWork, code: str, answers: Mapping[str, str], *, evidence: str | None = None) -> Submitted:
    """Send the citizen's answers for right `code` (after they checked them): every answer checked again,
    the right still open, then the kind's own use case opens the case. `evidence` is the document
    reference with any upload, as stored. `CaseInputError` names the answer that is wrong."""
    uow.ctx.require(Role.citizen, doing="using a right of your summons")
    if code not in STEPS:
        raise CaseInputError(f"no right {code!r}", field="right")
    for field in STEPS[code]:
        check_answer(uow, code, field, answers)
    if code == "appeal_decision":
        contested = answers.get("case", "").strip()
        if not contested.isdigit():
            from callup.cases.errors import CaseNotFound

            raise CaseNotFound("no such case to appeal")
        case = lodge_appeal(uow, int(contested), reason=_text(answers["reason"], "reason", "write why you appeal"), evidence=evidence)
        return Submitted(code, case, decide_by(uow, case))
    view = _live(uow)
    why = _refusals(uow, view, my_cases(uow))[code]
    if why is not None or view is None:
        raise CaseStateError(f"you cannot do this now: {why}")
    if code == "appeal":
        case = appeal_summons(uow, view.reference, reason=answers["reason"], evidence=evidence)
    elif code == "deferral":
        case = deferrals.apply_for_deferral(uow, view.campaign, _me(uow), answers["ground"], evidence=evidence).case
    elif code == "exemption":
        case = exemptions.apply_for_exemption(uow, view.campaign, _me(uow), answers["ground"], evidence=evidence)
    else:
        case = civilian.apply_for_civilian_service(uow, view.campaign, _me(uow), statement=answers["statement"],
                                                   evidence=evidence)
    return Submitted(code, case, decide_by(uow, case))


def sent(uow: UnitOfWork, case_id: int) -> Submitted:
    """One of the signed-in citizen's own cases, as its confirmation page shows it (`CaseNotFound` for
    anyone else's)."""
    from callup.cases.errors import CaseNotFound
    uow.ctx.require(Role.citizen, doing="reading your application")
    for case in my_cases(uow):
        if case.id == case_id:
            right = "appeal_decision" if case.kind == "appeal" and case.ground != SUMMONS else (
                "appeal" if case.kind == "appeal" else case.kind)
            return Submitted(right, case, decide_by(uow, case))
    raise CaseNotFound(f"no case {case_id}")
