"""Eligibility in bulk SQL agrees with a plain reading of the rules, person by person."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import delete, insert

from callup.register.eligibility import Exclusion, age_on, eligibility, exclusions, years_before
from callup.register.tables import Person
from register_helpers import context_on

people = Person.__table__


def expected_reason(person: dict, version, on: dt.date) -> str | None:
    """The rules read literally, one person at a time (the reference for the SQL)."""
    if person["civil_status"] != "alive":
        return person["civil_status"]
    if person["citizenship"] not in version.registration.citizenships:
        return Exclusion.not_citizen.name
    if person["sex"] not in version.conscription.sexes:
        return Exclusion.sex_not_liable.name
    age = age_on(person["date_of_birth"], on)
    if age < version.conscription.from_age:
        return Exclusion.too_young.name
    if age >= version.conscription.until_age:
        return Exclusion.too_old.name
    return None


person_strategy = st.fixed_dictionaries({
    "date_of_birth": st.dates(min_value=dt.date(1980, 1, 1), max_value=dt.date(2015, 12, 31)),
    "sex": st.sampled_from(["M", "F", "X"]),
    "citizenship": st.sampled_from(["EXR", "XAA"]),
    "civil_status": st.sampled_from(["alive", "alive", "alive", "deceased", "emigrated"]),
    "region": st.sampled_from(["R01", "R02", "R03"]),
})
# Birthdays that straddle the limits, including 29 February.
edge_dates = st.sampled_from([dt.date(2008, 4, 1), dt.date(2008, 4, 2), dt.date(1996, 4, 1), dt.date(1996, 4, 2),
                              dt.date(1999, 4, 1), dt.date(2008, 2, 29), dt.date(1996, 2, 29), dt.date(2000, 2, 29)])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.one_of(person_strategy, person_strategy.map(lambda p: p)), min_size=1, max_size=40),
    st.lists(edge_dates, max_size=8),
    st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2030, 12, 31)),
)
def test_bulk_eligibility_matches_the_rules_read_person_by_person(engine, policy, persons, edge_births, on):
    persons = persons + [dict(persons[0], date_of_birth=d) for d in edge_births]
    rows = [dict(p, national_id=f"P{i}", family_name="N", given_names="G", address="A", postcode="1", volunteer=False)
            for i, p in enumerate(persons)]
    with engine.begin() as conn:
        conn.execute(delete(people))
        conn.execute(insert(people), rows)
    version = policy.in_force(on)
    ctx = context_on(engine)
    report = eligibility(ctx, version, on)
    got = {r["national_id"]: r["reason"] for r in exclusions(ctx, version, on).to_pylist()}
    for row in rows:
        assert got.get(row["national_id"]) == expected_reason(row, version, on), row
    assert report.eligible == sum(1 for r in rows if expected_reason(r, version, on) is None)
    assert report.registered == len(rows)


def test_a_leap_day_birthday_is_reached_on_the_first_of_march_in_common_years():
    assert age_on(dt.date(2008, 2, 29), dt.date(2026, 2, 28)) == 17
    assert age_on(dt.date(2008, 2, 29), dt.date(2026, 3, 1)) == 18
    assert age_on(dt.date(2008, 2, 29), dt.date(2028, 2, 29)) == 20
    assert years_before(dt.date(2028, 2, 29), 18) == dt.date(2010, 2, 28)


def test_raising_the_age_limit_from_27_to_30_grows_the_pool(engine, policy, tmp_path):
    from register_fixtures import load_small_register

    load_small_register(engine, policy, tmp_path)
    on = dt.date(2026, 4, 1)
    old, new = policy.versions
    ctx = context_on(engine, on)
    before, after = eligibility(ctx, old, on), eligibility(ctx, new, on)
    assert (before.until_age, after.until_age) == (27, 30)
    assert after.eligible > before.eligible * 1.15
    assert after.excluded["too_old"] < before.excluded["too_old"]
    assert after.registered == before.registered
    for region, n in before.by_region.items():
        assert after.by_region[region] >= n


def test_exclusions_name_every_excluded_person_once(engine, policy, tmp_path):
    from register_fixtures import load_small_register

    load_small_register(engine, policy, tmp_path)
    on = dt.date(2026, 4, 1)
    ctx = context_on(engine, on)
    report = eligibility(ctx, policy.in_force(on), on)
    table = exclusions(ctx, policy.in_force(on), on)
    assert table.num_rows == report.registered - report.eligible
    assert len(set(table.column("national_id").to_pylist())) == table.num_rows
    counts = table.group_by("reason").aggregate([("reason", "count")]).to_pydict()
    assert dict(zip(counts["reason"], counts["reason_count"])) == {k: v for k, v in report.excluded.items() if v}
    assert isinstance(table, pa.Table)


def test_the_command_applies_earlier_rules_to_the_same_day(engine, policy, tmp_path):
    import json

    from typer.testing import CliRunner

    from callup.cli import app
    from register_fixtures import load_small_register

    load_small_register(engine, policy, tmp_path)
    on = dt.date(2026, 4, 1)
    runner = CliRunner()
    now = runner.invoke(app, ["register", "eligible", "--on", on.isoformat(), "--json"])
    then = runner.invoke(app, ["register", "eligible", "--on", on.isoformat(), "--rules-on", "2023-12-31", "--json"])
    assert now.exit_code == 0 and then.exit_code == 0, (now.output, then.output)
    now, then = json.loads(now.stdout), json.loads(then.stdout)
    assert (now["until_age"], then["until_age"], now["on"], then["on"]) == (30, 27, on.isoformat(), on.isoformat())
    old = policy.versions[0]
    assert then["eligible"] == eligibility(context_on(engine, on), old, on).eligible < now["eligible"]
