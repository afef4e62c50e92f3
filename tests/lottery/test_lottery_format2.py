"""Format 2: a drand round checked by signature, explicit quotas and shortfalls, the policy hash, all verified."""

import datetime as dt
import hashlib
import json

import pytest
from hypothesis import given, settings, strategies as st

from callup.lottery.allocation import by_method, quotas_csv
from callup.lottery.beacon import QUICKNET, randomness
from callup.lottery.commitment import derive_seed
from callup.lottery.errors import BeaconError, LotteryError, RecordError
from callup.lottery.pool import EMPTY_FINGERPRINT
from callup.lottery.record import (
    DrawRecordV2,
    allocation_csv,
    commitment_file,
    drand_beacon,
    load_commitment,
    load_record,
    record_from_json,
    results_fingerprint,
    run_draw,
)
from callup.lottery.verify import verify
from lottery_support import BEFORE_992, POLICY_FILE, QUICKNET_992, ROUNDS, commit2, unverified_beacon


def failed(report):
    return {c.name for c in report.checks if not c.ok}


def test_a_draw_on_a_drand_round_verifies_offline_and_shows_the_round_time(drawn2):
    pool, commitment, _, _, record = drawn2
    assert isinstance(record, DrawRecordV2) and record.format == "callup-draw-record/2"
    assert record.beacon.signature == QUICKNET_992["signature"] and record.beacon_value == QUICKNET_992["randomness"]
    report = verify(record, pool, published_commitment=commitment.digest, policy_file=POLICY_FILE)
    assert report.match, [c for c in report.checks if not c.ok]
    assert report.beacon_published == "2023-08-23T15:59:00Z" and report.committed_at == "2023-08-23T12:05:00Z"
    assert {"announced commitment", "beacon", "allocation", "policy", "timing"} <= {c.name for c in report.checks}
    assert all(c.rules_out for c in report.checks)
    assert any("checking" in limit or "looking up" in limit for limit in report.limits)


def test_the_draw_refuses_a_forged_round_and_any_round_but_the_committed_one(drawn2):
    pool, commitment, salt, _, _ = drawn2
    sig = bytearray.fromhex(QUICKNET_992["signature"])
    sig[10] ^= 1
    with pytest.raises(BeaconError, match="does not verify|forged"):
        run_draw(commitment, salt, {"round": QUICKNET_992["round"], "signature": sig.hex()}, pool)
    with pytest.raises(BeaconError, match="names round 992"):
        run_draw(commitment, salt, ROUNDS["quicknet"][2], pool)
    with pytest.raises(BeaconError, match="published JSON"):
        run_draw(commitment, salt, QUICKNET_992["randomness"], pool)


def _forge(record, **changes):
    data = json.loads(record.to_json())
    for path, value in changes.items():
        target = data
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return record_from_json(json.dumps(data))


def _recompute_downstream(record, pool, beacon_value, beacon):
    """What a forger does: keep the commitment, swap the beacon, recompute seed and every result."""
    from callup.lottery.draw import draw
    from callup.lottery.pool import canonical
    from callup.lottery.pseudonyms import to_hex

    seed = derive_seed(record.commitment_hash, bytes.fromhex(record.salt), beacon_value)
    table = canonical(pool)
    result, report = draw(table, seed, record.commitment.numbers)
    lists = {n: to_hex(table.column("pseudonym").take(result.called_rows(n))).to_pylist() if r.pool else [] for n, r in report.regions.items()}
    data = json.loads(record.to_json())
    data.update(beacon=beacon, beacon_value=beacon_value, seed=seed.hex(), results_fingerprint=results_fingerprint(lists))
    for name, r in report.regions.items():
        data["regions"][name].update(called_pseudonyms=lists[name], cutoff_key=r.cutoff_key)
    return record_from_json(json.dumps(data))


def test_a_forger_who_recomputes_everything_from_another_beacon_is_caught_by_the_signature(drawn2):
    pool, commitment, _, _, record = drawn2
    chosen = "ab" * 32  # a value the office likes, no signature
    forged = _recompute_downstream(record, pool, chosen, {**record.beacon.model_dump(), "randomness": chosen})
    report = verify(forged, pool, published_commitment=commitment.digest)
    assert not report.match and failed(report) == {"beacon"}  # every other check is consistent
    other = ROUNDS["quicknet"][2]  # a real, validly signed round, but not the committed one
    forged = _recompute_downstream(record, pool, other["randomness"], {"kind": "drand", "round": other["round"],
                                   "signature": other["signature"], "previous_signature": None, "randomness": other["randomness"]})
    report = verify(forged, pool)
    assert failed(report) == {"beacon"} and "names round 992" in next(c.detail for c in report.checks if c.name == "beacon")


def test_a_forger_who_recommits_to_another_round_is_caught_only_by_the_announced_hash(drawn2):
    pool, commitment, salt, _, _ = drawn2
    other = ROUNDS["quicknet"][2]
    later = dt.datetime(2023, 9, 1, tzinfo=dt.UTC)  # pretend: before round 657413
    recommitted, salt2 = commit2(pool, beacon=drand_beacon("quicknet", other["round"], now=later), salt_byte=9)
    _, record = run_draw(recommitted, salt2, other, pool)
    assert verify(record, pool).match
    report = verify(record, pool, published_commitment=commitment.digest)
    assert failed(report) == {"announced commitment"}


def test_committing_to_a_round_already_published_is_refused():
    with pytest.raises(BeaconError, match="not in the future.*e.g. "):
        drand_beacon("quicknet", QUICKNET_992["round"], now=dt.datetime(2023, 8, 23, 16, 0, tzinfo=dt.UTC))
    spec = drand_beacon("default", 10**7, now=BEFORE_992)
    assert spec.chain == "default" and spec.public_key.startswith("868f005e")


def test_explicit_quotas_are_committed_as_a_table_and_shortfalls_are_recorded(drawn_explicit):
    pool, commitment, _, _, record = drawn_explicit
    alloc = commitment.allocation
    assert alloc.method == "explicit" and alloc.quotas_sha256 == hashlib.sha256(quotas_csv(alloc.quotas)).hexdigest()
    north, nowhere = record.regions["North"], record.regions["Nowhere"]
    # North: pool 200, quota 150, over-call 0.35 -> 203 to call, 200 called: shortfall 3, quota met
    assert (north.pool, north.quota, north.number, north.called, north.shortfall, north.quota_shortfall) == (200, 150, 203, 200, 3, 0)
    # Nowhere: nobody in the pool; its fingerprint is SHA-256 of nothing, the whole quota is short
    assert (nowhere.pool, nowhere.number, nowhere.shortfall, nowhere.quota_shortfall) == (0, 7, 7, 5)
    assert nowhere.pool_fingerprint == EMPTY_FINGERPRINT == hashlib.sha256(b"").hexdigest()
    assert record.regions["East"].number == 0 and record.regions["East"].pool == 200
    assert record.shortfall_total == 10 and record.quota_shortfall_total == 5 and record.quota_total == 175
    report = verify(record, pool, quotas_file=quotas_csv(alloc.quotas))
    assert report.match, [c for c in report.checks if not c.ok]
    assert any("UNVERIFIED" in limit for limit in report.limits)
    assert record.beacon_value == "rehearsal value"  # Unicode White_Space (U+3000) trimmed


def test_numbers_that_do_not_follow_from_the_quota_table_are_caught(drawn_explicit):
    pool, commitment, salt, _, record = drawn_explicit
    doc = commitment.document()
    doc["numbers"]["South"] += 1  # the office calls one more than the table allows, and re-hashes
    tampered = load_commitment(doc)
    with pytest.raises(LotteryError, match="do not follow"):
        run_draw(tampered, salt, "rehearsal value", pool)
    forged = _forge(record, commitment__numbers=doc["numbers"])
    forged = _forge(forged, commitment_hash=forged.commitment.digest)
    assert "allocation" in failed(verify(forged, pool))
    assert "quota table" in failed(verify(record, pool, quotas_file=b"region,quota\n\"North\",999\n"))


def test_a_national_quota_above_the_pool_counts_as_quota_shortfall(small_pool):
    commitment, salt = commit2(small_pool, allocation=by_method(700, "sainte_lague", "0"), beacon=unverified_beacon("test"))
    _, record = run_draw(commitment, salt, "v", small_pool)
    assert sum(r.quota for r in record.regions.values()) == 600 and record.quota_total == 700
    assert record.quota_shortfall_total == 100 and record.called_total == 600
    assert verify(record, small_pool).match


def test_the_beacon_kinds_cannot_be_swapped(drawn_explicit, drawn2):
    pool, commitment, salt, _, _ = drawn_explicit
    with pytest.raises(BeaconError, match="as text"):
        run_draw(commitment, salt, QUICKNET_992, pool)
    forged = _forge(drawn2[4], beacon={"kind": "unverified"})
    assert "beacon" in failed(verify(forged, drawn2[0]))


def test_a_wrong_policy_file_is_reported(drawn2):
    pool, _, _, _, record = drawn2
    assert failed(verify(record, pool, policy_file=POLICY_FILE + b"# edited\n")) == {"policy"}


def test_files_commitment_json_hashes_to_the_commitment_and_allocation_csv_lists_every_region(drawn_explicit, tmp_path):
    pool, commitment, _, _, record = drawn_explicit
    data = commitment_file(commitment)
    assert hashlib.sha256(data).hexdigest() == commitment.digest and not data.endswith(b"\n")
    assert load_commitment(data.decode()) == commitment
    text = allocation_csv(commitment, pool).decode()
    assert text.splitlines() == ['region,pool,volunteers,quota,number', '"East",200,5,0,0', '"North",200,5,150,203',
                                 '"Nowhere",0,0,5,7', '"South",200,5,20,27']
    path = tmp_path / "record.json"
    path.write_text(record.to_json())
    assert load_record(path) == record


def test_a_format_1_record_still_loads_and_verifies(drawn, tmp_path):
    pool, _, _, _, record = drawn
    assert record.format == "callup-draw-record/1"
    report = verify(record_from_json(record.to_json()), pool)
    assert report.match and report.format_version == 1 and any("Format 1" in limit for limit in report.limits)


def test_an_unknown_record_format_is_named():
    from callup.lottery.errors import RecordError

    with pytest.raises(RecordError, match="unknown record format 'callup-draw-record/9'"):
        record_from_json('{"format": "callup-draw-record/9"}')


@pytest.mark.parametrize("form", ["[]", "{}", "null", "2"])
def test_a_format_that_is_not_text_is_named_too(form):
    """A record whose format is a list or an object (unhashable) was a TypeError, not the reader's error."""
    from callup.lottery.errors import RecordError

    with pytest.raises(RecordError, match="unknown record format"):
        record_from_json('{"format": ' + form + '}')


FIELDS = [
    ("seed", "00" * 32),
    ("salt", "11" * 32),
    ("beacon_value", "ff" * 32),
    ("called_total", 1),
    ("shortfall_total", 9),
    ("quota_shortfall_total", 3),
    ("quota_total", 1),
    ("regions__East__quota", 1),
    ("regions__North__cutoff_key", "0" * 32),
    ("regions__South__pool_fingerprint", "0" * 64),
    ("regions__South__quota_shortfall", 2),
    ("commitment__allocation__quota", 301),
    ("commitment__pool_size", 601),
    ("commitment__beacon__round", 993),
    ("beacon__round", 993),
    ("beacon__signature", ROUNDS["quicknet"][0]["signature"]),
]


@settings(max_examples=len(FIELDS) * 2, deadline=None)
@given(change=st.sampled_from(FIELDS))
def test_any_edited_field_of_a_drand_record_fails_verification(drawn2, change):
    pool, _, _, _, record = drawn2
    path, value = change
    assert not verify(_forge(record, **{path: value}), pool).match


def test_randomness_of_the_fixture_round_is_its_published_value():
    assert randomness(QUICKNET_992["signature"]) == QUICKNET_992["randomness"]
    assert QUICKNET.round_time(QUICKNET_992["round"]) == 1692806340


def test_a_rate_with_a_trailing_newline_is_not_a_rate_in_a_committed_document():
    """Section 4: the rate matches as a whole; a pattern ending in Python's `$` would let "0.35\\n" through."""
    import pathlib

    vector = json.loads((pathlib.Path(__file__).parent / "vectors" / "format2-drand.json").read_text(encoding="utf-8"))
    document = json.loads(vector["outputs"]["commitment_json"])
    assert load_commitment(document).digest == vector["outputs"]["commitment"]
    document["allocation"]["over_call_rate"] = "0.25\n"
    with pytest.raises(RecordError, match="over_call_rate"):
        load_commitment(document)


def test_the_timing_check_is_strict_a_commitment_recorded_at_the_rounds_publication_fails(tmp_path):
    import pathlib

    from callup.lottery.pool import read_pool

    vector = json.loads((pathlib.Path(__file__).parent / "vectors" / "format2-drand.json").read_text(encoding="utf-8"))["outputs"]
    (tmp_path / "pool.csv").write_text(vector["pool_csv"], encoding="utf-8")
    pool = read_pool(tmp_path / "pool.csv")
    for committed_at, ok in (("2023-08-23T15:58:59Z", True), ("2023-08-23T15:59:00Z", False)):
        record = record_from_json(json.dumps({**vector["record"], "committed_at": committed_at}))
        [timing] = [c for c in verify(record, pool).checks if c.name == "timing"]
        assert timing.ok is ok, committed_at
