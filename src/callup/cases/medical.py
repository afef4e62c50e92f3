"""The medical board: a fitness category from the policy for a called person.

An inductable category leaves the call as it is (`fit`). A category the policy does not induct
ends the call and calls the next person in the region's reserve order, in the same transaction
(`unfit`). A temporary category (one with `reexamine_months`) does the same, and the person
returns to the pool of the campaigns whose eligibility date is on or after the re-examination
date (`temporarily_unfit`, with `until`). Health details are stored encrypted beside the case;
only the medical role reads them and every read is audited. The reason stored with the
decision names the category, never the details.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, cast

from sqlalchemy import Table, insert, select

from callup.audit import AuditEvent, PersonRead, person
from callup.campaigns.kinds import ReleaseReason
from callup.cases import effects, transitions
from callup.cases.errors import CaseInputError, CaseStateError
from callup.cases.tables import CaseKind, MedicalFinding
from callup.cases.views import CaseView, as_view, case_view
from callup.context import Role
from callup.notices import service as notices
from callup.policy.model import FitnessCategory
from callup.policy.months import add_months
from callup.register.queries import names_of
from callup.uow import UnitOfWork

findings = cast(Table, MedicalFinding.__table__)


@dataclasses.dataclass(frozen=True, kw_only=True)
class FindingsRead(AuditEvent):
    """medical.read: a member of the medical board read the health details of a case."""

    action: ClassVar[str] = "medical.read"
    case: int
    findings: int


@dataclasses.dataclass(frozen=True)
class Findings:
    case: int
    category: str
    details: str | None
    recorded_at: dt.datetime
    recorded_by: str


@dataclasses.dataclass(frozen=True)
class FitnessDecision:
    case: CaseView
    category: str
    inductable: bool
    reexamine_on: dt.date | None
    released: bool
    replacement: str | None
    filled_by: str | None = None  # how the ended call was filled (campaigns.replacements.Replacement.filled_by)


def category(uow: UnitOfWork, code: str) -> FitnessCategory:
    """The fitness category `code` of the policy in force today; `CaseInputError` naming the known ones."""
    known = uow.ctx.policy().in_force(uow.ctx.today()).fitness_categories
    for c in known:
        if c.code == code.strip():
            return c
    raise CaseInputError(f"fitness category {code!r} is not one of the policy's: {', '.join(c.code for c in known)}",
                         field="category")


def latest_reexamination(today: dt.date, found: FitnessCategory) -> dt.date | None:
    """The latest re-examination date a temporary category allows from `today` (None: not temporary)."""
    return add_months(today, found.reexamine_months) if found.reexamine_months is not None else None


def fit_category(uow: UnitOfWork, campaign_id: int, national_id: str) -> str | None:
    """The inductable category the medical board found for the person in the campaign (the latest `fit` case's);
    None when they were not found fit there."""
    return fit_category_among(transitions.person_cases(uow, campaign_id, [national_id])[national_id], campaign_id)


def fit_category_among(rows: Iterable[Any], campaign_id: int) -> str | None:
    """`fit_category`, on the person's cases already read (`transitions.person_cases`)."""
    fit = [r for r in rows if r["campaign_id"] == campaign_id and transitions.value(r["kind"]) == CaseKind.medical.value
           and r["state"] == "fit"]
    return max(fit, key=lambda r: r["id"])["ground"] if fit else None


def open_examination(uow: UnitOfWork, campaign: str, national_id: str, *, reason: str | None = None) -> CaseView:
    """Open a medical board case for a called person whose call is live and who has no open one."""
    return open_examinations(uow, campaign, [national_id], reason=reason)[0]


def open_examinations(uow: UnitOfWork, campaign: str, national_ids: list[str], *, reason: str | None = None) -> list[CaseView]:
    """Open a medical board case for each of a day's people (called, their call live, none open), in a few statements
    whatever their number; if any of them may not have one, `CaseStateError` (or `CaseNotFound`) for the first and
    nothing is opened."""
    called = transitions.calls_of(uow, campaign, national_ids)
    for call in called:
        if call["release_reason"] is not None:
            raise CaseStateError(f"that person's call in campaign {campaign!r} has ended: no examination to hold")
    if not called:
        return []
    already = transitions.open_cases_among(uow, called[0]["campaign_id"], [c["national_id"] for c in called], CaseKind.medical)
    if len({c["national_id"] for c in called}) < len(called) or any(already.values()):
        raise CaseStateError(f"that person already has an open medical case in campaign {campaign!r}")
    return [as_view(uow, row) for row in transitions.open_cases(uow, CaseKind.medical, called, reason=reason)]


@dataclasses.dataclass(frozen=True)
class Finding:
    """One examinee's category at a sitting: the case, the category's code and, for a temporary category, the
    re-examination date (after the sitting, at most the policy's interval away)."""

    case_id: int
    code: str
    reexamine_on: dt.date | None = None


def decide_fitness(uow: UnitOfWork, case_id: int, code: str, *, details: str | None = None, reason: str | None = None,
                   evidence: str | None = None, reexamine_on: dt.date | None = None) -> FitnessDecision:
    """Record the medical board's category; for a category the policy does not induct, end the call and replace.

    `reexamine_on` is required for a temporary category (and only for one): after today, at most the
    policy's interval away. `details` are encrypted; `reason` defaults to the category's description.
    """
    return decide_fitness_each(uow, [Finding(case_id, code, reexamine_on)], details=details, reason=reason,
                               evidence=evidence)[0]


def decide_fitness_each(uow: UnitOfWork, found: Sequence[Finding], *, details: str | None = None, reason: str | None = None,
                        evidence: str | None = None) -> list[FitnessDecision]:
    """`decide_fitness` for each finding of a sitting's list, each with its own category, in a few statements whatever
    its length: the calls that a category ends are released and replaced in the list's order (`effects.release_each`),
    as one by one. All or none: a finding or a case that cannot take its step refuses the list."""
    uow.ctx.require(Role.medical, Role.system, doing="recording a fitness category")
    taking = transitions.load_each(uow, [f.case_id for f in found], lock=True)
    for case in taking:
        if transitions.value(case["kind"]) != CaseKind.medical.value:
            raise CaseInputError(f"{transitions.subject(case)} is not a medical case", field="case")
    if len({case["id"] for case in taking}) < len(taking):
        raise CaseInputError("a case is decided once: the list names one twice", field="case")
    today = uow.ctx.today()
    categories = {f.code: category(uow, f.code) for f in found}
    steps = [_step(categories[f.code], f.reexamine_on, today) for f in found]
    reasons = [reason or f"category {categories[f.code].code}: {categories[f.code].description}" for f in found]
    for case, step, why in zip(taking, steps, reasons, strict=True):
        transitions.precheck(uow, case, step, why)  # before anything changes: a refused step releases nobody
    ending = [case for case, f in zip(taking, found, strict=True) if not categories[f.code].inductable]
    ended = dict(zip((case["id"] for case in ending), effects.release_each(uow, [(c, ReleaseReason.unfit) for c in ending]), strict=True))
    released = [ended.get(case["id"], {}) for case in taking]
    groups: dict[tuple[str, str, dt.date | None, str], list[int]] = {}  # cases taking the same step, one UPDATE each
    for i, (f, step, why) in enumerate(zip(found, steps, reasons, strict=True)):
        groups.setdefault((step, categories[f.code].code, f.reexamine_on, why), []).append(i)
    afters: list[Any] = [None] * len(taking)
    for (step, code, until, why), members in groups.items():
        rows = transitions.transition_each(uow, [taking[i] for i in members], step, reason=why, evidence=evidence, ground=code,
                                           effects=[released[i] for i in members], values={"until": until})
        for i, row in zip(members, rows, strict=True):
            afters[i] = row
    uow.execute(insert(findings), [dict(case_id=case["id"], category=categories[f.code].code, details=(details or "").strip() or None,
                                        recorded_at=uow.now(), recorded_by=uow.actor.label())
                                   for case, f in zip(taking, found, strict=True)])
    return [FitnessDecision(as_view(uow, after), categories[f.code].code, categories[f.code].inductable, f.reexamine_on,
                            bool(effect.get("release")), effect.get("replacement"), effect.get("filled_by"))
            for after, f, effect in zip(afters, found, released, strict=True)]


def _step(found: FitnessCategory, reexamine_on: dt.date | None, today: dt.date) -> str:
    """The medical case's step for category `found`, checking the re-examination date a temporary one needs."""
    if found.reexamine_months is None:
        if reexamine_on is not None:
            raise CaseInputError(f"category {found.code} is not temporary: it has no re-examination date", field="reexamine_on")
        return "find_fit" if found.inductable else "find_unfit"
    latest = add_months(today, found.reexamine_months)
    if reexamine_on is None:  # the board sets it: no silent default
        raise CaseInputError(f"category {found.code} is temporary: give the re-examination date, after today and at most "
                             f"{found.reexamine_months} months away (by {latest.isoformat()})", field="reexamine_on")
    if not today < reexamine_on <= latest:
        raise CaseInputError(f"the re-examination date must be after today and at most {found.reexamine_months} months "
                             f"away (by {latest.isoformat()})", field="reexamine_on")
    return "find_temporarily_unfit"


def read_findings(uow: UnitOfWork, case_id: int, *, reason: str | None = None) -> list[Findings]:
    """The health details of a medical case, oldest first: the medical role only, each read audited."""
    uow.ctx.require(Role.medical, doing="reading health details")
    case = transitions.load(uow, case_id)
    if transitions.value(case["kind"]) != CaseKind.medical.value:
        raise CaseInputError(f"{transitions.subject(case)} is not a medical case", field="case")
    rows = uow.execute(select(findings).where(findings.c.case_id == case["id"]).order_by(findings.c.id)).mappings().all()
    uow.record(FindingsRead(target=person(case["national_id"]), reason=reason, case=case["id"], findings=len(rows)))
    return [Findings(case["id"], r["category"], r["details"], r["recorded_at"], r["recorded_by"]) for r in rows]



# --- the medical board's day and one examination, as the console shows them -----------------------------------------

#: The states of a medical case that hold the board's category.
FOUND = ("fit", "unfit", "temporarily_unfit")
BOARD_READERS = (Role.medical, Role.administrator, Role.auditor, Role.system)


@dataclasses.dataclass(frozen=True)
class ToExamine:
    """One person on the board's list: their appointment (if the list is a day's) and their examination."""

    national_id: str
    name: str
    campaign: str
    region: str
    reference: str | None  # the summons
    start: dt.time | None
    appearance: str | None  # appeared, no_show or None (not recorded yet)
    call_live: bool
    case: int | None  # the person's latest medical case in the campaign
    state: str | None  # its state; None: no examination opened
    category: str | None  # the category found, when decided
    may_open: bool  # an examination can be opened now (the day has come, the call is live, none is open or decided)


@dataclasses.dataclass(frozen=True)
class ExaminationDay:
    office: str | None
    day: dt.date
    offices: dict[str, str]  # code -> "name, address", the actor's regions
    expected: list[ToExamine]  # the office's appointments of the day, by time
    open_elsewhere: list[ToExamine]  # examinations opened and not yet decided, of people not on the day's list


def examination_day(uow: UnitOfWork, *, office: str | None = None, day: dt.date | None = None) -> ExaminationDay:
    """Who the medical board examines at `office` on `day` (default: the actor's office, else the first of their
    regions; today), with each person's examination, and the examinations still open from other days.

    Reading the list is audited per person (`notices.read` for each appointment, `person.read` for each open case).
    `CaseInputError` (field `office`) for an office outside the actor's regions."""

    uow.ctx.require(*BOARD_READERS, doing="listing the medical board's examinations")
    day = day or uow.ctx.today()
    offices = notices.appointment_offices(uow)
    if office is None or not office.strip():
        office = uow.actor.office if uow.actor.office in offices else next(iter(offices), None)
    elif office.strip() not in offices:
        raise CaseInputError(f"office {office.strip()!r} holds no appointments in your regions", field="office")
    office = office.strip() if office else None
    booked = notices.appointments_at(uow, office, day, where="medical board's day") if office else []
    people = {(a.campaign, a.national_id) for a in booked}
    latest = latest_examinations(uow, people)
    waiting = [r for r in _open_examinations(uow) if (r["campaign"], r["national_id"]) not in people]
    for r in waiting:
        uow.record(PersonRead(target=person(r["national_id"]), reason="medical board's open examinations",
                              view=f"case:{r['id']}"))
    names = names_of(uow, [a.national_id for a in booked] + [r["national_id"] for r in waiting])
    ahead = day > uow.ctx.today()  # a day still to come: its people are examined when they come, not before
    expected = []
    for a in booked:
        case = latest.get((a.campaign, a.national_id))
        state = case["state"] if case else None
        live = a.status != "cancelled"
        expected.append(ToExamine(a.national_id, names.get(a.national_id, ""), a.campaign, a.region, a.reference, a.start,
                                  a.appearance, live, case["id"] if case else None, state,
                                  case["ground"] if case and state in FOUND else None,
                                  live and a.appearance != "no_show" and state not in ("open", *FOUND) and not ahead))
    elsewhere = [ToExamine(r["national_id"], names.get(r["national_id"], ""), r["campaign"], r["region"], None, None, None,
                           True, r["id"], r["state"], None, False) for r in waiting]
    return ExaminationDay(office, day, offices, expected, elsewhere)


def latest_examinations(uow: UnitOfWork, people: set[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    """The latest medical case of each (campaign, national id), in one query per 500 people."""
    cases = transitions.cases
    found: dict[tuple[str, str], Any] = {}
    ids = sorted({n for _, n in people})
    for i in range(0, len(ids), 500):
        rows = uow.execute(select(cases.c.id, cases.c.national_id, cases.c.state, cases.c.ground, cases.c.campaign_id)
                           .where(cases.c.kind == CaseKind.medical.value, cases.c.national_id.in_(ids[i:i + 500]))
                           .order_by(cases.c.id)).mappings().all()
        for r in transitions.with_campaign_names(uow, rows):
            if (r["campaign"], r["national_id"]) in people:
                found[(r["campaign"], r["national_id"])] = r
    return found


def _open_examinations(uow: UnitOfWork, *, limit: int = 200) -> list[Any]:
    """Medical cases opened and not decided, in the actor's regions, oldest first (at most `limit`)."""
    cases = transitions.cases
    query = (select(cases.c.id, cases.c.national_id, cases.c.region, cases.c.state, cases.c.campaign_id)
             .where(cases.c.kind == CaseKind.medical.value, cases.c.state == "open").order_by(cases.c.opened_at, cases.c.id))
    scope = uow.ctx.region_filter(cases.c.region)
    if scope is not None:
        query = query.where(scope)
    return transitions.with_campaign_names(uow, uow.execute(query.limit(limit)).mappings().all())


@dataclasses.dataclass(frozen=True)
class Examination:
    """A medical case as the board's page shows it: who, their appointment, the policy's categories to choose
    from, and (once decided) the category found and what it caused."""

    case: CaseView
    name: str
    reference: str | None  # the person's summons in the campaign
    appointment: tuple[str, dt.date, dt.time] | None  # office, day, time
    categories: list[FitnessCategory]
    category: FitnessCategory | None  # the one found
    released: bool
    filled_by: str | None  # reserve, supernumerary or nobody: who took the call that ended
    replacement: str | None  # the national id of the person whose call it now is
    replacement_name: str | None
    replacement_reference: str | None  # their summons, once issued


def examination(uow: UnitOfWork, case_id: int, *, reason: str = "medical examination") -> Examination:
    """One medical case for the board's page; the reads (the case, the summonses shown) are audited.
    `CaseInputError` for a case of another kind."""

    uow.ctx.require(*BOARD_READERS, doing="reading a medical examination")
    case = case_view(uow, case_id, reason=reason)
    if case.kind != CaseKind.medical.value:
        raise CaseInputError(f"case {case.id} is not a medical examination", field="case")
    version = uow.ctx.policy().in_force(uow.ctx.today())
    summons = next((s for s in notices.summonses_of(uow, case.national_id, where=reason) if s.campaign == case.campaign), None)
    found = next((c for c in version.fitness_categories if c.code == case.ground), None) if case.state in FOUND else None
    effect = next((h.effect for h in reversed(case.history) if h.to_state == case.state), None) or {}
    replacement = effect.get("replacement")
    names = names_of(uow, [case.national_id, *([replacement] if replacement else [])])
    theirs = None
    if replacement:
        theirs = next((s.reference for s in notices.summonses_of(uow, replacement, where=reason)
                       if s.campaign == case.campaign and s.status not in ("cancelled", "superseded")), None)
    return Examination(case, names.get(case.national_id, ""), summons.reference if summons else None,
                       (summons.office, summons.date, summons.start) if summons else None, list(version.fitness_categories),
                       found, bool(effect.get("release")), effect.get("filled_by") if effect.get("release") else None,
                       replacement, names.get(replacement) if replacement else None, theirs)
