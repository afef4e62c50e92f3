"""Simulated responses commit batch by batch: a run stopped part-way resumes with the people not yet simulated
and ends exactly as an uninterrupted run on an identical store, on both backends; the batch size changes
nothing; two runs at once simulate each person once; on PostgreSQL the tables it fills get fresh statistics."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, text

from callup import audit
from callup.campaigns.errors import CampaignStateError
from callup.campaigns.tables import Call
from callup.reports.outcomes import campaign_report
from callup.simulation.responses import Application, Rates, simulate
from callup.simulation.tables import SimulatedPerson
from callup.uow import UnitOfWork
from case_helpers import CAMPAIGN, drawn_campaign, same_randomness

calls, simulated = Call.__table__, SimulatedPerson.__table__
RATES = Rates(appearance=0.8, contract=0.3)


class Stopped(Exception):
    pass


def _folder(tmp_path, name):  # noqa: ANN001, ANN202
    (tmp_path / name).mkdir()
    return tmp_path / name


def _outcome(ctx):  # noqa: ANN001, ANN202
    """What a simulation leaves: the report's counts by region and every call with its release and what it replaces."""
    with UnitOfWork(ctx, write=False) as uow:
        report = campaign_report(uow, CAMPAIGN)
        every_call = sorted(uow.execute(select(calls.c.national_id, calls.c.region, calls.c.position, calls.c.release_reason,
                                               calls.c.replaces)).all())
        progress = uow.execute(select(func.count()).select_from(simulated)).scalar_one()
    return {r.region: dict(r.outcomes) for r in report.regions}, every_call, progress


def test_a_simulation_stopped_part_way_resumes_and_ends_as_an_uninterrupted_one(ctx, engine, twin, tmp_path):
    day = drawn_campaign(same_randomness(ctx), _folder(tmp_path, "a"), people=3000, quota=60)
    reference = simulate(drawn_campaign(same_randomness(twin), _folder(tmp_path, "b"), people=3000, quota=60), CAMPAIGN, seed=7, rates=RATES, batch=10)

    seen = 0

    def stop_after_35(n: int) -> None:
        nonlocal seen
        seen += n
        if seen >= 35:
            raise Stopped

    with pytest.raises(Stopped):
        simulate(day, CAMPAIGN, seed=7, rates=RATES, batch=10, advance=stop_after_35)
    with UnitOfWork(day, write=False) as uow:  # three batches of 10 delivered (or not), the fourth rolled back
        assert uow.execute(select(func.count()).where(simulated.c.phase > 0)).scalar_one() == 30
    resumed = simulate(day, CAMPAIGN, seed=7, rates=RATES, batch=10)

    assert reference.people > 60 and reference.rounds > 1
    assert (resumed.people, resumed.rounds, resumed.steps) == (reference.people, reference.rounds, reference.steps)
    regions, every_call, progress = _outcome(day)
    assert (regions, every_call) == _outcome(twin)[:2] and progress == 0  # the progress rows go when it finishes
    batches = audit.entries(engine, action="simulation.batch")
    assert sum(e.details["people"] for e in batches if e.details["phase"] == "delivery") == resumed.people  # each once
    assert simulate(day, CAMPAIGN, seed=7, rates=RATES).already_done


def _enrolled(day, folder):  # noqa: ANN001, ANN202
    """The day with everyone on the register enrolled in studies: a deferral on that ground is granted at once."""
    from callup.cases import registries
    from callup.register.tables import Person

    with UnitOfWork(day, write=False) as uow:
        people = uow.execute(select(Person.__table__.c.national_id)).scalars().all()
    path = folder / "enrolment.csv"
    path.write_text("national_id,valid_until,reference\n" + "".join(f"{n},2028-06-30,ref-{i}\n" for i, n in enumerate(people)))
    with UnitOfWork(day) as uow:
        registries.import_registry(uow, "enrolment", path)
    return day


def test_the_batch_size_does_not_change_the_run(ctx, twin, tmp_path):
    """Deferrals granted at once (on a registry's word) and an officer's decisions release in the summonses' order
    whatever the batch size."""
    rates = RATES.model_copy(update={"deferral": Application(apply=0.5, grant=0.8, grounds={"study": 0.5, "family_care": 0.5})})
    small = simulate(_enrolled(drawn_campaign(same_randomness(ctx), _folder(tmp_path, "a"), people=2000, quota=40), tmp_path / "a"),
                     CAMPAIGN, seed=3, rates=rates, batch=7)
    large = simulate(_enrolled(drawn_campaign(same_randomness(twin), _folder(tmp_path, "b"), people=2000, quota=40), tmp_path / "b"),
                     CAMPAIGN, seed=3, rates=rates, batch=10_000)
    assert small.steps["deferral_granted"] > 0 and small.steps["deferral_refused"] > 0
    assert (small.people, small.rounds, small.steps) == (large.people, large.rounds, large.steps)
    assert _outcome(ctx)[:2] == _outcome(twin)[:2]


def test_two_runs_at_once_simulate_each_person_once(ctx, tmp_path):
    """Each batch locks the campaign; the run that finds its next batch done by the other stops, naming why."""
    day = drawn_campaign(ctx, tmp_path, people=2000, quota=40)
    results: list[object] = []

    def run() -> None:
        try:
            results.append(simulate(day, CAMPAIGN, seed=1, batch=5))
        except Exception as exc:  # noqa: BLE001 - whatever stops a run is looked at below
            results.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    finished = [r for r in results if not isinstance(r, Exception)]
    stopped = [r for r in results if isinstance(r, Exception)]
    assert len(results) == 2 and len(finished) >= 1, results
    assert all(isinstance(e, CampaignStateError) and "another run" in str(e) for e in stopped), results
    with UnitOfWork(day, write=False) as uow:
        report = campaign_report(uow, CAMPAIGN)
        assert uow.execute(select(func.count()).select_from(simulated)).scalar_one() == 0
    assert report.adds_up and report.national.called == max(r.people for r in finished)


def test_the_tables_it_fills_have_fresh_statistics_on_postgresql(ctx, engine, tmp_path):
    """PostgreSQL plans from its statistics: made while the case tables were empty, a plan walks the whole campaign for
    one person at full size. The simulation refreshes them itself (autovacuum may be off or behind)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps no statistics unless asked")
    simulate(drawn_campaign(ctx, tmp_path, people=2000, quota=40), CAMPAIGN, seed=1, batch=10)
    with engine.connect() as conn:
        counted = dict(conn.execute(text("SELECT relname, reltuples FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
                                         "AND relname IN ('summonses', 'cases', 'case_transitions')")).all())
    assert counted.keys() == {"summonses", "cases", "case_transitions"} and all(n > 0 for n in counted.values()), counted
