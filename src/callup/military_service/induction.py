"""Induction and service records: induct, transfer, conversion to contract service, discharge at the end of term,
early discharge.

Induction needs a live call, an inductable category from the medical board, no appeal lodged
(an appeal suspends induction until decided), no application waiting, and never a grant of
civilian service; the service record gets the start, the planned end (start + the policy's
term) and a unit that passes the deployment guardrail (`callup.military_service.guardrail`). A refused
assignment changes nothing but the record of the attempt, and the service returns the refusal
(`Assignment.refused`) so that the edge commits that record and then reports the refusal.

A serving conscript who meets the policy's `contract` conditions on the day of signing (whole
months served, the board's fitness category, age) converts (`convert`): the conscript record ends
`converted` that day and a contract record opens the same day, in the same unit, for the first
contract's term; from then on the deployment rules for `contract` apply to them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, func, insert, select

from callup.audit import person
from callup.campaigns.calls import campaign_names, mark_inducted
from callup.cases import civilian, medical, transitions
from callup.cases.appeals import lodged_appeal
from callup.cases.errors import CaseInputError, CaseNotFound, CaseStateError
from callup.cases.machines import NEW
from callup.military_service import guardrail
from callup.military_service.events import ServiceStepped
from callup.military_service.machines import SERVICE, SERVICE_ROLES
from callup.military_service.tables import ServiceRecord, ServiceStep
from callup.military_service.units import unit_zones
from callup.policy.model import ContractService
from callup.policy.months import add_months
from callup.register import holds
from callup.store.rowids import is_row_id
from callup.store.steps import step_row_returning
from callup.uow import UnitOfWork

__all__ = ["Assignment", "Condition", "ConditionsNotMet", "Conversion", "RecordView", "contract_conditions", "convert",
           "evaluate_conditions", "discharge_due", "discharge_early", "induct", "months_served", "records_of", "service_record", "transfer"]


records, steps = cast(Table, ServiceRecord.__table__), cast(Table, ServiceStep.__table__)
# Built once: every step on a service record reads it and numbers its history.
_RECORD = select(records).where(records.c.id == bindparam("record_id"))
_RECORD_LOCKED = _RECORD.with_for_update()
_ADD_RECORD = insert(records).returning(*records.c, sort_by_parameter_order=True)
_NEXT_SEQ = select(func.coalesce(func.max(steps.c.seq), 0) + 1).where(steps.c.record_id == bindparam("record_id"))
CONSCRIPT = "conscript"
CONTRACT = "contract"


@dataclasses.dataclass(frozen=True)
class RecordView:
    id: int
    campaign: str
    national_id: str
    region: str
    service_status: str
    state: str
    unit: str
    start: dt.date
    planned_end: dt.date
    term_months: int
    ended_on: dt.date | None
    end_reason: str | None
    converted_from: int | None = None  # a contract record: the conscript record it continues


@dataclasses.dataclass(frozen=True)
class Conversion:
    """A conscript's contract: the conscript record ended that day, and the contract record opened the same day."""

    conscript: RecordView
    contract: RecordView | None  # None when the guardrail refused the unit for a contract soldier
    conditions: list[str]  # each condition of the policy and how the conscript met it, in words
    refused: guardrail.Verdict | None = None  # recorded: the edge commits, then reports the refusal


@dataclasses.dataclass(frozen=True)
class Assignment:
    record: RecordView | None  # None when an induction was refused
    refused: guardrail.Verdict | None
    overridden: bool


def _record(uow: UnitOfWork, record_id: int, *, lock: bool = False) -> Any:
    query = _RECORD_LOCKED if lock and uow.conn.dialect.name == "postgresql" else _RECORD
    row = uow.execute(query, {"record_id": int(record_id)}).mappings().first() if is_row_id(record_id) else None
    uow.ctx.check_visible(row and row["region"], row and row["national_id"], error=CaseNotFound(f"no service record {record_id}"))
    return _with_campaign_names(uow, [row])[0]


def _with_campaign_names(uow: UnitOfWork, rows: list[Any]) -> list[dict[str, Any]]:
    names = campaign_names(uow, (r["campaign_id"] for r in rows))
    return [{**r, "campaign": names[r["campaign_id"]]} for r in rows]


def view(row: Any) -> RecordView:
    return RecordView(row["id"], row["campaign"], row["national_id"], row["region"], row["service_status"], row["state"], row["unit"],
                      row["start"], row["planned_end"], row["term_months"], row["ended_on"], row["end_reason"],
                      row.get("converted_from"))


def _require(uow: UnitOfWork, step: str) -> None:
    uow.ctx.require(*sorted(SERVICE_ROLES[step], key=lambda r: r.value), doing=f"the step {step} of a service record")


def _step(uow: UnitOfWork, row: Any, step: str, *, reason: str | None, unit: str | None = None,
          second_officer: str | None = None, values: dict[str, Any] | None = None) -> Any:
    after = SERVICE.step(row["state"], step, subject=f"service record {row['id']}")
    _require(uow, step)
    stepped = step_row_returning(uow, SERVICE, records, row["id"], row["state"], step, subject=f"service record {row['id']}",
                                 column="state", **(values or {}))
    _write_step(uow, row, step, after, reason=reason, unit=unit, second_officer=second_officer,
                seq=uow.execute(_NEXT_SEQ, {"record_id": row["id"]}).scalar_one())
    return {**stepped, "campaign": row["campaign"]}


def _new_record(uow: UnitOfWork, step: str, *, reason: str | None, unit: str, second_officer: str | None = None,
                campaign: str, **values: Any) -> dict[str, Any]:
    """Insert a service record in the state its first `step` (induct, sign) leads to, with that step; the row."""
    return _new_records(uow, step, [dict(reason=reason, unit=unit, second_officer=second_officer, campaign=campaign, **values)])[0]


def _new_records(uow: UnitOfWork, step: str, new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`_new_record` for each of `new` (its keyword arguments): the records in one INSERT, their first steps in another."""
    after = SERVICE.step(NEW, step, subject="a new service record")
    _require(uow, step)
    if not new:
        return []
    now, by = uow.now(), uow.actor.label()
    extra = ("reason", "second_officer", "campaign")
    inserted = uow.execute(_ADD_RECORD, [{**{k: v for k, v in n.items() if k not in extra}, "state": after, "inducted_at": now,
                                          "inducted_by": by} for n in new]).mappings().all()
    rows = [{**row, "campaign": n["campaign"]} for row, n in zip(inserted, new, strict=True)]
    _write_steps(uow, [({**row, "state": NEW}, step, after, n["reason"], n["unit"], n["second_officer"], 1)
                       for row, n in zip(rows, new, strict=True)])
    return rows


def _write_step(uow: UnitOfWork, row: Any, step: str, after: str, *, reason: str | None, unit: str | None,
                second_officer: str | None, seq: int) -> None:
    """The record's step `seq` (row's state to `after`) in its history and in the audit log."""
    _write_steps(uow, [(row, step, after, reason, unit, second_officer, seq)])


def _write_steps(uow: UnitOfWork, taken: list[tuple[Any, str, str, str | None, str | None, str | None, int]]) -> None:
    """`_write_step` for each (row, step, after, reason, unit, second officer, seq) of `taken`: one INSERT."""
    if not taken:
        return
    now, actor = uow.now(), uow.actor
    uow.execute(insert(steps), [dict(record_id=row["id"], seq=seq, from_state=row["state"], step=step, to_state=after, unit=unit,
                                     at=now, actor=actor.label(), role=actor.role.value, reason=reason, second_officer=second)
                                for row, step, after, reason, unit, second, seq in taken])
    for row, step, after, _, unit, second, seq in taken:
        uow.record(ServiceStepped(target=person(row["national_id"]), record=row["id"], campaign=row["campaign"], seq=seq,
                                  step=step, from_state=row["state"], to_state=after, unit=unit, second_officer=second))


def _inductable(uow: UnitOfWork, called: list[Any]) -> None:
    """Refuse induction while anything stands in the way of any of `called` (their calls); the message names what."""
    campaign_id = called[0]["campaign_id"]
    ids = [call["national_id"] for call in called]
    cases = transitions.person_cases(uow, campaign_id, ids)  # one read for the three rules below
    serving = set(uow.execute(select(records.c.national_id).where(records.c.national_id.in_(ids), records.c.state == "serving"))
                  .scalars())
    for call in called:
        mine = cases[call["national_id"]]
        if civilian.granted_among(mine):
            raise CaseStateError("that person was granted alternative civilian service: never inducted into the military")
        if call["release_reason"] is not None:
            raise CaseStateError(f"that person's call in campaign {call['campaign']!r} has ended: no induction")
        open_cases = transitions.open_among(r for r in mine if r["campaign_id"] == call["campaign_id"])
        if lodged_appeal(open_cases) is not None:
            raise CaseStateError("that person has an appeal lodged: induction waits until it is decided")
        waiting = [c for c in open_cases
                   if transitions.value(c["kind"]) in ("deferral", "exemption", "civilian_service") and c["state"] == "applied"]
        if waiting:
            c = waiting[0]
            raise CaseStateError(f"case {c['id']} ({transitions.value(c['kind']).replace('_', ' ')}) waits for a decision: "
                                 "decide it before induction")
        if medical.fit_category_among(mine, call["campaign_id"]) is None:
            raise CaseStateError("that person has no inductable category from the medical board in this campaign")
        if call["national_id"] in serving:
            raise CaseStateError("that person is already serving")


def induct(uow: UnitOfWork, campaign: str, national_id: str, *, unit: str, start: dt.date, second_officer: str | None = None,
           override_reason: str | None = None) -> Assignment:
    """Induct a called, fit person as a conscript into `unit` from `start`, through the guardrail."""
    return induct_all(uow, campaign, [(national_id, unit)], start=start, second_officer=second_officer,
                      override_reason=override_reason)[0]


def induct_all(uow: UnitOfWork, campaign: str, assignments: list[tuple[str, str]], *, start: dt.date,
               second_officer: str | None = None, override_reason: str | None = None) -> list[Assignment]:
    """Induct called, fit people as conscripts, each (national id, unit) of `assignments` into their unit from `start`,
    through the guardrail, as `induct` one by one would, in a few statements whatever their number: a day's
    inductions. If any of them may not be inducted, the error says why (for the first) and nobody is; a unit the
    guardrail refuses refuses that person only (their `Assignment` says why)."""
    uow.ctx.require(*sorted(SERVICE_ROLES["induct"], key=lambda r: r.value), doing="inducting")
    if not assignments:
        return []
    called = transitions.calls_of(uow, campaign, [n for n, _ in assignments])
    if len({call["national_id"] for call in called}) < len(called):
        raise CaseInputError("a person is inducted once: the list names someone twice", field="national_id")
    _inductable(uow, called)
    if start < uow.ctx.today() - dt.timedelta(days=31):
        raise CaseInputError("an induction cannot start more than a month in the past", field="start")
    zones = unit_zones(uow, [unit for _, unit in assignments])
    verdicts = [guardrail.check(uow, national_id=call["national_id"], region=call["region"], status=CONSCRIPT, unit=unit,
                                action="induct", second_officer=second_officer, override_reason=override_reason,
                                zone=zones[unit.strip()])
                for call, (_, unit) in zip(called, assignments, strict=True)]
    term = uow.ctx.policy().in_force(start).service.term_months
    allowed = [(call, unit.strip(), v) for call, (_, unit), v in zip(called, assignments, verdicts, strict=True) if v.allowed]
    rows = iter(_new_records(uow, "induct", [
        dict(reason=override_reason if v.overridden else None, unit=unit, second_officer=second_officer if v.overridden else None,
             campaign=call["campaign"], campaign_id=call["campaign_id"], national_id=call["national_id"], region=call["region"],
             service_status=CONSCRIPT, start=start, planned_end=add_months(start, term), term_months=term)
        for call, unit, v in allowed]))
    mark_inducted(uow, called[0]["campaign_id"], [call["national_id"] for call, _, _ in allowed])  # notices and case work ask the call
    holds.hold_all(uow, [(call["national_id"], f"induction {call['campaign_id']}", None) for call, _, _ in allowed])  # for good
    return [Assignment(view(next(rows)), None, v.overridden) if v.allowed else Assignment(None, v, False) for v in verdicts]


def transfer(uow: UnitOfWork, record_id: int, *, unit: str, reason: str, second_officer: str | None = None,
             override_reason: str | None = None) -> Assignment:
    """Move a serving person to another unit, through the guardrail."""
    row = _record(uow, record_id, lock=True)
    SERVICE.step(row["state"], "transfer", subject=f"service record {row['id']}")
    if not reason or not reason.strip():
        raise CaseInputError("a transfer needs a reason", field="reason")
    verdict = guardrail.check(uow, national_id=row["national_id"], region=row["region"], status=row["service_status"], unit=unit,
                              action="transfer", record_id=row["id"], second_officer=second_officer,
                              override_reason=override_reason)
    if not verdict.allowed:
        return Assignment(view(row), verdict, False)
    after = _step(uow, row, "transfer", reason=reason.strip(), unit=unit.strip(),
                  second_officer=second_officer if verdict.overridden else None, values={"unit": unit.strip()})
    return Assignment(view(after), None, verdict.overridden)


def months_served(start: dt.date, on: dt.date) -> int:
    """Whole months of service from `start` to `on` (the month is complete on the same day of a later month)."""
    months = (on.year - start.year) * 12 + on.month - start.month
    while months > 0 and add_months(start, months) > on:
        months -= 1
    return max(months, 0)


@dataclasses.dataclass(frozen=True)
class Condition:
    """One of the policy's contract conditions, as the conscript stands on the day of signing."""

    name: str  # months_served, fitness_category or age
    value: str  # what the conscript has: 2 (months), B (category), 19 (years)
    required: str  # what the policy asks: at least 3 months, A or B, under 40
    met: bool

    def words(self) -> str:
        return {"months_served": f"{self.value} whole months served (the policy asks at least {self.required})",
                "fitness_category": f"fitness category {self.value} (the policy asks {self.required})",
                "age": f"aged {self.value} (the policy asks under {self.required})"}[self.name]


class ConditionsNotMet(CaseStateError):
    """A conscript does not meet the policy's contract conditions on the day; `unmet` says which."""

    def __init__(self, message: str, unmet: list[Condition]) -> None:
        super().__init__(message)
        self.unmet = unmet


def contract_conditions(uow: UnitOfWork, record_id: int, *, on: dt.date) -> list[Condition]:
    """The policy's contract conditions for this conscript on `on`, each met or not.

    Reads the person's date of birth from the register (an audited read) for the age condition.
    """
    from callup.register.eligibility import age_on
    from callup.register.queries import get_person

    row = _record(uow, record_id)
    rules = uow.ctx.policy().in_force(on).contract
    if rules is None:
        raise CaseStateError(f"the policy in force on {on.isoformat()} allows no conversion to contract service")
    category = medical.fit_category(uow, row["campaign_id"], row["national_id"])
    born = dt.date.fromisoformat(str(get_person(uow, row["national_id"], reason="age condition of a contract")["date_of_birth"]))
    return evaluate_conditions(rules, start=row["start"], on=on, category=category, age=age_on(born, on))


def evaluate_conditions(rules: ContractService, *, start: dt.date, on: dt.date, category: str | None, age: int) -> list[Condition]:
    """The policy's contract conditions for a conscript who started on `start`, signing on `on` (a pure rule)."""
    served = months_served(start, on)
    return [Condition("months_served", str(served), str(rules.min_months_served), served >= rules.min_months_served),
            Condition("fitness_category", category or "none", " or ".join(rules.fitness_categories),
                      category in rules.fitness_categories),
            Condition("age", str(age), str(rules.until_age), age < rules.until_age)]


def convert(uow: UnitOfWork, record_id: int, *, on: dt.date | None = None, reason: str | None = None) -> Conversion:
    """A serving conscript signs a contract on `on` (default today): their conscript record ends `converted` that day
    and a contract record opens the same day in the same unit, for the policy's first-contract term.

    Refused, naming what is missing, unless the policy in force that day allows conversions and the
    conscript meets every condition; the unit must pass the deployment guardrail for a contract soldier.
    """
    uow.ctx.require(*sorted(SERVICE_ROLES["convert"], key=lambda r: r.value), doing="converting a conscript to contract service")
    on = on or uow.ctx.today()
    row = _record(uow, record_id, lock=True)
    subject = f"service record {row['id']}"
    SERVICE.step(row["state"], "convert", subject=subject)
    if row["service_status"] != CONSCRIPT:
        raise CaseStateError(f"{subject} is {row['service_status'].replace('_', ' ')} service: only a conscript signs a first contract")
    if on > uow.ctx.today():
        raise CaseInputError(f"a contract is recorded on or after the day it is signed, not before ({on.isoformat()} is after "
                             f"today, {uow.ctx.today().isoformat()})", field="on")
    if not row["start"] <= on < row["planned_end"]:
        raise CaseInputError(f"a contract is signed during the conscript's term, from {row['start'].isoformat()} to before "
                             f"{row['planned_end'].isoformat()}", field="on")
    conditions = contract_conditions(uow, record_id, on=on)
    unmet = [c for c in conditions if not c.met]
    if unmet:
        raise ConditionsNotMet(f"{subject} does not meet the policy's conditions for a contract on {on.isoformat()}: "
                               + "; ".join(c.words() for c in unmet), unmet)
    met = [c.words() for c in conditions]
    verdict = guardrail.check(uow, national_id=row["national_id"], region=row["region"], status=CONTRACT, unit=row["unit"],
                              action="convert", record_id=row["id"])
    if not verdict.allowed:  # e.g. a zone open to conscripts by override but closed to contract soldiers
        return Conversion(view(row), None, met, verdict)
    said = (reason or "").strip()
    why = f"signed a contract{': ' + said if said else ''}"
    ended = _step(uow, row, "convert", reason=why, values={"ended_on": on, "end_reason": why})
    contract = uow.ctx.policy().in_force(on).contract
    assert contract is not None, "checked by contract_conditions"
    term = contract.term_months
    opened = _new_record(uow, "sign", reason="; ".join(met), unit=row["unit"], campaign=row["campaign"],
                         campaign_id=row["campaign_id"], national_id=row["national_id"], region=row["region"],
                         service_status=CONTRACT, start=on, planned_end=add_months(on, term), term_months=term,
                         converted_from=row["id"])
    return Conversion(view(ended), view(opened), met)


def discharge_due(uow: UnitOfWork, on: dt.date) -> list[int]:
    """Discharge into the reserve everyone whose planned end is on or before `on` (batch, idempotent)."""
    query = select(records.c.id).where(and_(records.c.state == "serving", records.c.planned_end <= on)).order_by(records.c.id)
    scope = uow.ctx.region_filter(records.c.region)
    done = []
    for record_id in uow.execute(query if scope is None else query.where(scope)).scalars().all():
        row = _record(uow, record_id, lock=True)
        _step(uow, row, "discharge", reason=f"end of term on {row['planned_end'].isoformat()}",
              values={"ended_on": row["planned_end"], "end_reason": "end of term"})
        done.append(record_id)
    return done


def discharge_early(uow: UnitOfWork, record_id: int, *, on: dt.date, reason: str) -> RecordView:
    """Discharge before the end of the term, with a reason."""
    if not reason or not reason.strip():
        raise CaseInputError("an early discharge needs a reason", field="reason")
    row = _record(uow, record_id, lock=True)
    SERVICE.step(row["state"], "discharge_early", subject=f"service record {row['id']}")
    if not row["start"] <= on < row["planned_end"]:
        raise CaseInputError(f"an early discharge falls between the start ({row['start'].isoformat()}) and the planned end "
                             f"({row['planned_end'].isoformat()})", field="on")
    return view(_step(uow, row, "discharge_early", reason=reason.strip(), values={"ended_on": on, "end_reason": reason.strip()}))


def service_record(uow: UnitOfWork, record_id: int) -> RecordView:
    return view(_record(uow, record_id))


def records_of(uow: UnitOfWork, national_id: str) -> list[RecordView]:
    """A person's service records, newest first (a citizen: only their own; a regional actor: their regions')."""
    if not uow.ctx.may_list(national_id):
        return []
    query = select(records).where(records.c.national_id == national_id).order_by(records.c.start.desc(), records.c.id.desc())
    scope = uow.ctx.region_filter(records.c.region)
    if scope is not None:
        query = query.where(scope)
    return [view(r) for r in _with_campaign_names(uow, uow.execute(query).mappings().all())]
