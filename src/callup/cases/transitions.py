"""The one path by which a case changes: `open_case` and `transition`.

Both apply the kind's table in `machines` (anything undeclared is refused, naming the case, its
state and the step), check the actor's role for the step and their scope (another region's
case, or another person's for a citizen, answers "not found"), store the transition with
actor, role, time, reason, evidence and effect, and audit it, all in the caller's unit of work,
so the change, its audit entry and any release or replacement it causes commit together.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, or_, select

from callup.audit import person
from callup.campaigns import calls
from callup.cases.availability import hold_for
from callup.cases.errors import CaseInputError, CaseNotFound
from callup.cases.events import CaseStepped
from callup.cases.machines import MACHINES, NEW, ROLES, appealable, is_decision, opening_step
from callup.cases.tables import Case, CaseKind, CaseTransition
from callup.notices.service import no_show_cases_changed
from callup.store.columns import enum_value as value
from callup.store.rowids import is_row_id
from callup.store.steps import step_each_returning, step_row_returning
from callup.uow import UnitOfWork

cases = cast(Table, Case.__table__)
history = cast(Table, CaseTransition.__table__)
MAX_TEXT = 2000

# Built once: these run for every step of every case, and building a statement costs more than running it.
_CASES = select(cases).where(cases.c.id.in_(bindparam("ids", expanding=True))).order_by(cases.c.id)
_CASES_LOCKED = _CASES.with_for_update()  # in id order, so two lists cannot deadlock
# Cases opened, in the state their opening step leads to, and lines of histories: one statement for a batch, the rows
# returned in the order given.
_ADD_CASE = insert(cases).returning(*cases.c, sort_by_parameter_order=True)
_HISTORY_LINES = insert(history).returning(*history.c, sort_by_parameter_order=True)
# The next entry of the case's history, numbered in the same statement (the case row is locked, so no other
# step of the case can take the number meanwhile).
_HISTORY_COLUMNS = ("from_state", "step", "to_state", "at", "actor", "role", "reason", "evidence", "ground", "effect")
_ADD_HISTORY = (insert(history).from_select(
    ["case_id", "seq", *_HISTORY_COLUMNS],
    select(bindparam("case_id", type_=history.c.case_id.type), func.coalesce(func.max(history.c.seq), 0) + 1,
           *(bindparam(c, type_=history.c[c].type) for c in _HISTORY_COLUMNS))
    .where(history.c.case_id == bindparam("case_id", type_=history.c.case_id.type)))
    .returning(*history.c))
_CASES_OF = select(cases).where(cases.c.campaign_id == bindparam("campaign_id"),
                                cases.c.national_id.in_(bindparam("national_ids", expanding=True)))
_PERSON_CASES = select(cases).where(cases.c.national_id.in_(bindparam("national_ids", expanding=True)),
                                    or_(cases.c.campaign_id == bindparam("campaign_id"),
                                        cases.c.kind == CaseKind.civilian_service.value))


def _text(text: str | None, field: str) -> str | None:
    if text is None or not text.strip():
        return None
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise CaseInputError(f"{field} is longer than {MAX_TEXT} characters", field=field)
    return text


def _require(uow: UnitOfWork, kind: CaseKind, step: str) -> None:
    uow.ctx.require(*sorted(ROLES[step], key=lambda r: r.value), doing=f"the step {step} of a {kind.value.replace('_', ' ')} case")


def subject(case: Any) -> str:
    kind = value(case["kind"]).replace("_", " ")
    return f"case {case['id']} ({kind})" if case["id"] is not None else f"a new {kind} case"


def load(uow: UnitOfWork, case_id: int, *, lock: bool = False) -> Any:
    """The case row with its campaign's name; `CaseNotFound` if there is none or the actor may not see it."""
    return load_each(uow, [case_id], lock=lock)[0]


def load_each(uow: UnitOfWork, case_ids: list[int], *, lock: bool = False) -> list[Any]:
    """`load` for each of `case_ids`, in one read (locked in id order, so two lists cannot deadlock), in the order
    given; `CaseNotFound` for the first there is none of or the actor may not see."""
    ids = [int(i) for i in case_ids if is_row_id(i)]
    query = _CASES_LOCKED if lock and uow.conn.dialect.name == "postgresql" else _CASES
    found = {r["id"]: r for r in uow.execute(query, {"ids": ids}).mappings()} if ids else {}
    rows = []
    for case_id in case_ids:
        row = found.get(int(case_id)) if is_row_id(case_id) else None
        uow.ctx.check_visible(row and row["region"], row and row["national_id"], error=CaseNotFound(f"no case {case_id}"))
        rows.append(row)
    return with_campaign_names(uow, rows)


def with_campaign_names(uow: UnitOfWork, rows: list[Any]) -> list[dict[str, Any]]:
    """Rows that carry a `campaign_id`, each with its campaign's name added as `campaign`."""
    names = calls.campaign_names(uow, (r["campaign_id"] for r in rows))
    return [{**r, "campaign": names[r["campaign_id"]]} for r in rows]


def call_of(uow: UnitOfWork, campaign: str, national_id: str) -> Any:
    """The person's call in the campaign (released or not) with the campaign id, name and status (`campaigns.calls.find_call`);
    `CaseNotFound` otherwise."""
    return calls_of(uow, campaign, [national_id])[0]


def calls_of(uow: UnitOfWork, campaign: str, national_ids: list[str]) -> list[Any]:
    """`call_of` for many people at once (one statement for 500), in the order given; `CaseNotFound` for the first
    who is not called there or whom the actor may not see."""
    found = calls.find_calls(uow, campaign, national_ids)
    missing = CaseNotFound(f"that person is not called in campaign {campaign!r}")
    called = []
    for national_id in national_ids:
        row = found.get(national_id.strip())
        if row is None:
            raise missing
        uow.ctx.check_visible(row["region"], row["national_id"], error=missing)
        called.append(row)
    return called


def open_case(uow: UnitOfWork, campaign: str, national_id: str, kind: CaseKind, *, reason: str | None = None,
              evidence: str | None = None, ground: str | None = None, appeals: int | None = None,
              values: dict[str, Any] | None = None, effect: dict[str, Any] | None = None, call: Any = None) -> Any:
    """Open a case of `kind` for a called person by the kind's opening step (from `new`); `call`: the person's call
    in the campaign when the caller has just read it (`call_of`), so that it is not read twice."""
    return open_cases(uow, kind, [call or call_of(uow, campaign, national_id)], reason=reason, evidences=[evidence],
                      ground=ground, appeals=appeals, values=values, effect=effect)[0]


def open_cases(uow: UnitOfWork, kind: CaseKind, called: list[Any], *, reason: str | None = None,
               evidences: list[str | None] | None = None, ground: str | None = None, appeals: int | None = None,
               values: dict[str, Any] | None = None, effect: dict[str, Any] | None = None) -> list[Any]:
    """Open a case of `kind` for each person of `called` (their calls, from `call_of` or `calls_of`) by the kind's
    opening step, exactly as `open_case` one by one would, in order (`evidences`: each case's, else none): a batch's
    cases are inserted in one statement and their first history lines in another. Returns the case rows, each with
    its history."""
    evidences = evidences or [None] * len(called)
    step = opening_step(kind)
    _require(uow, kind, step)
    now = uow.now()
    actor = uow.actor
    version = uow.ctx.policy().in_force(uow.ctx.today()).version
    # Not inserted yet: `_take` inserts them in the state the opening step leads to.
    new = [dict(id=None, campaign_id=call["campaign_id"], national_id=call["national_id"], region=call["region"], kind=kind,
                state=NEW, ground=ground, policy_version=version, evidence=_text(evidence, "evidence"), opened_at=now,
                opened_by=actor.label(), opened_role=actor.role.value, appeals_case_id=appeals, campaign=call["campaign"])
           for call, evidence in zip(called, evidences, strict=True)]
    return _take(uow, new, step, reason=reason, evidences=evidences, ground=ground, values=values,
                 effects=[effect] * len(new))


def precheck(uow: UnitOfWork, case: Any, step: str, reason: str | None) -> None:
    """Everything `transition` refuses for, checked before a service causes an effect (a release) it would then undo."""
    kind = CaseKind(value(case["kind"]))
    MACHINES[kind].step(case["state"], step, subject=subject(case))
    _require(uow, kind, step)
    if _text(reason, "reason") is None and (is_decision(kind, step) or step == "overturn"):
        raise CaseInputError(f"{subject(case)}: {step} needs a reason", field="reason")


def transition(uow: UnitOfWork, case: Any, step: str, *, reason: str | None = None, evidence: str | None = None,
               ground: str | None = None, effect: dict[str, Any] | None = None, values: dict[str, Any] | None = None) -> Any:
    """Take `step` on `case` (a row from `load(..., lock=True)`); returns the case row after it.

    A decision needs a reason; it records who decided, when and why, and, where the new state
    can be appealed, the appeal deadline from the policy. `values` sets further columns
    (an end date, a registry check); `effect` records what the step did beyond the case.
    """
    return _take(uow, [case], step, reason=reason, evidences=[evidence], ground=ground, values=values, effects=[effect])[0]


def transition_each(uow: UnitOfWork, taking: list[Any], step: str, *, reason: str | None = None, evidence: str | None = None,
                    ground: str | None = None, effects: Sequence[dict[str, Any] | None] | None = None,
                    values: dict[str, Any] | None = None) -> list[Any]:
    """`transition` on each case of `taking` (rows from `load_each(..., lock=True)`, all of one kind), `effects` one
    per case: a list's steps in a few statements whatever its length, each case with its own history line, audit
    entry and register hold, as one by one. Returns the rows after, each with its whole history, in order."""
    done = _take(uow, taking, step, reason=reason, evidences=[evidence] * len(taking), ground=ground, values=values,
                 effects=list(effects or [None] * len(taking)))
    return with_histories(uow, done)


def _take(uow: UnitOfWork, taking: list[Any], step: str, *, reason: str | None, evidences: list[str | None],
          ground: str | None, effects: list[dict[str, Any] | None], values: dict[str, Any] | None) -> list[Any]:
    """`step` on each case of `taking` (all of one kind), with its evidence and effect: a case row locked by the caller,
    or a case being opened (id None: inserted in the state its opening step leads to, as if stepped, all of them in
    one INSERT); each with its history line, audit entry and register hold. Returns the rows after, in order."""
    if not taking:
        return []
    kind = CaseKind(value(taking[0]["kind"]))
    machine = MACHINES[kind]
    afters = [machine.step(case["state"], step, subject=subject(case)) for case in taking]
    _require(uow, kind, step)
    reason, evidences = _text(reason, "reason"), [_text(e, "evidence") for e in evidences]
    decision = is_decision(kind, step)
    if reason is None and (decision or step == "overturn"):
        raise CaseInputError(f"{subject(taking[0])}: {step} needs a reason", field="reason")
    now, actor = uow.now(), uow.actor
    changes: dict[str, Any] = dict(updated_at=now, **(values or {}))
    if ground is not None:
        changes["ground"] = ground
    if decision:
        changes.update(decided_at=now, decided_by=actor.label(), decided_role=actor.role.value, decision_reason=reason)
    each_changes = [_decided(uow, kind, after, changes, decision) for after in afters]
    if decision:  # what each decision replaced, so that overturning it restores the case exactly
        effects = [{**(e or {}), "before": {k: _plain(case[k]) for k in sorted(c) if k not in ("updated_at", "version")}}
                   for case, c, e in zip(taking, each_changes, effects, strict=True)]
    opening = [{**{k: v for k, v in case.items() if k in cases.c and k != "id"}, "state": after, "version": 1, **c}
               for case, after, c in zip(taking, afters, each_changes, strict=True) if case["id"] is None]
    opened = iter(uow.execute(_ADD_CASE, opening).mappings().all() if opening else [])
    stepping = [(case["id"], case["state"], c) for case, c in zip(taking, each_changes, strict=True) if case["id"] is not None]
    stepped = (step_each_returning(uow, machine, cases, stepping, step, subject=f"a {kind.value.replace('_', ' ')} case",
                                   column="state", counter="version") if len(stepping) > 1 else {})
    rows = []
    for case, c in zip(taking, each_changes, strict=True):
        if case["id"] is None:
            row = next(opened)
        elif stepped:
            row = stepped[case["id"]]
        else:
            row = step_row_returning(uow, machine, cases, case["id"], case["state"], step, subject=subject(case),
                                     column="state", counter="version", **c)
        rows.append(row)
    if kind is CaseKind.no_show:  # the summons keeps whether its no-show is resolved (the follow-up list reads it)
        no_show_cases_changed(uow, [(case["campaign_id"], case["national_id"], case["opened_at"], after != "open")
                                    for case, after in zip(taking, afters, strict=True)])
    lines = _history_lines(uow, [dict(case_id=row["id"], from_state=case["state"], step=step, to_state=after, at=now,
                                      actor=actor.label(), role=actor.role.value, reason=reason, evidence=evidence,
                                      ground=ground, effect=json.dumps(e, sort_keys=True) if e else None)
                                 for case, row, after, e, evidence in zip(taking, rows, afters, effects, evidences, strict=True)],
                           new=[case["id"] is None for case in taking])
    done = []
    for case, row, after, e, evidence, line in zip(taking, rows, afters, effects, evidences, lines, strict=True):
        before = case["state"]
        uow.record(CaseStepped(target=person(case["national_id"]), case=row["id"], kind=kind.value, campaign=case["campaign"],
                               seq=line["seq"], step=step, from_state=before, to_state=after, ground=ground, evidence=evidence,
                               reason_sha256=hashlib.sha256(reason.encode()).hexdigest() if reason else None,
                               effect={k: v for k, v in e.items() if k != "before"} if e else None))
        after_row = {**row, "campaign": case["campaign"]}
        if before == NEW:  # a new case's whole history is this step: its view need not read it back
            after_row["history"] = [line]
        hold_for(uow, after_row, before=before)  # the register keeps who is out of the pool
        done.append(after_row)
    return done


def _decided(uow: UnitOfWork, kind: CaseKind, after: str, changes: dict[str, Any], decision: bool) -> dict[str, Any]:
    """`changes` with a decision's appeal deadline: from the policy where the new state can be appealed, else none."""
    if not decision:
        return changes
    deadline = None
    if appealable(kind, after):
        deadline = uow.ctx.today() + dt.timedelta(days=uow.ctx.policy().in_force(uow.ctx.today()).appeals.deadline_days)
    return {**changes, "appeal_deadline": deadline}


def _history_lines(uow: UnitOfWork, lines: list[dict[str, Any]], *, new: list[bool]) -> list[Any]:
    """Write each line as the next entry of its case's history; returns them as stored, in order. A new case's
    history begins at 1; a stepped case's continues after its last line (the case is locked: no other step takes
    the number meanwhile). One case stepped alone: numbered in the INSERT itself; else one read of the last numbers
    and one INSERT for all."""
    if len(lines) == 1 and not new[0]:
        return [uow.execute(_ADD_HISTORY, lines[0]).mappings().one()]
    stepped = [line["case_id"] for line, n in zip(lines, new, strict=True) if not n]
    last = dict(uow.execute(select(history.c.case_id, func.max(history.c.seq)).where(history.c.case_id.in_(stepped))
                            .group_by(history.c.case_id)).tuples().all()) if stepped else {}
    return list(uow.execute(_HISTORY_LINES, [{**line, "seq": 1 if n else last.get(line["case_id"], 0) + 1}
                                             for line, n in zip(lines, new, strict=True)]).mappings().all())


def with_histories(uow: UnitOfWork, rows: list[Any]) -> list[Any]:
    """Case rows, each with its whole history (`history`), read in one statement for all that do not carry it."""
    wanted = [r["id"] for r in rows if "history" not in r]
    lines: dict[int, list[Any]] = {i: [] for i in wanted}
    for i in range(0, len(wanted), 500):
        for line in uow.execute(select(history).where(history.c.case_id.in_(wanted[i:i + 500]))
                                .order_by(history.c.case_id, history.c.seq)).mappings():
            lines[line["case_id"]].append(line)
    return [r if "history" in r else {**r, "history": lines[r["id"]]} for r in rows]


_DATES, _INSTANTS = ("until", "appeal_deadline"), ("decided_at",)


def _plain(v: Any) -> Any:
    return v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else value(v)


def restored(before: dict[str, Any]) -> dict[str, Any]:
    """The column values a decision's effect recorded under "before", with their types back."""
    out = {}
    for key, v in before.items():
        if v is not None and key in _DATES:
            v = dt.date.fromisoformat(v)
        elif v is not None and key in _INSTANTS:
            v = dt.datetime.fromisoformat(v)
        out[key] = v
    return out


def appealed(uow: UnitOfWork, case: Any) -> bool:
    """Whether the decision of `case` is under appeal or was upheld on appeal: a decision is appealed
    once (an overturned decision is undone, a withdrawn appeal decided nothing)."""
    query = select(cases.c.id).where(cases.c.kind == CaseKind.appeal.value, cases.c.appeals_case_id == case["id"],
                                     cases.c.state.in_(("lodged", "upheld")))
    return uow.execute(query.limit(1)).first() is not None


def open_cases_of(uow: UnitOfWork, campaign_id: int, national_id: str, kind: CaseKind | None = None) -> list[Any]:
    """The person's cases in the campaign that are not in a final state (of `kind`, or of any kind)."""
    return open_cases_among(uow, campaign_id, [national_id], kind).get(national_id, [])


def open_cases_among(uow: UnitOfWork, campaign_id: int, national_ids: list[str], kind: CaseKind | None = None) -> dict[str, list[Any]]:
    """`open_cases_of` for many people at once (one statement for 500): each person's open cases, by national id."""
    rows: dict[str, list[Any]] = {n: [] for n in national_ids}
    for i in range(0, len(national_ids), 500):
        for row in uow.execute(_CASES_OF, {"campaign_id": campaign_id, "national_ids": national_ids[i:i + 500]}).mappings():
            rows.setdefault(row["national_id"], []).append(row)
    return {n: open_among(r, kind) for n, r in rows.items()}


def open_among(rows: Iterable[Any], kind: CaseKind | None = None) -> list[Any]:
    """Those of a person's cases in a campaign (`rows`) that are not in a final state, of `kind` or of any kind."""
    return sorted((r for r in rows if (kind is None or value(r["kind"]) == kind.value)
                   and r["state"] not in MACHINES[CaseKind(value(r["kind"]))].final), key=lambda r: r["id"])


def person_cases(uow: UnitOfWork, campaign_id: int, national_ids: list[str]) -> dict[str, list[Any]]:
    """Each person's cases in the campaign and their civilian service cases in any campaign, by national id, in one
    read for 500 people (what induction asks: `open_among`, `medical.fit_category_among`, `civilian.granted_among`)."""
    found: dict[str, list[Any]] = {n: [] for n in national_ids}
    for i in range(0, len(national_ids), 500):
        for row in uow.execute(_PERSON_CASES, {"campaign_id": campaign_id, "national_ids": national_ids[i:i + 500]}).mappings():
            found.setdefault(row["national_id"], []).append(row)
    return found
