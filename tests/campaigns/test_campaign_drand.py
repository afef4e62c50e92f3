"""Campaigns on record format 2: committed to a drand round, drawn with its signed JSON, explicit quotas and shortfalls."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import pathlib

import pytest

from callup.campaigns import service
from callup.context import FixedClock
from callup.errors import InputError
from callup.lottery.errors import BeaconError
from callup.lottery.pool import read_pool
from callup.lottery.record import load_record
from callup.lottery.verify import verify
from campaign_helpers import create, load_register, summary

ROUNDS = json.loads((pathlib.Path(__file__).resolve().parents[1] / "lottery" / "vectors" / "drand-rounds.json").read_text())
ROUND_992 = ROUNDS["quicknet"][1]  # published 2023-08-23 15:59:00 UTC


def at(ctx, when: dt.datetime):  # noqa: ANN001, ANN202
    return dataclasses.replace(ctx, clock=FixedClock(when))


BEFORE = dt.datetime(2023, 8, 23, 12, 0, tzinfo=dt.UTC)


def test_a_campaign_drawn_on_a_drand_round_refuses_forged_and_other_rounds_and_verifies(ctx, tmp_path):
    load_register(ctx, tmp_path, people=3000)
    create(ctx, "drand-2027", quota=40, over_call="0.25")
    service.freeze_campaign(ctx, "drand-2027")
    committed = service.commit_campaign(at(ctx, BEFORE), "drand-2027", beacon_chain="quicknet", beacon_round=992)
    assert committed.commitment["format"] == "callup-commitment/2" and committed.commitment["beacon"]["round"] == 992
    with pytest.raises(BeaconError, match="not in the future"):
        service.commit_campaign(at(ctx, BEFORE + dt.timedelta(hours=4)), "drand-2027", beacon_chain="quicknet", beacon_round=992)
    sig = bytearray.fromhex(ROUND_992["signature"])
    sig[0] ^= 1
    with pytest.raises(BeaconError):
        service.draw_campaign(ctx, "drand-2027", beacon_round=json.dumps({**ROUND_992, "signature": sig.hex(), "randomness": None}))
    with pytest.raises(BeaconError, match="names round 992"):
        service.draw_campaign(ctx, "drand-2027", beacon_round=json.dumps(ROUNDS["quicknet"][2]))
    with pytest.raises(InputError, match="--beacon-round") as info:
        service.draw_campaign(ctx, "drand-2027", beacon_value=ROUND_992["randomness"])
    assert info.value.field == "beacon_round"
    assert summary(ctx, "drand-2027").status == "committed"  # nothing was drawn by the refused attempts
    drawn = service.draw_campaign(ctx, "drand-2027", beacon_round=json.dumps(ROUND_992))
    again = service.draw_campaign(ctx, "drand-2027", beacon_round=json.dumps(ROUND_992))
    assert again.already_done and again.seed == drawn.seed
    files = service.export_campaign(ctx, "drand-2027", tmp_path / "public")
    assert hashlib.sha256(pathlib.Path(files["commitment"]).read_bytes()).hexdigest() == committed.commitment_hash
    record = load_record(files["record"])
    assert record.beacon.signature == ROUND_992["signature"] and record.committed_at == "2023-08-23T12:00:00Z"
    report = verify(record, read_pool(files["pool"]), published_commitment=committed.commitment_hash)
    assert report.match, [c for c in report.checks if not c.ok]
    assert report.beacon_published == "2023-08-23T15:59:00Z"


def test_explicit_quotas_are_committed_as_a_table_and_a_quota_above_the_pool_shows_as_shortfall(ctx, tmp_path):
    load_register(ctx, tmp_path, people=2000)
    regions = ctx.policy().region_codes
    create(ctx, "table-2027", quota=5003, over_call="0")
    frozen = service.freeze_campaign(ctx, "table-2027", regional_quotas={regions[0]: 5000, regions[1]: 3})
    assert frozen.pool_size < 5000
    committed = service.commit_campaign(at(ctx, BEFORE), "table-2027", unverified="rehearsal")
    allocation = committed.commitment["allocation"]
    assert allocation["method"] == "explicit" and allocation["quotas"][regions[0]] == 5000
    with pytest.raises(InputError, match="--unverified") as info:
        service.draw_campaign(ctx, "table-2027", beacon_value="value")
    assert info.value.field == "unverified"
    service.draw_campaign(ctx, "table-2027", beacon_value="value", unverified=True)
    files = service.export_campaign(ctx, "table-2027", tmp_path / "public")
    record = load_record(files["record"])
    first = record.regions[regions[0]]
    assert first.number == 5000 and first.called == first.pool and first.shortfall == 5000 - first.pool == first.quota_shortfall
    assert record.shortfall_total >= first.shortfall and record.quota_shortfall_total >= first.quota_shortfall
    stored = {r.region: r.number for r in summary(ctx, "table-2027").regions}
    assert stored[regions[0]] == 5000  # the stored number is the committed one, not capped
    quotas_file = pathlib.Path(files["quotas"]).read_bytes()
    assert hashlib.sha256(quotas_file).hexdigest() == allocation["quotas_sha256"]
    report = verify(record, read_pool(files["pool"]), quotas_file=quotas_file)
    assert report.match and any("UNVERIFIED" in limit for limit in report.limits)


def test_the_beacon_is_named_exactly_once(ctx, tmp_path):
    create(ctx, "c", quota=1)
    with pytest.raises(InputError, match="once"):
        service.commit_campaign(ctx, "c", beacon_source="round 1", unverified="x")
    with pytest.raises(InputError, match="both") as info:
        service.commit_campaign(ctx, "c", beacon_chain="quicknet")
    assert info.value.field == "beacon_round"


def test_the_command_line_commits_to_a_future_round_and_refuses_another_round_file(ctx, tmp_path):
    from typer.testing import CliRunner

    from callup.cli import app

    load_register(ctx, tmp_path, people=1500)
    runner = CliRunner()
    run = lambda *args: runner.invoke(app, list(args), terminal_width=200)  # noqa: E731
    assert run("campaign", "create", "q", "--window", "2027-04-01:2027-07-15", "--quota", "20", "--json").exit_code == 0
    future = 10**9  # quicknet round 1,000,000,000 is published in 2118
    out = run("campaign", "commit", "q", "--beacon-chain", "quicknet", "--beacon-round", str(future))
    assert out.exit_code == 0, out.output
    assert "2118-" in out.output and "--beacon-round ROUND.json" in out.output
    round_file = tmp_path / "round.json"
    round_file.write_text(json.dumps(ROUND_992))
    out = run("campaign", "draw", "q", "--beacon-round", str(round_file))
    assert isinstance(out.exception, BeaconError) and f"names round {future}" in str(out.exception)
    out = run("campaign", "draw", "q", "--beacon", "chosen-value", "--unverified")
    assert isinstance(out.exception, InputError) and out.exception.field == "beacon_round"


def test_volunteers_on_a_policy_that_does_not_call_them_first_are_refused_naming_the_setting(ctx, tmp_path):
    create(ctx, "v", quota=5)
    with pytest.raises(InputError, match="conscription.volunteers_first = false") as info:
        service.freeze_campaign(ctx, "v", volunteers=["ANYONE-1"])
    assert info.value.field == "volunteers" and "ANYONE-1" not in str(info.value)
    assert summary(ctx, "v").status == "created"


def test_a_quota_above_a_regions_pool_is_a_reported_shortfall_in_format_1_too(ctx, tmp_path):
    load_register(ctx, tmp_path, people=1500)
    region = ctx.policy().region_codes[0]
    create(ctx, "old", quota=4000)
    service.freeze_campaign(ctx, "old", regional_quotas={region: 4000})
    service.commit_campaign(ctx, "old", beacon_source="round 1")
    drawn = service.draw_campaign(ctx, "old", beacon_value="v")
    pool = next(r.pool for r in summary(ctx, "old").regions if r.region == region)
    assert drawn.shortfall == 4000 - pool > 0
