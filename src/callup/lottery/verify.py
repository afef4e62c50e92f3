"""Independent re-computation of a published draw from its record and pool file.

`verify(record, pool)` trusts nothing in the record that it can recompute: it re-derives the
commitment from the document, checks it against the hash announced before the beacon (if
given), checks the revealed salt against the committed salt hash, fingerprints the pool (whole
and per region), recomputes the numbers from the committed allocation, re-checks the drand
round's BLS signature against the League of Entropy chain's public key (format 2), re-derives
the seed, re-runs the draw and compares every region's counts, cut-off key and called list,
person by person. The answer is MATCH or the list of what differs and where.

Each check says which cheating it rules out; `VerifyReport.limits` says what no check on these
files can rule out (a person left out of the pool before the freeze is caught only by that
person looking up their own pseudonym in the pool file).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import pathlib
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from callup.lottery.allocation import ExplicitAllocation, allocate, quotas_csv
from callup.lottery.commitment import WHITE_SPACE, derive_seed, salt_hash
from callup.lottery.draw import DrawReport, DrawResult, draw
from callup.lottery.errors import BeaconError, LotteryError
from callup.lottery.pool import EMPTY_FINGERPRINT, PoolFingerprint, canonical, fingerprint_canonical
from callup.lottery.pseudonyms import to_hex
from callup.lottery.record import (
    AnyRecord,
    DrandBeaconSpec,
    DrandBeaconUsed,
    DrawRecordV2,
    allocation_csv,
    results_fingerprint,
)

RULES_OUT = {
    "commitment": "a commitment document edited after its hash was computed",
    "announced commitment": "a commitment made up after the beacon was known: a whole set of files recomputed with "
    "another pool, other numbers or another salt",
    "salt": "a salt chosen after the beacon was known",
    "pool fingerprint": "a pool file changed after the commitment: a person added, removed, moved to another region "
    "or with a changed volunteer flag",
    "policy": "a pool frozen under other rules than the published policy file",
    "allocation": "numbers per region that do not follow from the committed quota and method, or from the committed "
    "quota table",
    "quota table": "a published quota table other than the committed one",
    "beacon": "a beacon value chosen by the office instead of the committed drand round",
    "timing": "an audit log showing the commitment recorded after the round was published (this time is the office's "
    "own statement: the date the announced hash was published is the proof)",
    "seed": "a seed not derived from the commitment, the salt and the beacon",
    "regions": "a called list that differs from the lottery's outcome: a person added, removed or reordered",
    "results fingerprint": "a results fingerprint that does not belong to the called lists",
    "totals": "national counts (called, shortfall) that do not add up",
    "allocation.csv": "a published allocation table whose pools, volunteers, quotas or numbers differ from the committed "
    "allocation over the pool",
    "replacements chain": "an entry of the replacements record edited, removed from the middle, reordered or taken from "
    "another draw",
    "replacements reserve order": "a replacement that skipped a reserve position or called someone out of the region's "
    "reserve order (a favour done through replacements), a release left unfilled while the reserve continues, or "
    "someone called for a supernumerary call that ended (beyond the region's number)",
    "replacements restorations": "a call given back after an appeal to someone never released, or a supernumerary call "
    "that did not fill the region's next release as the rule says",
}

#: Which published file each check is about (what `callup verify` reports per file).
FILES = {
    "commitment": "draw-record.json", "announced commitment": "commitment.json", "salt": "draw-record.json",
    "pool fingerprint": "pool file", "policy": "policy.toml", "allocation": "draw-record.json",
    "quota table": "quotas.csv", "beacon": "draw-record.json", "timing": "draw-record.json",
    "beacon value": "draw-record.json", "seed": "draw-record.json", "regions": "draw-record.json",
    "results fingerprint": "draw-record.json", "totals": "draw-record.json", "allocation.csv": "allocation.csv",
    "replacements chain": "replacements.jsonl", "replacements reserve order": "replacements.jsonl",
    "replacements restorations": "replacements.jsonl",
}
NOT_GIVEN = {
    "announced commitment": "give --announced HASH, the commitment hash published before the beacon",
    "policy": "give --policy FILE, the published policy file",
    "allocation.csv": "give --allocation FILE, the published allocation.csv",
    "replacements chain": "give --replacements FILE, the published replacements.jsonl",
}

LIMIT_LEFT_OUT = (
    "A person left out of the pool (or put in another region) BEFORE the freeze cannot be detected from these files: the "
    "commitment covers the pool as frozen. Only that person can notice, by looking up the pseudonym on their summons or "
    "portal page in the pool file: `callup lottery rank PSEUDONYM --record RECORD --pool POOL` says whether it is there, "
    "in which region, and with which rank."
)
LIMIT_ELIGIBILITY = (
    "Whether the pool holds exactly the people the policy makes eligible needs the register, which is not public; the "
    "record names the policy (version and SHA-256 of the policy file) that decided it."
)
LIMIT_WITHHOLD = "Refusing to publish a draw cannot be prevented, only seen: the commitment was announced."


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    rules_out: str = ""
    file: str = ""
    checked: bool = True  # False: the file was not given, so nothing was ruled out (ok stays True)


@dataclass(frozen=True)
class RegionDifference:
    """How one region's recomputed outcome differs from the record.

    `missing`: pseudonyms the recomputation calls but the record does not list;
    `unexpected`: pseudonyms the record lists as called but the recomputation does not call;
    `fields`: counts or keys that differ, as {field: [in record, recomputed]}.
    """

    region: str
    fields: dict[str, list[Any]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    order_differs: bool = False


@dataclass(frozen=True)
class VerifyReport:
    match: bool
    checks: list[Check]
    regions: list[RegionDifference]
    limits: list[str] = field(default_factory=list)
    format_version: int = 1
    beacon: str = ""
    beacon_published: str | None = None  # ISO-8601 UTC time of the drand round (format 2)
    committed_at: str | None = None  # when the office says it recorded the commitment

    replacements: dict[str, Any] | None = None  # entries, releases, restorations and head of the replacements record

    @property
    def verdict(self) -> str:
        return "MATCH" if self.match else "MISMATCH"


def _check(checks: list[Check], name: str, ok: bool, detail: str) -> None:
    checks.append(Check(name, bool(ok), detail, RULES_OUT.get(name, ""), FILES.get(name, "")))


def _not_checked(checks: list[Check], name: str) -> None:
    checks.append(Check(name, True, f"not checked: {NOT_GIVEN[name]}", RULES_OUT.get(name, ""), FILES.get(name, ""),
                        checked=False))


def verify(record: AnyRecord, pool: pa.Table, *, published_commitment: str | None = None,
           policy_file: bytes | None = None, quotas_file: bytes | None = None, allocation_file: bytes | None = None,
           replacements_file: bytes | None = None) -> VerifyReport:
    """Re-run the draw of `record` on `pool` and compare.

    `published_commitment` is the commitment hash the office announced before the beacon (the
    record must carry that one); `policy_file` and `quotas_file` are the bytes of the published
    policy file and quota table, checked against their committed SHA-256 (format 2);
    `allocation_file` is the published allocation.csv; `replacements_file` the published
    replacements.jsonl, replayed against the reserve order the draw gives. A file not given is
    listed as not checked.
    """
    checks: list[Check] = []
    limits: list[str] = [LIMIT_LEFT_OUT]
    doc = record.commitment
    digest = doc.digest
    v2 = isinstance(record, DrawRecordV2)
    _check(checks, "commitment", digest == record.commitment_hash, f"document hashes to {digest}; record says {record.commitment_hash}")
    if published_commitment is not None:
        announced = published_commitment.strip().lower()
        _check(checks, "announced commitment", announced == digest, f"announced {announced}; document hashes to {digest}")
    else:
        _not_checked(checks, "announced commitment")
        limits.append("No announced commitment was given: a whole set of files recomputed after the beacon (another pool, "
                      "numbers or salt) would also MATCH. Give --announced HASH, the commitment hash published before "
                      f"the beacon ({doc.describe_beacon()}).")
    salt = bytes.fromhex(record.salt)
    ok = salt_hash(salt) == doc.salt_hash
    _check(checks, "salt", ok, "SHA-256 of the revealed salt " + ("equals" if ok else "differs from") + " the committed salt_hash")

    table = canonical(pool)
    fp = fingerprint_canonical(table)
    _check(checks, "pool fingerprint", fp.fingerprint == doc.pool_fingerprint and fp.size == doc.pool_size == record.pool_size,
           f"pool file hashes to {fp.fingerprint} ({fp.size} rows); commitment says {doc.pool_fingerprint} ({doc.pool_size} rows), "
           f"record says {record.pool_size} rows")

    published = None
    quotas: dict[str, int] = {}
    unallocated = 0
    if isinstance(record, DrawRecordV2):
        doc = record.commitment  # (the format-2 commitment)
        if policy_file is not None:
            got = hashlib.sha256(policy_file).hexdigest()
            _check(checks, "policy", got == doc.policy_sha256, f"policy file hashes to {got}; commitment says {doc.policy_sha256}")
        else:
            _not_checked(checks, "policy")
        try:
            allocated = allocate(doc.allocation, {name: r.size for name, r in fp.regions.items()})
            quotas, unallocated = allocated.quotas, allocated.unallocated
            ok = allocated.numbers == doc.numbers
            how = (f"explicit quota table (SHA-256 {doc.allocation.quotas_sha256[:16]}...)" if isinstance(doc.allocation, ExplicitAllocation)
                   else f"{doc.allocation.method} share of a national quota of {doc.allocation.quota}")
            _check(checks, "allocation", ok, f"numbers {'follow' if ok else 'do NOT follow'} from the {how} with over-call "
                   f"{doc.allocation.over_call_rate} over the pool's regions")
        except LotteryError as exc:
            _check(checks, "allocation", False, f"the allocation cannot be recomputed: {exc}")
        if isinstance(doc.allocation, ExplicitAllocation):
            canonical_table = quotas_csv(doc.allocation.quotas)
            ok = hashlib.sha256(canonical_table).hexdigest() == doc.allocation.quotas_sha256
            detail = "the committed table hashes to its quotas_sha256" if ok else "the committed table does not hash to its quotas_sha256"
            if quotas_file is not None:
                got = hashlib.sha256(quotas_file).hexdigest()
                ok = ok and got == doc.allocation.quotas_sha256
                detail += f"; the published quota file hashes to {got}"
            _check(checks, "quota table", ok, detail)
        published = _check_beacon(record, checks, limits)
        if record.committed_at and published:
            ok = record.committed_at < published
            _check(checks, "timing", ok, f"commitment recorded at {record.committed_at}, drand round published at {published}")
        if record.beacon_value != record.beacon_value.strip(WHITE_SPACE):
            _check(checks, "beacon value", False, "the beacon value has surrounding white space, which the draw trims")
        limits.append(LIMIT_ELIGIBILITY)
    else:
        limits.append(f"Format 1 record: the beacon ({record.commitment.beacon_source}) is a value typed in by the office and carries no "
                      "signature, so nothing here shows that it is the named round's value; check it against the source.")
    limits.append(LIMIT_WITHHOLD)

    seed = derive_seed(digest, salt, record.beacon_value)
    _check(checks, "seed", seed.hex() == record.seed, f"recomputed {seed.hex()}; record says {record.seed}")

    result, report = draw(table, seed, doc.numbers)
    pseud = None
    differences: list[RegionDifference] = []
    recomputed_lists: dict[str, list[str]] = {}
    expected_names = set(doc.numbers) | set(report.regions) if v2 else set(report.regions)
    names = sorted(expected_names | set(record.regions), key=lambda s: s.encode("utf-8"))
    keys = ("pool", "volunteers", "number", "called", "volunteers_called", "drawn", "shortfall", "cutoff_key")
    for name in names:
        mine = report.regions.get(name)
        theirs = record.regions.get(name)
        if mine is not None and mine.pool:
            if pseud is None:
                pseud = table.column("pseudonym").combine_chunks()
            called = to_hex(pseud.take(pa.array(result.called_rows(name)))).to_pylist()
        else:
            called = []
        recomputed_lists[name] = called
        if theirs is None:
            differences.append(RegionDifference(name, {"region": [None, "present"]}, missing=called))
            continue
        if mine is None or name not in expected_names:
            differences.append(RegionDifference(name, {"region": ["present", None]}, unexpected=list(theirs.called_pseudonyms)))
            continue
        diff_fields: dict[str, list[Any]] = {}
        for key in keys:
            a, b = getattr(theirs, key), getattr(mine, key)
            if a != b:
                diff_fields[key] = [a, b]
        if v2:
            quota = quotas.get(name, 0)
            for key, value in (("quota", quota), ("quota_shortfall", max(0, quota - mine.called))):
                if getattr(theirs, key) != value:
                    diff_fields[key] = [getattr(theirs, key), value]
        region_fp = fp.regions[name].fingerprint if name in fp.regions else (EMPTY_FINGERPRINT if v2 else None)
        if theirs.pool_fingerprint != region_fp:
            diff_fields["pool_fingerprint"] = [theirs.pool_fingerprint, region_fp]
        listed = list(theirs.called_pseudonyms)
        missing = sorted(set(called) - set(listed))
        unexpected = sorted(set(listed) - set(called))
        order_differs = not missing and not unexpected and listed != called
        if diff_fields or missing or unexpected or order_differs:
            differences.append(RegionDifference(name, diff_fields, missing, unexpected, order_differs))
    _check(checks, "regions", not differences,
           "all regions agree" if not differences else f"{len(differences)} region(s) differ: " + ", ".join(d.region for d in differences))
    rf = results_fingerprint(recomputed_lists)
    _check(checks, "results fingerprint", rf == record.results_fingerprint, f"recomputed {rf}; record says {record.results_fingerprint}")
    totals = {"called_total": report.called, "shortfall_total": report.shortfall}
    if v2:
        shortfall_q = sum(max(0, quotas.get(n, 0) - report.regions[n].called) for n in doc.numbers if n in report.regions)
        totals.update(quota_total=sum(quotas.values()) + unallocated, number_total=sum(doc.numbers.values()),
                      quota_shortfall_total=shortfall_q + unallocated)
    wrong = {k: [getattr(record, k), v] for k, v in totals.items() if getattr(record, k) != v}
    _check(checks, "totals", not wrong, "recomputed " + ", ".join(f"{k} {v}" for k, v in totals.items())
           + ("" if not wrong else "; record says " + ", ".join(f"{k} {a}" for k, (a, _) in wrong.items())))
    if allocation_file is not None:
        _check_allocation_csv(checks, record, fp, allocation_file)
    else:
        _not_checked(checks, "allocation.csv")
    summary = None
    if replacements_file is not None:
        summary = _check_replacements(checks, record, table, result, report, replacements_file)
        limits.append(LIMIT_REPLACEMENTS)
    else:
        _not_checked(checks, "replacements chain")
    return VerifyReport(
        match=all(c.ok for c in checks), checks=checks, regions=differences, limits=limits,
        format_version=2 if v2 else 1, beacon=doc.describe_beacon(), beacon_published=published,
        committed_at=record.committed_at if isinstance(record, DrawRecordV2) else None, replacements=summary)


LIMIT_REPLACEMENTS = (
    "Entries cut from the END of the replacements record leave a valid chain: compare its head (the hash of its last "
    "line) with one published earlier, e.g. at the campaign's close. Why a person was released (the decision behind "
    "the reason category) is not public; the released person can check that their own release is listed."
)


def _check_allocation_csv(checks: list[Check], record: AnyRecord, fp: PoolFingerprint, data: bytes) -> None:
    """Format 2: allocation.csv must be byte for byte what section 9 makes of the commitment and the pool. Format 1
    (quotas were not committed): every region's pool, volunteers and number must agree."""
    doc = record.commitment
    if isinstance(record, DrawRecordV2):
        try:
            expected = allocation_csv(record.commitment, fp)
        except LotteryError as exc:
            _check(checks, "allocation.csv", False, f"the allocation cannot be recomputed: {exc}")
            return
        if data == expected:
            _check(checks, "allocation.csv", True, f"byte for byte the table of the committed allocation over the pool "
                   f"({len(doc.numbers)} regions)")
            return
        got, want = data.decode("utf-8", "replace").splitlines(), expected.decode("utf-8").splitlines()
        first = next((i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b), min(len(got), len(want)))
        _check(checks, "allocation.csv", False, f"differs from the committed allocation from line {first + 1}: "
               f"{(got[first] if first < len(got) else '(end of file)')!r}, expected "
               f"{(want[first] if first < len(want) else '(end of file)')!r}")
        return
    import csv
    import io

    try:
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
        table = {r["region"]: (int(r["pool"]), int(r["volunteers"]), int(r["number"])) for r in rows}
    except (UnicodeDecodeError, KeyError, ValueError, TypeError, csv.Error) as exc:
        _check(checks, "allocation.csv", False, f"not a table region,pool,volunteers,quota,number: {exc}")
        return
    wrong = []
    for name in sorted(set(table) | set(doc.numbers), key=lambda s: s.encode("utf-8")):
        region = fp.regions.get(name)
        agreed = (region.size if region else 0, region.volunteers if region else 0, doc.numbers.get(name, 0))
        if table.get(name, agreed if name not in doc.numbers else None) != agreed:
            wrong.append(name)
    _check(checks, "allocation.csv", not wrong, "pools, volunteers and numbers agree with the pool and the commitment "
           "(format 1 commits no quotas: the quota column is not checked)" if not wrong
           else f"{len(wrong)} region(s) differ: {', '.join(wrong[:10])}")


def _check_replacements(checks: list[Check], record: AnyRecord, table: pa.Table, result: DrawResult, report: DrawReport,
                        data: bytes) -> dict[str, Any]:
    from callup.lottery import replacements

    draw_hash = replacements.record_hash(record.model_dump(mode="json"))
    try:
        lines = replacements.parse(data)
    except LotteryError as exc:
        _check(checks, "replacements chain", False, str(exc))
        return {"entries": None, "head": None}
    pseud = table.column("pseudonym").combine_chunks()

    def call_order(name: str) -> list[str]:
        if name not in report.regions or not report.regions[name].pool:
            return []
        order: list[str] = to_hex(pseud.take(pa.array(result.call_rows(name)))).to_pylist()
        return order

    found = replacements.check(lines, draw_record=draw_hash, call_order=call_order,
                               called={name: r.called for name, r in report.regions.items()})
    for name, problems, fine in (
        ("replacements chain", found.chain, f"{found.entries} entries, each naming this draw record ({draw_hash[:16]}...) "
         f"and the line before it; head {found.head}"),
        ("replacements reserve order", found.reserve, f"{found.releases} releases, each filled by the region's first "
         "supernumerary call or its first uncalled reserve position (positions passed over are listed)"),
        ("replacements restorations", found.restored, f"{found.restorations} calls given back after appeals, each to a "
         "released person, the person who filled the release keeping the call"),
    ):
        _check(checks, name, not problems, fine if not problems else "; ".join(problems[:5])
               + (f"; and {len(problems) - 5} more" if len(problems) > 5 else ""))
    return {"entries": found.entries, "releases": found.releases, "restorations": found.restorations, "head": found.head,
            "draw_record": draw_hash}


def _check_beacon(record: DrawRecordV2, checks: list[Check], limits: list[str]) -> str | None:
    """Check the beacon of a format-2 record; return the drand round's publication time (ISO UTC) if any."""
    spec, used = record.commitment.beacon, record.beacon
    if not isinstance(spec, DrandBeaconSpec):
        ok = used.kind == "unverified"
        _check(checks, "beacon", ok, f"UNVERIFIED beacon ({spec.source}): the value {record.beacon_value!r} is not signed by "
               "anyone" if ok else "the commitment names an unverified beacon but the record carries a drand round")
        limits.append("The beacon is UNVERIFIED (a rehearsal): the office could have chosen its value, and with it the "
                      "outcome. A real draw commits to a drand round.")
        return None
    try:
        drand_chain = spec.drand_chain
    except BeaconError as exc:
        _check(checks, "beacon", False, str(exc))
        return None
    published = drand_chain.round_datetime(spec.round).strftime("%Y-%m-%dT%H:%M:%SZ")
    if not isinstance(used, DrandBeaconUsed):
        _check(checks, "beacon", False, f"the commitment names drand {spec.chain} round {spec.round}, the record no drand round")
        return published
    from callup.lottery.beacon import randomness, signature_valid

    problems = []
    if used.round != spec.round:
        problems.append(f"the record uses round {used.round}, the commitment names round {spec.round}")
    if not signature_valid(drand_chain, used.round, used.signature, used.previous_signature):
        problems.append(f"the signature of round {used.round} does NOT verify against the {drand_chain.name} public key (forged)")
    if randomness(used.signature) != used.randomness or used.randomness != record.beacon_value:
        problems.append("the beacon value is not SHA-256 of the round's signature")
    _check(checks, "beacon", not problems, "; ".join(problems) if problems else
           f"drand {drand_chain.name} round {spec.round}: BLS signature verifies against the chain's public key "
           f"(chain hash {drand_chain.chain_hash[:16]}...), value = SHA-256(signature); published {published}")
    return published


def beacon_time(record: AnyRecord) -> dt.datetime | None:
    """When the committed drand round was published, if the record names one."""
    if isinstance(record, DrawRecordV2) and isinstance(record.commitment.beacon, DrandBeaconSpec):
        try:
            return record.commitment.beacon.drand_chain.round_datetime(record.commitment.beacon.round)
        except BeaconError:
            return None
    return None


# -- the published files -----------------------------------------------------------------------------

#: The files of a published folder (`callup campaign export`), by the name the checks give them.
PUBLISHED = {"policy.toml": "policy.toml", "quotas.csv": "quotas.csv", "allocation.csv": "allocation.csv",
             "replacements.jsonl": "replacements.jsonl"}


def published_files(folder: pathlib.Path, **given: pathlib.Path | None) -> dict[str, pathlib.Path | None]:
    """The files of a published folder to verify: the draw record, the pool (.parquet, else .csv) and each of policy.toml,
    quotas.csv, allocation.csv and replacements.jsonl present; a file in `given` (by those names, or `pool`) wins."""
    pool = given.get("pool") or next((p for p in (folder / "pool.parquet", folder / "pool.csv") if p.is_file()),
                                     folder / "pool.parquet")
    files: dict[str, pathlib.Path | None] = {"draw-record.json": folder / "draw-record.json", "pool file": pool}
    for name in PUBLISHED:
        files[name] = given.get(name) or (folder / name if (folder / name).is_file() else None)
    return files


def verify_files(files: dict[str, pathlib.Path | None], *, announced: str | None = None) -> VerifyReport:
    """`verify` on published files (as `published_files` names them): what `callup verify` and the console's draw
    verification both run. `InputError` names a file that cannot be read."""
    from callup.lottery.pool import read_pool
    from callup.lottery.record import load_record

    record, pool = files["draw-record.json"], files["pool file"]
    assert record is not None and pool is not None
    rec = load_record(record)
    table = read_pool(pool)
    return verify(rec, table, published_commitment=announced, policy_file=_read(files.get("policy.toml"), "policy"),
                  quotas_file=_read(files.get("quotas.csv"), "quotas"), allocation_file=_read(files.get("allocation.csv"), "allocation"),
                  replacements_file=_read(files.get("replacements.jsonl"), "replacements"))


def by_file(report: VerifyReport, given: dict[str, str | None]) -> list[dict[str, Any]]:
    """The checks grouped by the published file they are about, in the order the verifier ran them; `given` maps each
    file to the path shown for it (None: not given)."""
    files: dict[str, dict[str, Any]] = {}
    for check in report.checks:
        entry = files.setdefault(check.file, {"file": check.file, "path": given.get(check.file), "checks": []})
        entry["checks"].append(dataclasses.asdict(check))
    for entry in files.values():
        done = [c for c in entry["checks"] if c["checked"]]
        entry["ok"] = all(c["ok"] for c in done) if done else None
        entry["ruled_out"] = [c["rules_out"] for c in done if c["ok"] and c["rules_out"]]
    return list(files.values())


def _read(path: pathlib.Path | None, field: str) -> bytes | None:
    from callup.errors import InputError

    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})", field=field) from None
