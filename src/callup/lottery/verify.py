"""Independent re-computation of a published draw from its record and pool file.

`verify(record, pool)` trusts nothing in the record that it can recompute: it re-derives the
commitment from the document, checks the revealed salt against the committed salt hash,
fingerprints the pool (whole and per region), re-derives the seed from the beacon value,
re-runs the draw and compares every region's counts, cut-off key and called list, person by
person. The answer is MATCH or the list of what differs and where.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from callup.lottery.commitment import derive_seed, salt_hash
from callup.lottery.draw import draw
from callup.lottery.pool import canonical, fingerprint_canonical
from callup.lottery.pseudonyms import to_hex
from callup.lottery.record import DrawRecord, results_fingerprint


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class RegionDifference:
    """How one region's recomputed outcome differs from the record.

    `missing`: pseudonyms the recomputation calls but the record does not list;
    `unexpected`: pseudonyms the record lists as called but the recomputation does not call;
    `fields`: counts or keys that differ, as {field: [in record, recomputed]}.
    """

    region: str
    fields: dict[str, list] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    order_differs: bool = False


@dataclass(frozen=True)
class VerifyReport:
    match: bool
    checks: list[Check]
    regions: list[RegionDifference]

    @property
    def verdict(self) -> str:
        return "MATCH" if self.match else "MISMATCH"


def verify(record: DrawRecord, pool: pa.Table, *, published_commitment: str | None = None) -> VerifyReport:
    """Re-run the draw of `record` on `pool` and compare. `published_commitment`, if given, is the
    commitment hash the office announced before the beacon; the record must carry that one."""
    checks: list[Check] = []
    doc = record.commitment
    digest = doc.digest
    checks.append(Check("commitment", digest == record.commitment_hash, f"document hashes to {digest}; record says {record.commitment_hash}"))
    if published_commitment is not None:
        ok = published_commitment.strip().lower() == digest
        checks.append(Check("published commitment", ok, f"announced {published_commitment.strip().lower()}; document hashes to {digest}"))
    salt = bytes.fromhex(record.salt)
    checks.append(Check("salt", salt_hash(salt) == doc.salt_hash, "SHA-256 of the revealed salt " + ("equals" if salt_hash(salt) == doc.salt_hash else "differs from") + " the committed salt_hash"))

    table = canonical(pool)
    fp = fingerprint_canonical(table)
    checks.append(Check("pool fingerprint", fp.fingerprint == doc.pool_fingerprint, f"pool file hashes to {fp.fingerprint}; commitment says {doc.pool_fingerprint}"))
    checks.append(Check("pool size", fp.size == doc.pool_size == record.pool_size, f"pool file has {fp.size} rows; commitment says {doc.pool_size}, record says {record.pool_size}"))

    seed = derive_seed(digest, salt, record.beacon_value)
    checks.append(Check("seed", seed.hex() == record.seed, f"recomputed {seed.hex()}; record says {record.seed}"))

    result, report = draw(table, seed, doc.numbers)
    pseud = None
    differences: list[RegionDifference] = []
    recomputed_lists: dict[str, list[str]] = {}
    names = sorted(set(report.regions) | set(record.regions), key=lambda s: s.encode("utf-8"))
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
        diff_fields: dict[str, list] = {}
        if theirs is None:
            differences.append(RegionDifference(name, {"region": [None, "present"]}, missing=called))
            continue
        if mine is None:
            differences.append(RegionDifference(name, {"region": ["present", None]}, unexpected=list(theirs.called_pseudonyms)))
            continue
        for key in ("pool", "volunteers", "number", "called", "volunteers_called", "drawn", "shortfall", "cutoff_key"):
            a, b = getattr(theirs, key), getattr(mine, key)
            if a != b:
                diff_fields[key] = [a, b]
        region_fp = fp.regions[name].fingerprint if name in fp.regions else None
        if theirs.pool_fingerprint != region_fp:
            diff_fields["pool_fingerprint"] = [theirs.pool_fingerprint, region_fp]
        listed = list(theirs.called_pseudonyms)
        missing = sorted(set(called) - set(listed))
        unexpected = sorted(set(listed) - set(called))
        order_differs = not missing and not unexpected and listed != called
        if diff_fields or missing or unexpected or order_differs:
            differences.append(RegionDifference(name, diff_fields, missing, unexpected, order_differs))
    checks.append(Check("regions", not differences, "all regions agree" if not differences else f"{len(differences)} region(s) differ: " + ", ".join(d.region for d in differences)))
    rf = results_fingerprint(recomputed_lists)
    checks.append(Check("results fingerprint", rf == record.results_fingerprint, f"recomputed {rf}; record says {record.results_fingerprint}"))
    totals_ok = record.called_total == report.called and record.shortfall_total == report.shortfall
    checks.append(Check("totals", totals_ok, f"recomputed called {report.called}, shortfall {report.shortfall}; record says {record.called_total}, {record.shortfall_total}"))
    return VerifyReport(all(c.ok for c in checks), checks, differences)
