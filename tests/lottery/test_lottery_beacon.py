"""drand rounds checked by their BLS signatures: real published rounds of both League of Entropy chains."""

import datetime as dt
import hashlib
import json
import pathlib

import pytest
from hypothesis import given, settings, strategies as st

from callup.lottery.beacon import CHAINS, MAINNET, QUICKNET, chain, known_chain, parse_round, signature_valid, verify_round
from callup.lottery.errors import BeaconError

ROUNDS = json.loads((pathlib.Path(__file__).parent / "vectors" / "drand-rounds.json").read_text())
REAL = [(MAINNET, r) for r in ROUNDS["default"]] + [(QUICKNET, r) for r in ROUNDS["quicknet"]]


@pytest.mark.parametrize(("drand_chain", "published"), REAL, ids=[f"{c.name}-{r['round']}" for c, r in REAL])
def test_real_published_rounds_verify_and_their_value_is_sha256_of_the_signature(drand_chain, published):
    checked = verify_round(drand_chain, json.dumps(published), expected_round=published["round"])
    assert checked.randomness == published["randomness"] == hashlib.sha256(bytes.fromhex(published["signature"])).hexdigest()
    assert checked.previous_signature == published.get("previous_signature")


def test_the_chain_hashes_follow_from_the_chain_parameters():
    for drand_chain in (MAINNET, QUICKNET):
        assert drand_chain.computed_hash() == drand_chain.chain_hash
    assert chain("mainnet") is chain("default") is chain(MAINNET.chain_hash) is MAINNET
    assert chain(" QuickNet ") is QUICKNET


def test_a_round_of_the_other_round_number_is_refused():
    published = ROUNDS["quicknet"][0]
    with pytest.raises(BeaconError, match=f"round {published['round']}.*names round {published['round'] + 1}"):
        verify_round(QUICKNET, published, expected_round=published["round"] + 1)


def test_a_valid_signature_presented_for_another_round_is_refused():
    a, b = ROUNDS["quicknet"][0], ROUNDS["quicknet"][1]
    forged = {"round": b["round"], "signature": a["signature"]}  # a real point of the curve, signed for round a
    with pytest.raises(BeaconError, match="does not verify"):
        verify_round(QUICKNET, forged)
    m1, m2 = ROUNDS["default"][2], ROUNDS["default"][3]
    with pytest.raises(BeaconError, match="does not verify"):
        verify_round(MAINNET, {**m2, "signature": m1["signature"], "randomness": None})
    with pytest.raises(BeaconError, match="does not verify"):
        verify_round(MAINNET, {**m2, "previous_signature": m1["previous_signature"]})


@settings(max_examples=40, deadline=None)
@given(which=st.sampled_from(REAL), position=st.integers(0, 95), flip=st.integers(1, 255))
def test_any_altered_signature_byte_is_refused(which, position, flip):
    drand_chain, published = which
    sig = bytearray.fromhex(published["signature"])
    position %= len(sig)
    sig[position] ^= flip
    assert not signature_valid(drand_chain, published["round"], sig.hex(), published.get("previous_signature"))
    with pytest.raises(BeaconError):
        verify_round(drand_chain, {**published, "signature": sig.hex(), "randomness": None})


def test_a_round_of_one_chain_is_refused_by_the_other():
    with pytest.raises(BeaconError, match="another chain"):
        verify_round(MAINNET, ROUNDS["quicknet"][0])
    with pytest.raises(BeaconError, match="another chain"):
        verify_round(QUICKNET, ROUNDS["default"][0])


def test_chaining_rules_and_randomness_are_checked():
    with pytest.raises(BeaconError, match="previous_signature"):
        verify_round(MAINNET, {k: v for k, v in ROUNDS["default"][1].items() if k != "previous_signature"})
    with pytest.raises(BeaconError, match="unchained"):
        verify_round(QUICKNET, {**ROUNDS["quicknet"][0], "previous_signature": "00" * 48})
    with pytest.raises(BeaconError, match="randomness"):
        verify_round(QUICKNET, {**ROUNDS["quicknet"][0], "randomness": "00" * 32})


@pytest.mark.parametrize("bad", ["not json", "[]", '{"round": "5", "signature": "aa"}', '{"round": 0, "signature": "aa"}',
                                 '{"round": 5}', '{"round": 5, "signature": "xyz"}', '{"round": true, "signature": "aa"}'])
def test_malformed_round_json_is_an_input_error_naming_the_option(bad):
    with pytest.raises(BeaconError) as info:
        parse_round(bad)
    assert info.value.field == "beacon_round"


def test_upper_case_hex_from_a_relay_is_accepted():
    published = ROUNDS["quicknet"][1]
    upper = {"round": published["round"], "signature": published["signature"].upper()}
    assert verify_round(QUICKNET, upper).randomness == published["randomness"]


def test_publication_time_is_genesis_plus_period_times_round_minus_one():
    assert MAINNET.round_time(1) == MAINNET.genesis_time
    assert QUICKNET.round_datetime(992) == dt.datetime(2023, 8, 23, 15, 59, tzinfo=dt.UTC)  # on a whole minute
    assert MAINNET.round_time(1000) == 1595431050 + 30 * 999


@given(seconds=st.integers(0, 10**10))
def test_round_at_and_first_round_after_agree_with_publication_times(seconds):
    for drand_chain in (MAINNET, QUICKNET):
        r = drand_chain.round_at(seconds)
        if r:
            assert drand_chain.round_time(r) <= seconds < drand_chain.round_time(r + 1)
        else:
            assert seconds < drand_chain.genesis_time
        when = dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
        assert drand_chain.round_time(drand_chain.first_round_after(when)) > seconds


def test_a_commitment_naming_a_foreign_public_key_is_refused():
    doc = QUICKNET.document()
    assert known_chain(doc) is QUICKNET
    with pytest.raises(BeaconError, match="public_key"):
        known_chain({**doc, "public_key": MAINNET.public_key})
    with pytest.raises(BeaconError, match="unknown drand chain"):
        known_chain({**doc, "chain": "evil", "chain_hash": "00" * 32})
    assert set(CHAINS) == {"default", "mainnet", "quicknet"}


def test_round_one_of_the_chained_network_chains_from_the_genesis_seed_and_nothing_else():
    """Section 5.1: round 1's previous signature is the 32-byte genesis seed, decoded from hex before hashing."""
    first = ROUNDS["default"][0]
    assert first["round"] == 1 and first["previous_signature"] == MAINNET.genesis_seed
    assert signature_valid(MAINNET, 1, first["signature"], first["previous_signature"])
    other = bytearray.fromhex(MAINNET.genesis_seed)
    other[-1] ^= 1
    assert not signature_valid(MAINNET, 1, first["signature"], other.hex())
    message = hashlib.sha256(bytes.fromhex(MAINNET.genesis_seed) + (1).to_bytes(8, "big")).digest()
    from callup.lottery.beacon import message as chained_message

    assert chained_message(MAINNET, 1, first["previous_signature"]) == message  # the bytes, not the hex text
