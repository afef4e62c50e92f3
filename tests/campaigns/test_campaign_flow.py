"""A whole campaign on both backends: create, freeze, commit, draw, export, verify, replace."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pyarrow.csv as pacsv
import pytest
from sqlalchemy import func, select, update

from callup.campaigns import service
from callup.campaigns.errors import CampaignStateError, NotCalled
from callup.campaigns.tables import Call, OrderEntry
from callup.errors import InputError
from callup.lottery import load_record, read_pool, verify
from callup.register.eligibility import eligibility
from callup.register.tables import Person
from callup_test_support import NORTHLAND_POLICY
from campaign_helpers import TODAY, WINDOW, create, drawn, load_register, on_day, person, replace, summary

calls = Call.__table__
order = OrderEntry.__table__


def test_a_whole_campaign_calls_exact_regional_numbers_and_verifies(ctx, engine, tmp_path):
    load_register(ctx, tmp_path)
    drawn_summary = drawn(ctx)
    pool_on_start = eligibility(ctx, ctx.policy().in_force(WINDOW[0]), WINDOW[0])
    assert drawn_summary.pool_size == pool_on_start.eligible
    assert sum(r.quota for r in drawn_summary.regions) == 300
    for region in drawn_summary.regions:
        assert region.pool == pool_on_start.by_region[region.region]
        assert region.number == min(region.pool, -(-region.quota * 135 // 100))
        assert region.called == region.number
    files = service.export_campaign(ctx, "spring-2027", tmp_path / "public")
    report = verify(load_record(files["record"]), read_pool(files["pool"]))
    assert report.match
    pool_text = (tmp_path / "public" / "pool.parquet").read_bytes()
    with engine.connect() as conn:
        some_ids = [r[0] for r in conn.execute(select(Person.__table__.c.national_id).limit(50))]
    assert not any(i.encode() in pool_text for i in some_ids), "the public pool file must not contain national ids"


def test_the_draw_refuses_to_run_before_a_commitment_and_each_step_happens_once(ctx, engine, tmp_path):
    load_register(ctx, tmp_path, people=3000)
    create(ctx, "c", quota=20)
    with pytest.raises(CampaignStateError, match="is created: cannot draw"):
        service.draw_campaign(ctx, "c", beacon_value="x")
    frozen = service.freeze_campaign(ctx, "c")
    again = service.freeze_campaign(ctx, "c")
    assert again.already_done and again.pool_fingerprint == frozen.pool_fingerprint
    with pytest.raises(CampaignStateError, match="is frozen: cannot draw"):
        service.draw_campaign(ctx, "c", beacon_value="x")
    first = service.commit_campaign(ctx, "c", beacon_source="round 7")
    repeat = service.commit_campaign(ctx, "c", beacon_source="round 7")
    assert repeat.already_done and repeat.commitment_hash == first.commitment_hash  # no second salt
    with pytest.raises(CampaignStateError, match="never replaced"):
        service.commit_campaign(ctx, "c", beacon_source="round 8")
    drawn_once = service.draw_campaign(ctx, "c", beacon_value="x")
    assert service.draw_campaign(ctx, "c", beacon_value="x") == dataclasses.replace(drawn_once, already_done=True)
    with pytest.raises(CampaignStateError, match="already been drawn"):
        service.draw_campaign(ctx, "c", beacon_value="y")
    assert summary(ctx, "c").commitment_hash == first.commitment_hash


def test_the_frozen_pool_does_not_move_when_the_register_changes(ctx, engine, tmp_path):
    load_register(ctx, tmp_path, people=5000)
    create(ctx, "c", quota=30)
    frozen = service.freeze_campaign(ctx, "c")
    with engine.begin() as conn:
        conn.execute(update(Person.__table__).values(civil_status="emigrated"))
    service.commit_campaign(ctx, "c", beacon_source="round 1")
    service.draw_campaign(ctx, "c", beacon_value="v")
    after = summary(ctx, "c")
    assert after.pool_fingerprint == frozen.pool_fingerprint
    assert after.called == frozen.called_number


def _called_ids(ctx, name: str) -> set[str]:  # noqa: ANN001
    from callup.uow import UnitOfWork

    with UnitOfWork(ctx, write=False) as uow:
        return set(uow.execute(select(calls.c.national_id).join(service.campaigns_t, service.campaigns_t.c.id == calls.c.campaign_id)
                               .where(service.campaigns_t.c.name == name)).scalars())


def test_the_beacon_value_changes_who_is_called(ctx, tmp_path):
    """Only the beacon differs. The campaign's name is in its commitment (so in the seed), so the comparison is
    between two stores holding the same register and the same campaigns, with the same salt and pseudonym key
    (one seeded random source) and the same clock: the same beacon calls the same people in both, another
    beacon calls others."""
    from callup.lottery.commitment import SeededRandom
    from callup.store import open_store
    from callup.store.engine import disconnect
    from callup_test_support import make_context, make_store_url

    backend = "sqlite" if ctx.database_url.startswith("sqlite") else "postgres"
    (tmp_path / "twin").mkdir()
    twin_url, drop = make_store_url(backend, tmp_path / "twin")
    try:
        open_store(twin_url)
        stores = [dataclasses.replace(on_day(c, TODAY), random=SeededRandom(b"only the beacon differs"))
                  for c in (ctx, make_context(twin_url))]
        seen = []
        for store, other_beacon in zip(stores, ("value-1", "value-2")):
            load_register(store, tmp_path, people=5000)
            drawn(store, name="same", quota=60, over_call="0", beacon="value-1")
            drawn(store, name="other", quota=60, over_call="0", beacon=other_beacon)
            seen.append({name: (summary(store, name).commitment_hash, _called_ids(store, name)) for name in ("same", "other")})
    finally:
        disconnect(twin_url)
        drop()
    first, second = seen
    # One commitment per campaign in both stores: the same pool, pseudonym key, numbers and salt.
    assert first["same"][0] == second["same"][0] and first["other"][0] == second["other"][0]
    assert len(first["same"][1]) == len(first["other"][1]) == len(second["other"][1]) == 60
    assert first["same"][1] == second["same"][1]  # same beacon: the same people
    assert first["other"][1] != second["other"][1]  # only the beacon differs: other people


def test_replacements_follow_the_reserve_order_once_and_skip_people_who_left(ctx, engine, tmp_path):
    load_register(ctx, tmp_path, people=8000)
    drawn(ctx, quota=40, over_call="0")
    with engine.connect() as conn:
        campaign_id = conn.execute(select(service.campaigns_t.c.id)).scalar_one()
        first = conn.execute(select(calls.c.national_id, calls.c.region).where(calls.c.campaign_id == campaign_id)
                             .order_by(calls.c.region, calls.c.position)).first()
        reserve = [r[0] for r in conn.execute(
            select(order.c.national_id).where(order.c.campaign_id == campaign_id, order.c.region == first.region)
            .order_by(order.c.position)) if r[0] not in set(conn.execute(select(calls.c.national_id)).scalars())]
    # The first in reserve has died since the draw: the replacement skips them.
    with engine.begin() as conn:
        conn.execute(update(Person.__table__).where(Person.__table__.c.national_id == reserve[0]).values(civil_status="deceased"))
    done = replace(ctx, "spring-2027", first.national_id, "deferred")
    assert done.replacement == reserve[1]
    again = replace(ctx, "spring-2027", first.national_id, "deferred")
    assert again.already_done and again.replacement == reserve[1]
    second = replace(ctx, "spring-2027", reserve[1], "unfit")
    assert second.replacement == reserve[2]
    with engine.connect() as conn:
        ids = list(conn.execute(select(calls.c.national_id).where(calls.c.campaign_id == campaign_id)).scalars())
    assert len(ids) == len(set(ids)) == 40 + 2
    with pytest.raises(NotCalled):
        replace(ctx, "spring-2027", reserve[5], "unfit")
    # Every step is in the audit log, once, and the chain holds.
    from callup import audit

    assert audit.verify(engine).ok
    actions = [e.action for e in audit.entries(engine, target="campaign:spring-2027")]
    assert actions == ["campaign.create", "campaign.freeze", "campaign.commit", "campaign.draw"]
    history = [(e.action, e.details.get("release_reason")) for e in audit.entries(engine, person_id=reserve[1])
               if e.action.startswith("campaign.")]
    assert history == [("campaign.call", None), ("campaign.release", "unfit")]


def test_a_replacement_passes_over_a_long_run_of_people_who_left(ctx, engine, tmp_path, monkeypatch):
    """The reserve is read a few positions at a time: a run of people who died longer than one read is passed over too."""
    from callup.campaigns import replacements

    monkeypatch.setattr(replacements, "_RESERVE_SPARE", 0)  # two positions a read for one release
    load_register(ctx, tmp_path, people=8000)
    drawn(ctx, quota=40, over_call="0")
    with engine.connect() as conn:
        campaign_id = conn.execute(select(service.campaigns_t.c.id)).scalar_one()
        first = conn.execute(select(calls.c.national_id, calls.c.region, calls.c.position).where(calls.c.campaign_id == campaign_id)
                             .order_by(calls.c.region, calls.c.position)).first()
        last = conn.execute(select(func.max(calls.c.position)).where(calls.c.campaign_id == campaign_id,
                                                                      calls.c.region == first.region)).scalar_one()
        reserve = list(conn.execute(select(order.c.national_id).where(
            order.c.campaign_id == campaign_id, order.c.region == first.region, order.c.position > last)
            .order_by(order.c.position)).scalars())
    assert len(reserve) > 5
    with engine.begin() as conn:
        conn.execute(update(Person.__table__).where(Person.__table__.c.national_id.in_(reserve[:5]))
                     .values(civil_status="deceased"))
    done = replace(ctx, "spring-2027", first.national_id, "deferred")
    assert (done.replacement, done.position) == (reserve[5], last + 6)


def test_an_exhausted_reserve_reports_no_replacement(ctx, engine, tmp_path):
    load_register(ctx, tmp_path, people=3000)
    drawn_summary = drawn(ctx, quota=10_000, over_call="0")  # more than the pool: everyone is called
    region = next(r for r in drawn_summary.regions if r.pool > 0)
    with engine.connect() as conn:
        person = conn.execute(select(calls.c.national_id).where(calls.c.region == region.region)).scalars().first()
    assert replace(ctx, "spring-2027", person, "exempted").replacement is None


def test_volunteers_fill_their_region_first_where_the_policy_says_so(ctx, engine, tmp_path):
    ctx = dataclasses.replace(ctx, policy_path=str(NORTHLAND_POLICY))
    load_register(ctx, tmp_path, people=20_000)
    with engine.connect() as conn:
        volunteers = list(conn.execute(select(Person.__table__.c.national_id).where(Person.__table__.c.volunteer.is_(True))).scalars())
    assert volunteers
    create(ctx, "autumn", window=(dt.date(2027, 8, 15), dt.date(2027, 11, 30)), quota=400)
    frozen = service.freeze_campaign(ctx, "autumn")
    assert frozen.volunteers > 0
    service.commit_campaign(ctx, "autumn", beacon_source="round 5")
    service.draw_campaign(ctx, "autumn", beacon_value="v")
    with engine.connect() as conn:
        rows = conn.execute(select(order.c.national_id, order.c.region, order.c.position)).all()
    pool_volunteers = {r.national_id for r in rows if r.national_id in set(volunteers)}
    for region in {r.region for r in rows}:
        in_order = [r.national_id in pool_volunteers for r in sorted(rows, key=lambda r: r.position) if r.region == region]
        assert in_order == sorted(in_order, reverse=True), f"volunteers must come first in {region}"


def test_explicit_regional_quotas_are_read_with_clear_errors(policy, tmp_path):
    from callup.campaigns import inputs

    good = tmp_path / "q.csv"
    good.write_text("region,quota\nR01,10\nR02,0\n")
    assert inputs.read_regional_quotas(good, policy.region_codes) == {"R01": 10, "R02": 0}
    bad = tmp_path / "bad.csv"
    bad.write_text("region,quota\nR01,10\nR99,3\n")
    with pytest.raises(InputError, match=r"bad.csv: line 3: unknown region 'R99'"):
        inputs.read_regional_quotas(bad, policy.region_codes)
    bad.write_text("region,quota\nR01,-4\n")
    with pytest.raises(InputError, match=r"line 2: quota: must be a whole number"):
        inputs.read_regional_quotas(bad, policy.region_codes)


def test_campaign_commands_from_the_command_line(ctx, tmp_path):
    from typer.testing import CliRunner

    from callup.cli import app

    load_register(ctx, tmp_path, people=4000)
    runner = CliRunner()
    steps = [
        ["campaign", "create", "s", "--window", "2027-04-01:2027-07-15", "--quota", "50", "--over-call", "0.2", "--json"],
        ["campaign", "commit", "s", "--beacon-source", "round 42", "--json"],
        ["campaign", "draw", "s", "--beacon", "0xabc", "--json"],
        ["campaign", "export", "s", "--out", "pub", "--json"],
    ]
    outputs = []
    for args in steps:
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        outputs.append(json.loads(result.stdout))
    assert outputs[2]["called"] == sum(r["number"] for r in outputs[0]["regions"])
    verified = runner.invoke(app, ["verify", "pub/draw-record.json", "pub/pool.parquet", "--json"])
    assert verified.exit_code == 0 and json.loads(verified.stdout)["match"] is True
    allocation = pacsv.read_csv(tmp_path / "pub" / "allocation.csv").to_pydict()
    assert sum(allocation["quota"]) == 50


def test_a_drawn_campaign_passes_the_fairness_check_and_meets_every_regional_number(ctx, engine, tmp_path):
    """On one fixed draw (seeded salt and key, fixed beacon): a random draw would be flagged 1% of the time at alpha 0.01."""
    from callup.campaigns.fairness import campaign_fairness
    from callup.lottery.commitment import SeededRandom

    ctx = dataclasses.replace(ctx, random=SeededRandom(b"a fair draw"))
    load_register(ctx, tmp_path, people=30_000)
    drawn(ctx, quota=500, beacon="beacon-value-1")
    result = campaign_fairness(ctx, "spring-2027", alpha=0.01, plot=tmp_path / "fair.png")
    assert result.birth_date_test.n == summary(ctx, "spring-2027").pool_size
    assert not result.birth_date_test.flagged
    assert all(r["called_by_draw"] == r["number"] for r in result.regions)
    assert (tmp_path / "fair.png").stat().st_size > 10_000


def test_a_person_can_check_their_rank_from_their_pseudonym_and_the_public_record(ctx, engine, tmp_path):
    from callup.lottery.commands import rank_lookup

    load_register(ctx, tmp_path, people=8000)
    drawn(ctx, quota=50)
    files = service.export_campaign(ctx, "spring-2027", tmp_path / "public")
    record, pool = load_record(files["record"]), read_pool(files["pool"])
    with engine.connect() as conn:
        in_order = conn.execute(select(order.c.national_id).order_by(order.c.region, order.c.position.desc())).scalars().first()
        called = conn.execute(select(calls.c.national_id)).scalars().first()
    for national_id in (in_order, called):
        mine = dataclasses.asdict(person(ctx, "spring-2027", national_id, reason="citizen enquiry"))
        public = rank_lookup(mine["pseudonym"], record, pool)
        assert (public["region"], public["rank"], public["call_position"]) == (mine["region"], mine["rank"], mine["position"])
        assert public["called"] == (mine["status"] == "called")
    from callup import audit

    reads = [e for e in audit.entries(engine, person_id=called) if e.action == "person.read"]
    assert [(e.reason, e.details["view"]) for e in reads] == [("citizen enquiry", "campaign:spring-2027")]


def test_a_draw_started_twice_at_once_runs_once(ctx, engine, tmp_path, monkeypatch):
    """The two draws really overlap: a barrier holds each after its status check until both have passed it, so
    only the check inside the draw's write transaction can stop the second (run one after the other, the second
    would be refused by the status check with another message)."""
    import concurrent.futures
    import threading

    load_register(ctx, tmp_path, people=20_000)
    create(ctx, "c", quota=200)
    service.freeze_campaign(ctx, "c")
    service.commit_campaign(ctx, "c", beacon_source="round 3")
    both_checked = threading.Barrier(2, timeout=120)
    run_job = service.run_job

    def run_job_once_both_checked(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        both_checked.wait()
        return run_job(*args, **kwargs)

    monkeypatch.setattr(service, "run_job", run_job_once_both_checked)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(service.draw_campaign, ctx, "c", beacon_value=v) for v in ("v1", "v2")]
    outcomes = [f.exception() for f in futures]
    assert sum(e is None for e in outcomes) == 1, outcomes
    loser = next(e for e in outcomes if e is not None)
    assert isinstance(loser, CampaignStateError) and "is drawn: cannot draw" in str(loser), loser
    with engine.connect() as conn:
        called = len(conn.execute(select(calls.c.national_id)).all())
    assert called == summary(ctx, "c").called


def test_the_over_call_can_come_from_past_campaign_outcomes(ctx, tmp_path):
    from typer.testing import CliRunner

    from callup.cli import app
    from callup.planning.calibration import calibrate
    from callup_test_support import REPO

    load_register(ctx, tmp_path, people=4000)
    outcomes = REPO / "examples" / "outcomes" / "campaign-outcomes.csv"
    result = CliRunner().invoke(app, ["campaign", "create", "s", "--window", "2027-04-01:2027-07-15", "--quota", "40",
                                      "--over-call-from", str(outcomes), "--json"])
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.stdout)
    assert abs(float(outcome["over_call_rate"]) - (calibrate(outcomes).called_per_inductee - 1)) < 1e-4
    from callup.lottery.apportionment import over_call

    for region in outcome["regions"]:
        assert region["number"] == min(region["pool"], over_call(region["quota"], outcome["over_call_rate"]))
    assert sum(r["number"] for r in outcome["regions"]) >= 80  # a yield near one half doubles the calls


def test_a_closed_campaign_calls_and_replaces_nobody_more(ctx, engine, tmp_path):
    from callup import audit
    from callup.uow import UnitOfWork

    load_register(ctx, tmp_path, people=3000)
    drawn(ctx, quota=20, over_call="0")
    with engine.connect() as conn:
        first = conn.execute(select(calls.c.national_id)).scalars().first()
    with UnitOfWork(ctx) as uow:
        closed = service.close_campaign(uow, "spring-2027")
    with UnitOfWork(ctx) as uow:
        assert service.close_campaign(uow, "spring-2027").already_done
    assert closed.called == summary(ctx, "spring-2027").called and not closed.already_done
    with pytest.raises(CampaignStateError, match="closed"):
        replace(ctx, "spring-2027", first, "deferred")
    assert [e.action for e in audit.entries(engine, target="campaign:spring-2027")][-1] == "campaign.close"
