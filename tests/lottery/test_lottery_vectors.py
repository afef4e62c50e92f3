"""The test vectors published in docs/lottery.md, recomputed: the document and the code agree."""

import hashlib
import pathlib
import shutil
import subprocess

import pytest

from callup.lottery.commitment import canonical_json
from callup.lottery.draw import rank_key
from callup.lottery.pool import fingerprint, make_pool
from callup.lottery.pseudonyms import normalise_id, pseudonym
from callup.lottery.record import commit, run_draw

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "lottery.md"
KEY = bytes(range(32))
PEOPLE = [("ab-12 34", "North", False), ("ID 0002", "North", False), ("id-0003", "North", True), ("ID0004", "North", False), ("ID0005", "Süd", False), ("ID0006", "Süd", False)]
PSEUDONYMS = [
    "e72ec86c9b5d206cbdd169dfa64edacf",
    "8ae543f9aeb1e1c2565db4245473e1d7",
    "ed5c71c54c69a0e7716f82c6ae9e5005",
    "fe85b5fe9ac4d6531413b5fae289feb5",
    "152daac864bbcd9f88b03e4717d49bff",
    "81cb0537a350a08fb9428bd07431ce57",
]
POOL_FINGERPRINT = "6189ba8a08f9bcd3e0038d7c72791b6661abfbbc8f152a5d2955d56381cc58f1"
SALT_HASH = "4bb06f8e4e3a7715d201d573d0aa423762e55dabd61a2c02278fa56cc6d294e0"
COMMITMENT = "358353fa91903635c3c6c773e54ee6f56b247c755a970ef532feae11bb78de42"
SEED = "4f8b440b491dcdac6369ce859afc940c454746b5ce5368d333fb7e4bed0eda25"
RANK_KEYS = {
    "8ae543f9aeb1e1c2565db4245473e1d7": "fe8e5a493a118b18ab1e179bfe19ea16",
    "e72ec86c9b5d206cbdd169dfa64edacf": "dfccd7e8c790c0eb4add7e6bafc4fea2",
    "ed5c71c54c69a0e7716f82c6ae9e5005": "fc198d34c43612c018f620d017ff6e9f",
    "fe85b5fe9ac4d6531413b5fae289feb5": "4ea504b57f35f924e10ac6945329e8c1",
    "152daac864bbcd9f88b03e4717d49bff": "890929f2c974ab49c679b2e86ff65f7c",
    "81cb0537a350a08fb9428bd07431ce57": "acd2d2078b93c288acd89762e9553e0d",
}
RESULTS_FINGERPRINT = "fc2bf29ce47e916c247b77cb0db90fedc9952c5c775b6818cc3bee2c24000a3f"


def example():
    pool = make_pool([r for _, r, _ in PEOPLE], [pseudonym(KEY, i) for i, _, _ in PEOPLE], [v for *_, v in PEOPLE])
    commitment, salt = commit(
        campaign="example-2031",
        policy_version="policy-1",
        pool=pool,
        numbers={"North": 2, "Süd": 1},
        beacon_source="example beacon, round 1",
        parameters={"over_call": "0.35"},
        random=lambda n: b"\x07" * n,
    )
    return pool, commitment, salt


def test_pseudonyms_of_the_example_ids():
    assert normalise_id("ab-12 34") == "AB1234"
    assert [pseudonym(KEY, i).hex() for i, _, _ in PEOPLE] == PSEUDONYMS


def test_fingerprint_commitment_and_seed_of_the_example():
    pool, commitment, salt = example()
    assert fingerprint(pool).fingerprint == POOL_FINGERPRINT
    assert commitment.salt_hash == SALT_HASH == hashlib.sha256(b"\x07" * 32).hexdigest()
    assert hashlib.sha256(canonical_json(commitment.document())).hexdigest() == commitment.digest == COMMITMENT
    _, record = run_draw(commitment, salt, "example-beacon-value", pool)
    assert record.seed == SEED == hashlib.sha256(b"callup-lottery-seed/1\x00" + bytes.fromhex(COMMITMENT) + salt + b"example-beacon-value").hexdigest()
    assert record.regions["North"].called_pseudonyms == ["ed5c71c54c69a0e7716f82c6ae9e5005", "fe85b5fe9ac4d6531413b5fae289feb5"]
    assert record.regions["Süd"].called_pseudonyms == ["152daac864bbcd9f88b03e4717d49bff"]
    assert record.results_fingerprint == RESULTS_FINGERPRINT


def test_rank_keys_of_the_example():
    for pseud, key in RANK_KEYS.items():
        assert rank_key(bytes.fromhex(SEED), bytes.fromhex(pseud)).hex() == key


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl command line not installed")
def test_the_openssl_one_liner_gives_the_same_rank_key():
    for pseud, key in RANK_KEYS.items():
        out = subprocess.run(["openssl", "enc", "-aes-256-ecb", "-nopad", "-K", SEED], input=bytes.fromhex(pseud), capture_output=True, check=True).stdout
        assert out.hex() == key


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl command line not installed")
def test_the_openssl_hmac_gives_the_same_pseudonym():
    out = subprocess.run(
        ["openssl", "dgst", "-sha256", "-mac", "HMAC", "-macopt", f"hexkey:{KEY.hex()}"], input=b"AB1234", capture_output=True, check=True
    ).stdout.decode()
    assert out.strip().split()[-1][:32] == PSEUDONYMS[0]


def test_every_vector_is_printed_in_the_specification():
    text = DOC.read_text(encoding="utf-8")
    for value in [*PSEUDONYMS, POOL_FINGERPRINT, SALT_HASH, COMMITMENT, SEED, *RANK_KEYS.values(), RESULTS_FINGERPRINT]:
        assert value in text, value
