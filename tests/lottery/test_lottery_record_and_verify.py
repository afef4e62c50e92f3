import json

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings, strategies as st

from callup.lottery.commitment import canonical_json, derive_seed
from callup.lottery.errors import LotteryError, NotCommitted, RecordError
from callup.lottery.record import DrawRecord, load_record, run_draw
from callup.lottery.verify import verify


def test_the_draw_refuses_to_run_before_a_commitment_exists(small_pool):
    with pytest.raises(NotCommitted):
        run_draw(None, b"\0" * 32, "x", small_pool)


def test_the_draw_refuses_a_salt_or_pool_other_than_the_committed_ones(drawn):
    pool, commitment, salt, _, _ = drawn
    with pytest.raises(LotteryError, match="salt"):
        run_draw(commitment, b"\1" * 32, "x", pool)
    with pytest.raises(LotteryError, match="pool"):
        run_draw(commitment, salt, "x", pool.slice(1))


def test_the_seed_binds_commitment_salt_and_beacon(drawn):
    _, commitment, salt, _, record = drawn
    assert record.seed == derive_seed(commitment.digest, salt, "beacon-value-1").hex()
    assert derive_seed(commitment.digest, salt, "beacon-value-2") != bytes.fromhex(record.seed)


def test_floats_cannot_enter_a_commitment():
    with pytest.raises(LotteryError, match="floats"):
        canonical_json({"over_call": 0.35})


def test_a_published_record_re_runs_to_match(drawn, tmp_path):
    pool, _, _, _, record = drawn
    path = tmp_path / "record.json"
    path.write_text(record.to_json())
    report = verify(load_record(path), pool)
    assert report.match and report.verdict == "MATCH"


def test_record_json_is_canonical_and_round_trips(drawn):
    record = drawn[4]
    text = record.to_json()
    assert DrawRecord.from_json(text).to_json() == text
    assert list(json.loads(text)) == sorted(json.loads(text))


def test_a_malformed_record_names_the_file_and_the_key(drawn, tmp_path):
    path = tmp_path / "r.json"
    data = json.loads(drawn[4].to_json())
    data["seed"] = "nothex"
    path.write_text(json.dumps(data))
    with pytest.raises(RecordError, match=r"r\.json: seed"):
        load_record(path)
    path.write_text("{not json")
    with pytest.raises(RecordError, match=r"r\.json"):
        load_record(path)


def _tamper(record: DrawRecord, **changes) -> DrawRecord:
    data = record.model_dump(mode="json")
    for path, value in changes.items():
        target = data
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return DrawRecord.model_validate(data)


def test_a_changed_number_breaks_the_commitment(drawn):
    pool, _, _, _, record = drawn
    report = verify(_tamper(record, commitment__numbers={"North": 21, "South": 30, "East": 250}), pool)
    assert not report.match
    assert {c.name for c in report.checks if not c.ok} >= {"commitment", "seed"}


def test_a_swapped_called_person_is_named(drawn):
    pool, _, _, result, record = drawn
    listed = list(record.regions["North"].called_pseudonyms)
    outsider = pool.column("pseudonym")[int(result.reserve_rows("North")[0])].as_py().hex()
    victim = listed[-1]
    listed[-1] = outsider
    report = verify(_tamper(record, regions__North__called_pseudonyms=listed), pool)
    assert not report.match
    (diff,) = report.regions
    assert diff.region == "North" and diff.missing == [victim] and diff.unexpected == [outsider]


def test_a_reordered_called_list_is_detected(drawn):
    pool, _, _, _, record = drawn
    listed = list(reversed(record.regions["South"].called_pseudonyms))
    report = verify(_tamper(record, regions__South__called_pseudonyms=listed), pool)
    assert not report.match and report.regions[0].order_differs


def test_a_different_beacon_value_is_detected(drawn):
    pool, _, _, _, record = drawn
    report = verify(_tamper(record, beacon_value="beacon-value-2"), pool)
    assert not report.match and "seed" in {c.name for c in report.checks if not c.ok}


def test_a_verifier_can_check_against_the_commitment_announced_earlier(drawn):
    pool, commitment, _, _, record = drawn
    assert verify(record, pool, published_commitment=commitment.digest).match
    assert not verify(record, pool, published_commitment="0" * 64).match


@settings(max_examples=15, deadline=None)
@given(row=st.integers(0, 599), action=st.sampled_from(["drop", "move", "flip_volunteer", "replace"]))
def test_any_tampered_pool_fails_verification_and_names_the_region(drawn, row, action):
    pool, _, _, _, record = drawn
    regions = pool.column("region").to_pylist()
    pseud = pool.column("pseudonym").to_pylist()
    vol = pool.column("volunteer").to_pylist()
    region = regions[row]
    if action == "drop":
        del regions[row], pseud[row], vol[row]
    elif action == "move":
        regions[row] = "North" if region != "North" else "South"
    elif action == "flip_volunteer":
        vol[row] = not vol[row]
    else:
        pseud[row] = bytes(16)
    tampered = pa.table({"region": regions, "pseudonym": pa.array(pseud, type=pa.binary(16)), "volunteer": vol})
    report = verify(record, tampered)
    assert not report.match
    assert "pool fingerprint" in {c.name for c in report.checks if not c.ok}
    assert region in {d.region for d in report.regions}


def test_verify_result_does_not_depend_on_pool_row_order(drawn):
    pool, _, _, _, record = drawn
    shuffled = pool.take(pa.array(np.random.default_rng(5).permutation(pool.num_rows)))
    assert verify(record, shuffled).match
