"""Format-2 test vectors (tests/lottery/vectors/format2-*.json), recomputed; also by openssl and sha256 where it applies.

Each vector file holds the inputs (pseudonym key, people, salt, allocation, beacon) and every
published output byte for byte: pool CSV, fingerprints, quota table, commitment JSON and hash,
seed, rank keys, and the whole draw record. An independent implementation can be run against
the same files. Regenerate (only when the format changes on purpose) with
`python tests/lottery/test_lottery_vectors_v2.py --write`.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import shutil
import subprocess
import sys

import pytest

from callup.lottery.allocation import by_method, explicit, quotas_csv
from callup.lottery.draw import rank_key
from callup.lottery.pool import fingerprint, make_pool, pool_csv, read_pool
from callup.lottery.pseudonyms import normalise_id, pseudonym
from callup.lottery.record import allocation_csv, commitment_file, drand_beacon, record_from_json, run_draw, unverified_beacon
from callup.lottery.verify import verify

HERE = pathlib.Path(__file__).resolve().parent
VECTORS = HERE / "vectors"
DOC = HERE.parents[1] / "docs" / "lottery.md"
ROUNDS = json.loads((VECTORS / "drand-rounds.json").read_text())

# Regions chosen for the edge cases: "Süd" is non-ASCII; U+FB00 "ﬀ" sorts before U+1D504 "𝔄" in UTF-8 byte
# order (pool, records) but after it in UTF-16 order (JCS member order); "Zentrum" is in a quota table only.
PEOPLE = [
    ("ab-12 34", "North", False), ("ID 0002", "North", False), ("id-0003", "North", True), ("ID0004", "North", False),
    ("ID0005", "Süd", False), ("ID0006", "Süd", False), ("ID0007", "\ufb00", False),
    ("ID0008", "\U0001d504", True), ("ID0009", "\U0001d504", True), ("ID0010", "\U0001d504", True),
]
INPUTS = {
    "format2-drand": {
        "about": "Method allocation (largest remainder, national quota 4, over-call 0.25) over ten people in four regions; "
        "three volunteers in a region with two seats; drand quicknet round 992 (real, published 2023-08-23T15:59:00Z).",
        "allocation": {"method": "largest_remainder", "quota": 4, "over_call_rate": "0.25"},
        "beacon": {"kind": "drand", "chain": "quicknet", "round": 992},
        "beacon_input": ROUNDS["quicknet"][1],
        "committed_at": "2023-08-23T12:05:00Z",
    },
    "format2-explicit": {
        "about": "Explicit quota table with a quota above a region's pool (Süd), a region with nobody in the pool (Zentrum) "
        "and a pool region missing from the table (𝔄); unverified beacon typed with surrounding white space.",
        "allocation": {"method": "explicit", "quotas": {"North": 3, "Süd": 5, "Zentrum": 2, "\ufb00": 1}, "over_call_rate": "0"},
        "beacon": {"kind": "unverified", "source": "rehearsal: value read out at the ceremony"},
        "beacon_input": "\u3000 rehearsal-value-2031\t\n",
        "committed_at": None,
    },
    "format2-sainte-lague": {
        "about": "Sainte-Laguë, national quota 5, over-call 0.2: the fifth seat is a tie of quotients (𝔄 3/3 = ﬀ 1/1), won "
        "by the larger pool (𝔄), although ﬀ's name comes first in UTF-8 order.",
        "allocation": {"method": "sainte_lague", "quota": 5, "over_call_rate": "0.2"},
        "beacon": {"kind": "unverified", "source": "rehearsal: Sainte-Laguë vector"},
        "beacon_input": "sainte-lague-2031",
        "committed_at": None,
    },
    "format2-shortfall": {
        "about": "Largest remainder with a national quota (15) above the whole pool (10): every person is allocated, 5 seats "
        "stay unallocated, and with over-call 0.1 every region's number exceeds its pool (shortfall).",
        "allocation": {"method": "largest_remainder", "quota": 15, "over_call_rate": "0.1"},
        "beacon": {"kind": "unverified", "source": "rehearsal: shortfall vector"},
        "beacon_input": "shortfall-2031",
        "committed_at": None,
    },
}
KEY = bytes(range(32))
SALT = bytes([7]) * 32
POLICY_SHA256 = hashlib.sha256(b"example policy file\n").hexdigest()


def build(name: str) -> dict:
    spec = INPUTS[name]
    pseudonyms = [pseudonym(KEY, i) for i, _, _ in PEOPLE]
    pool = make_pool([r for _, r, _ in PEOPLE], pseudonyms, [v for *_, v in PEOPLE])
    a = spec["allocation"]
    allocation = (explicit(a["quotas"], a["over_call_rate"]) if a["method"] == "explicit"
                  else by_method(a["quota"], a["method"], a["over_call_rate"]))
    b = spec["beacon"]
    beacon = drand_beacon(b["chain"], b["round"]) if b["kind"] == "drand" else unverified_beacon(b["source"])
    from callup.lottery.record import commit

    commitment, salt = commit(campaign="example-2031", policy_version="policy-1", policy_sha256=POLICY_SHA256, pool=pool,
                              allocation=allocation, beacon=beacon, parameters={"eligibility_date": "2031-01-01"},
                              random=lambda n: SALT[:n])
    _, record = run_draw(commitment, salt, spec["beacon_input"], pool, committed_at=spec["committed_at"])
    allocation_file = allocation_csv(commitment, pool)
    fp = fingerprint(pool)
    seed = bytes.fromhex(record.seed)
    out = {
        "about": spec["about"],
        "inputs": {
            "pseudonym_key": KEY.hex(),
            "people": [{"national_id": i, "normalised": normalise_id(i), "region": r, "volunteer": v, "pseudonym": p.hex()}
                       for (i, r, v), p in zip(PEOPLE, pseudonyms)],
            "campaign": "example-2031", "policy_version": "policy-1", "policy_sha256": POLICY_SHA256,
            "parameters": {"eligibility_date": "2031-01-01"},
            "salt": SALT.hex(), "allocation": a, "beacon": b, "beacon_input": spec["beacon_input"],
            "committed_at": spec["committed_at"],
        },
        "outputs": {
            "pool_csv": pool_csv(pool).decode(),
            "pool_csv_sha256": hashlib.sha256(pool_csv(pool)).hexdigest(),
            "pool_fingerprint": fp.fingerprint,
            "region_fingerprints": {n: r.fingerprint for n, r in fp.regions.items()},
            "commitment_json": commitment_file(commitment).decode(),
            "commitment": commitment.digest,
            "seed": record.seed,
            "rank_keys": {p.hex(): rank_key(seed, p).hex() for p in pseudonyms},
            "record": json.loads(record.to_json()),
            "allocation_csv": allocation_file.decode(),
            "allocation_csv_sha256": hashlib.sha256(allocation_file).hexdigest(),
        },
    }
    if a["method"] == "explicit":
        out["outputs"]["quotas_csv"] = quotas_csv(a["quotas"]).decode()
        out["outputs"]["quotas_sha256"] = hashlib.sha256(quotas_csv(a["quotas"])).hexdigest()
    return out


def stored(name: str) -> dict:
    return json.loads((VECTORS / f"{name}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_the_vector_is_recomputed_byte_for_byte(name):
    assert build(name) == stored(name)


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_the_vector_record_verifies_against_its_csv_pool(name, tmp_path):
    vector = stored(name)["outputs"]
    (tmp_path / "pool.csv").write_text(vector["pool_csv"], encoding="utf-8")
    record = record_from_json(json.dumps(vector["record"]))
    report = verify(record, read_pool(tmp_path / "pool.csv"), published_commitment=vector["commitment"],
                    allocation_file=vector["allocation_csv"].encode())
    assert report.match, [c for c in report.checks if not c.ok]


def test_the_edge_cases_are_in_the_vectors():
    drand, table = stored("format2-drand")["outputs"]["record"], stored("format2-explicit")["outputs"]["record"]
    fraktur = drand["regions"]["\U0001d504"]
    assert fraktur["volunteers"] == 3 and fraktur["number"] == 2 and fraktur["volunteers_called"] == 2 and fraktur["cutoff_key"] is None
    assert table["regions"]["Zentrum"]["pool_fingerprint"] == hashlib.sha256(b"").hexdigest() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert (table["regions"]["Süd"]["shortfall"], table["regions"]["Süd"]["quota_shortfall"]) == (3, 3)
    assert table["beacon_value"] == "rehearsal-value-2031"
    members = list(json.loads(stored("format2-drand")["outputs"]["commitment_json"])["numbers"])
    assert members == sorted(drand["regions"], key=lambda s: s.encode("utf-16-be"))
    assert list(drand["regions"]) == sorted(drand["regions"], key=lambda s: s.encode("utf-8")) != members


def test_sainte_lague_breaks_the_tie_by_the_larger_pool_and_a_quota_above_the_pool_is_shortfall():
    tie = stored("format2-sainte-lague")["outputs"]["record"]
    assert {n: r["quota"] for n, r in tie["regions"].items()} == {"North": 2, "Süd": 1, "\ufb00": 0, "\U0001d504": 2}
    short = stored("format2-shortfall")["outputs"]["record"]
    assert all(r["quota"] == r["pool"] and r["number"] > r["pool"] for r in short["regions"].values())
    assert (short["quota_total"], short["called_total"], short["quota_shortfall_total"]) == (15, 10, 5)
    assert short["shortfall_total"] == sum(r["number"] - r["pool"] for r in short["regions"].values())


def test_every_vector_value_is_printed_in_the_specification():
    text = DOC.read_text(encoding="utf-8")
    for name in INPUTS:
        out = stored(name)["outputs"]
        for value in [out["pool_fingerprint"], out["commitment"], out["seed"], out["record"]["results_fingerprint"],
                      out["pool_csv_sha256"], out.get("quotas_sha256", out["seed"]), out["allocation_csv_sha256"]]:
            assert value in text, (name, value)
        assert f"vectors/{name}.json" in text


def _openssl(*args: str, data: bytes) -> bytes:
    return subprocess.run(["openssl", *args], input=data, capture_output=True, check=True).stdout


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl command line not installed")
@pytest.mark.parametrize("name", sorted(INPUTS))
def test_openssl_recomputes_the_hashes_the_seed_and_the_rank_keys(name):
    out = stored(name)["outputs"]
    record = out["record"]
    digest = lambda data: _openssl("dgst", "-sha256", "-r", data=data).split()[0].decode()  # noqa: E731
    assert digest(out["commitment_json"].encode()) == out["commitment"] == record["commitment_hash"]
    assert digest(out["pool_csv"].encode()) == out["pool_csv_sha256"]
    assert digest(out["allocation_csv"].encode()) == out["allocation_csv_sha256"]
    if "quotas_csv" in out:
        assert digest(out["quotas_csv"].encode()) == out["quotas_sha256"] == record["commitment"]["allocation"]["quotas_sha256"]
    seed_input = b"callup-lottery-seed/1\0" + bytes.fromhex(out["commitment"]) + bytes.fromhex(record["salt"]) + record["beacon_value"].encode()
    assert digest(seed_input) == out["seed"]
    if record["beacon"]["kind"] == "drand":
        assert digest(bytes.fromhex(record["beacon"]["signature"])) == record["beacon_value"]
    for pseud, key in out["rank_keys"].items():
        assert _openssl("enc", "-aes-256-ecb", "-nopad", "-K", out["seed"], data=bytes.fromhex(pseud)).hex() == key


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    for vector in INPUTS:
        (VECTORS / f"{vector}.json").write_text(json.dumps(build(vector), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
