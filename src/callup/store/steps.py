"""State-machine steps written to the store: the machine decides, the UPDATE is guarded.

`step_row` moves one row by one step: the machine's table gives the next state and the UPDATE
only matches while the row still has the state the caller read, so of two transactions taking a
step on the same row at once exactly one writes it; the other is refused (PostgreSQL re-checks the
condition after the first commits; SQLite runs writers one at a time). `step_rows` is the bulk
form for set-based changes: every row matching a condition moves from each state that allows the
step to that state's next one, in one UPDATE per source state; `step_each_returning` moves a list of rows the
caller has read and locked, each by the same step, in one UPDATE sent for all.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select, update

from callup.statemachine import Machine
from callup.store.columns import enum_value as _value

if TYPE_CHECKING:
    from sqlalchemy import Table

    from callup.uow import UnitOfWork


def step_row(uow: UnitOfWork, machine: Machine, table: Table, row_id: Any, state: Any, step: str, *, subject: str,
             column: str = "status", changed: str | None = None, counter: str | None = None, **values: Any) -> str:
    """Move row `row_id` of `table` from `state` by `step`, setting `values` (and raising the column
    `counter`, a version, by one); returns the new state.

    Raises the machine's error when the table has no such step, or (with `changed`, or a default
    message) when the row left `state` meanwhile, e.g. another officer's decision came first.
    """
    new = machine.step(state, step, subject=subject)
    _step(uow, machine, table, row_id, state, new, subject=subject, column=column, changed=changed, counter=counter,
          returning=False, values=values)
    return new


def step_row_returning(uow: UnitOfWork, machine: Machine, table: Table, row_id: Any, state: Any, step: str, *, subject: str,
                       column: str = "status", changed: str | None = None, counter: str | None = None,
                       **values: Any) -> Mapping[str, Any]:
    """`step_row` that returns the row as the step left it (the UPDATE's RETURNING, instead of reading it again)."""
    new = machine.step(state, step, subject=subject)
    return _step(uow, machine, table, row_id, state, new, subject=subject, column=column, changed=changed, counter=counter,
                 returning=True, values=values)


def _step(uow: UnitOfWork, machine: Machine, table: Table, row_id: Any, state: Any, new: str, *, subject: str, column: str,
          changed: str | None, counter: str | None, returning: bool, values: dict[str, Any]) -> Any:
    statement = _step_statement(table, column, tuple(sorted(values)), counter, returning)
    params = {"_row_id": row_id, "_from": _value(state), "_to": new, **{f"_set_{k}": v for k, v in values.items()}}
    result = uow.execute(statement, params)
    if returning:
        row = result.mappings().first()
        if row is not None:
            return row
    elif result.rowcount == 1:
        return None
    raise machine.error(changed or f"{subject} changed while this step was being taken: look at it again")


@functools.lru_cache(maxsize=128)
def _step_statement(table: Table, column: str, columns: tuple[str, ...], counter: str | None, returning: bool = False) -> Any:
    """The guarded UPDATE of one row's step, built once per table and set of columns (a statement is
    dearer to build than to run, and a case takes a step at every decision)."""
    values: dict[str, Any] = {column: bindparam("_to"), **{c: bindparam(f"_set_{c}") for c in columns}}
    if counter is not None:
        values[counter] = table.c[counter] + 1
    statement = update(table).where(table.c.id == bindparam("_row_id"), table.c[column] == bindparam("_from")).values(values)
    return statement.returning(*table.c) if returning else statement


def step_each_returning(uow: UnitOfWork, machine: Machine, table: Table, taken: list[tuple[Any, Any, dict[str, Any]]], step: str,
                        *, subject: str, column: str = "status", counter: str | None = None) -> dict[Any, Mapping[str, Any]]:
    """`step_row_returning` for each (row id, state read, values) of `taken` (rows the caller has locked, each with
    the same columns set): one guarded UPDATE sent for all of them and one read of the rows as the steps left them,
    by id. The machine's error, naming `subject`, when any of them left its state meanwhile (nothing is then kept:
    the caller's transaction rolls back)."""
    news = {row_id: machine.step(state, step, subject=subject) for row_id, state, _ in taken}
    if not taken:
        return {}
    statement = _step_statement(table, column, tuple(sorted(taken[0][2])), counter)
    uow.execute(statement, [{"_row_id": row_id, "_from": _value(state), "_to": news[row_id],
                             **{f"_set_{k}": v for k, v in values.items()}} for row_id, state, values in taken])
    ids = list(news)
    rows = {r["id"]: r for start in range(0, len(ids), 1000)
            for r in uow.execute(select(table).where(table.c.id.in_(ids[start:start + 1000]))).mappings()}
    if any(row_id not in rows or _value(rows[row_id][column]) != new for row_id, new in news.items()):
        raise machine.error(f"{subject} changed while this step was being taken: look at it again")
    return rows


def step_rows(uow: UnitOfWork, machine: Machine, table: Table, where: Any, step: str, *, column: str = "status",
              states: Iterable[Any] | None = None, **values: Any) -> dict[str, int]:
    """Move every row matching `where` whose state allows `step` (and is one of `states`, when given)
    to the machine's next state, setting `values` on the rows moved; returns how many rows left
    each state. Rows whose state does not allow the step, or where it leads back to the same state,
    are left alone."""
    only = None if states is None else {_value(s) for s in states}
    moved: dict[str, int] = {}
    status = table.c[column]
    for state, name, new in machine.paths():
        if name != step or state == new or (only is not None and state not in only):
            continue
        moved[state] = uow.execute(update(table).where(where, status == state).values({column: new, **values})).rowcount
    return moved


