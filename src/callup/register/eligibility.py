"""Who may be called on a date under the rules in force: computed in the database, in bulk.

One SQL CASE expression gives every person a small integer: 0 when eligible, else the first
`Exclusion` that applies, in a fixed order; the database evaluates it in one scan (see
`eligibility` for how each backend counts). Ages follow the calendar: a person reaches age N on
the anniversary of their birth; someone born on 29 February reaches it on 1 March in common years.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import enum
import os
from collections.abc import Sequence
from typing import Any, cast

import pyarrow as pa
from sqlalchemy import ColumnClause, ColumnElement, Table, case, func, literal, literal_column, not_, select, text

from callup.context import Context, Role
from callup.policy import PolicyVersion
from callup.register.holds import held_on
from callup.register.tables import Person
from callup.store.bulk import BulkSession
from callup.store.isolation import Advance, run_bulk

people = cast(Table, Person.__table__)


class Exclusion(enum.IntEnum):
    """Why a person on the register is not in the pool, in the order they are tested."""

    deceased = 1
    emigrated = 2
    not_citizen = 3
    sex_not_liable = 4
    too_young = 5
    too_old = 6
    case_decision = 7  # deferred, exempted, unfit, civilian service, inducted: a hold (callup.register.holds)


def years_before(on: dt.date, years: int) -> dt.date:
    """The date `years` before `on`; 29 February maps to 28 February in a common year."""
    try:
        return on.replace(year=on.year - years)
    except ValueError:
        return on.replace(year=on.year - years, day=28)


def age_on(born: dt.date, on: dt.date) -> int:
    """Completed years of age on `on` under the same convention as `years_before`."""
    age = on.year - born.year
    return age if years_before(on, age) >= born else age - 1


def exclusion_reason(version: PolicyVersion, on: dt.date) -> ColumnElement:
    """SQL expression: the `Exclusion` code of why a person is excluded, 0 if eligible."""
    rules = version.conscription
    youngest_birth = years_before(on, rules.from_age)  # born on or before this: old enough
    oldest_birth = years_before(on, rules.until_age)  # born on or before this: liability over
    return case(
        (people.c.civil_status == "deceased", literal(int(Exclusion.deceased))),
        (people.c.civil_status == "emigrated", literal(int(Exclusion.emigrated))),
        (not_(people.c.citizenship.in_(version.registration.citizenships)), literal(int(Exclusion.not_citizen))),
        (not_(people.c.sex.in_(rules.sexes)), literal(int(Exclusion.sex_not_liable))),
        (people.c.date_of_birth > youngest_birth, literal(int(Exclusion.too_young))),
        (people.c.date_of_birth <= oldest_birth, literal(int(Exclusion.too_old))),
        (people.c.national_id.in_(held_on(on)), literal(int(Exclusion.case_decision))),
        else_=literal(0),
    )


@dataclasses.dataclass(frozen=True)
class EligibilityReport:
    on: dt.date
    policy_version: str
    from_age: int
    until_age: int
    registered: int
    eligible: int
    by_region: dict[str, int]
    excluded: dict[str, int]



def _fetch(url: str, query, *, advance: Advance) -> pa.Table:  # noqa: ANN001 - a Core SELECT
    with BulkSession(url) as bulk:
        return bulk.fetch_arrow(query)


def _count(url: str, query, *, advance: Advance) -> pa.Table:  # noqa: ANN001 - SELECT region, reason
    """(region, reason, count) of the rows of `query`, grouped where they are read."""
    return _fetch(url, query, advance=advance).group_by(["region", "reason"]).aggregate([("reason", "count")])


def _sqlite_counts(ctx: Context, query) -> list[tuple[str, int, int]]:  # noqa: ANN001 - SELECT region, reason
    """Count on SQLite: one process per core, each scanning its share of the table by rowid.

    SQLite scans with one thread; two processes halve the wall time on two cores.
    """
    with ctx.engine().connect() as conn:
        last = conn.execute(text("SELECT max(rowid) FROM people")).scalar() or 0
    workers = max(1, min(os.cpu_count() or 1, 4)) if last > 200_000 else 1
    bounds = [last * i // workers for i in range(workers + 1)]
    rowid: ColumnClause[int] = literal_column("people.rowid")
    parts = [query.where(rowid > lo, rowid <= hi) for lo, hi in zip(bounds, bounds[1:])]
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        tables = list(pool.map(lambda part: run_bulk(ctx.database_url, _count, part), parts))
    merged = pa.concat_tables(tables).group_by(["region", "reason"]).aggregate([("reason_count", "sum")]).to_pydict()
    return list(zip(merged["region"], merged["reason"], merged["reason_count_sum"]))


def eligibility(ctx: Context, version: PolicyVersion, on: dt.date, *, regions: list[str] | None = None) -> EligibilityReport:
    """Count the pool on `on` by region, and the excluded by reason (one scan of the register).

    PostgreSQL groups in the database (in parallel, returning a few hundred rows); on SQLite each
    worker hands its (region, code) pairs to Arrow, which groups them in half the time SQLite's
    GROUP BY takes.
    """
    _require_reader(ctx, "counting the eligible pool")
    reason = exclusion_reason(version, on).label("reason")
    if ctx.actor.regions is not None:  # a regional actor counts only their regions
        regions = sorted(set(regions or ctx.actor.regions) & ctx.actor.regions)
    scope = [people.c.region.in_(regions)] if regions is not None else []
    counts: Sequence[Sequence[Any]]  # (region, exclusion code, how many)
    if ctx.engine().dialect.name == "postgresql":
        with ctx.engine().connect() as conn:
            counts = conn.execute(select(people.c.region, reason, func.count()).where(*scope)
                                  .group_by(people.c.region, reason)).all()
    else:
        counts = _sqlite_counts(ctx, select(people.c.region, reason).where(*scope))
    by_region: dict[str, int] = {}
    excluded = {e.name: 0 for e in Exclusion}
    for region, code, n in counts:
        if code == 0:
            by_region[region] = n
        else:
            excluded[Exclusion(code).name] += n
    return EligibilityReport(
        on=on, policy_version=version.version, from_age=version.conscription.from_age,
        until_age=version.conscription.until_age, registered=sum(n for _, _, n in counts), eligible=sum(by_region.values()),
        by_region=dict(sorted(by_region.items())), excluded=excluded,
    )


def eligible_pool_query(version: PolicyVersion, on: dt.date):  # noqa: ANN201 - a Core SELECT
    """SELECT national_id, region, volunteer of everyone eligible on `on`."""
    return select(people.c.national_id, people.c.region, people.c.volunteer).where(exclusion_reason(version, on) == 0)


def cohort_query(version: PolicyVersion, born_from: dt.date, born_to: dt.date):  # noqa: ANN201 - a Core SELECT
    """SELECT national_id, region of everyone born from `born_from` to `born_to` (both included) whom the
    conscription rules could call one day: alive on the register, of a liable citizenship and sex."""
    return (select(people.c.national_id, people.c.region)
            .where(people.c.civil_status == "alive", people.c.citizenship.in_(version.registration.citizenships),
                   people.c.sex.in_(version.conscription.sexes), people.c.date_of_birth >= born_from,
                   people.c.date_of_birth <= born_to)
            .order_by(people.c.region, people.c.national_id))


#: Who may read the register in bulk (a regional role within its regions); a citizen never.
READERS = (Role.administrator, Role.officer, Role.medical, Role.auditor, Role.system)


def _require_reader(ctx: Context, doing: str) -> None:
    ctx.require(*READERS, doing=doing)


def _scoped(ctx: Context, query):  # noqa: ANN001, ANN202
    scope = ctx.region_filter(people.c.region)
    return query if scope is None else query.where(scope)


def eligible_pool(ctx: Context, version: PolicyVersion, on: dt.date) -> pa.Table:
    """The pool on `on` as Arrow: national_id, region, volunteer (bulk, not through the ORM)."""
    _require_reader(ctx, "listing the eligible pool")
    table = run_bulk(ctx.database_url, _fetch, _scoped(ctx, eligible_pool_query(version, on)))
    return table.set_column(2, "volunteer", table.column("volunteer").cast(pa.bool_()))


def exclusions(ctx: Context, version: PolicyVersion, on: dt.date) -> pa.Table:
    """Every excluded person with the reason: national_id, region, reason (the `Exclusion` name)."""
    _require_reader(ctx, "listing the excluded")
    reason = exclusion_reason(version, on)
    query = select(people.c.national_id, people.c.region, reason.label("code")).where(reason != 0)
    table = run_bulk(ctx.database_url, _fetch, _scoped(ctx, query))
    names = pa.array([""] + [e.name for e in Exclusion])
    return table.append_column("reason", names.take(table.column("code").cast(pa.int32()))).drop_columns(["code"])
