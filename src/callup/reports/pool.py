"""The eligible pool by region and by age on one date, under the rules in force and under the other age limits.

One scan of the register counts both rule sets: each person gets an age (completed years on the
date) and, per rule set, the same exclusion code `register.eligibility` computes, so the counts
per region are those `callup register eligibility` prints.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from sqlalchemy import Table, case, func, literal, select

from callup.policy import Jurisdiction, PolicyVersion
from callup.register.eligibility import exclusion_reason, people, years_before
from callup.reports.model import PoolRules, PoolSection
from callup.uow import UnitOfWork


def compared_version(jurisdiction: Jurisdiction, in_force: PolicyVersion) -> PolicyVersion | None:
    """The version whose age limits differ from `in_force`'s: the latest before it, else the first after it."""
    window = (in_force.conscription.from_age, in_force.conscription.until_age)
    differs = [v for v in jurisdiction.versions if (v.conscription.from_age, v.conscription.until_age) != window]
    before = [v for v in differs if v.effective_from < in_force.effective_from]
    after = [v for v in differs if v.effective_from > in_force.effective_from]
    return before[-1] if before else (after[0] if after else None)


def _age(on: dt.date, youngest: int, oldest: int):  # noqa: ANN202 - a SQL expression
    """Completed years on `on` for ages youngest..oldest (others: -1); the calendar convention of `years_before`."""
    return case(*[(people.c.date_of_birth > years_before(on, age + 1), literal(age)) for age in range(youngest, oldest + 1)],
                else_=literal(-1))


def _in_ages(version: PolicyVersion, on: dt.date):  # noqa: ANN202 - a SQL expression
    rules = version.conscription
    return (people.c.date_of_birth <= years_before(on, rules.from_age)) & (people.c.date_of_birth > years_before(on, rules.until_age))


def pool_section(uow: UnitOfWork, jurisdiction: Jurisdiction, in_force: PolicyVersion, on: dt.date, *,
                 frozen: int | None = None) -> PoolSection:
    """Count the pool on `on` by region and age under `in_force` and the compared version (one scan).

    With `frozen` (a campaign id), the pool is the campaign's frozen pool, as it was drawn from
    (case decisions and inductions since do not shrink it), and the compared version's age limits
    are applied to it. Without, the register is counted as it stands now. Every region the actor
    sees is listed, with 0 where nobody is eligible.
    """
    other = compared_version(jurisdiction, in_force)
    versions = [in_force] + ([other] if other else [])
    youngest = min(v.conscription.from_age for v in versions)
    oldest = max(v.conscription.until_age for v in versions) - 1
    age = _age(on, youngest, oldest).label("age")
    if frozen is None:
        region_of = people.c.region
        flags = [(exclusion_reason(v, on) == 0).label(f"in_{i}") for i, v in enumerate(versions)]
        eligible_somewhere = flags[0] if len(flags) == 1 else (flags[0] | flags[1])
        query = select(region_of, age, *flags, func.count()).where(eligible_somewhere.self_group()).group_by(region_of, age, *flags)
    else:
        from callup.campaigns.tables import PoolEntry

        pool = cast(Table, PoolEntry.__table__)
        region_of = pool.c.region
        flags = [literal(True).label("in_0")] + [_in_ages(v, on).label(f"in_{i}") for i, v in enumerate(versions) if i]
        query = (select(region_of, age, *flags, func.count()).select_from(pool.join(people, people.c.national_id == pool.c.national_id))
                 .where(pool.c.campaign_id == frozen).group_by(region_of, age, *flags[1:]))
    scope = uow.ctx.region_filter(region_of)
    if scope is not None:
        query = query.where(scope)
    seen = uow.ctx.regions_in_scope(jurisdiction.region_codes)
    # for each rule set: people by region, by age, and by region and age
    counts: list[tuple[dict[str, int], dict[int, int], dict[str, dict[int, int]]]]
    counts = [(dict.fromkeys(seen, 0), {}, {r: {} for r in seen}) for _ in versions]
    for row in uow.execute(query).all():
        region, years, n = row[0], row[1], row[-1]
        for i, inside in enumerate(row[2:-1]):
            if inside:
                by_region, by_age, cross = counts[i]
                by_region[region] = by_region.get(region, 0) + n
                by_age[years] = by_age.get(years, 0) + n
                cross.setdefault(region, {})[years] = cross.get(region, {}).get(years, 0) + n
    rules = []
    for version, (by_region, by_age, cross) in zip(versions, counts):
        c = version.conscription
        ages = range(c.from_age, c.until_age)
        rules.append(PoolRules(version.version, version.effective_from, c.from_age, c.until_age, sum(by_region.values()),
                               dict(sorted(by_region.items())), {a: by_age.get(a, 0) for a in ages},
                               {r: {a: cross[r].get(a, 0) for a in ages} for r in sorted(cross)}))
    return PoolSection(on, rules[0], rules[1] if len(rules) > 1 else None)
