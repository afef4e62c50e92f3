"""A second verifier written from docs/lottery.md alone: the standard library and an AES block, no callup code.

It checks a published folder of format 2 (unverified beacon, or a drand round whose signature is
taken as checked: the BLS pairing is out of its scope): the commitment hash, salt, pool
fingerprint, policy file, allocation (largest remainder or Sainte-Laguë), allocation.csv byte for
byte, seed, call order and called lists, and the replacements record's chain and rules. It
returns the list of what differs (empty: everything agrees). Tests run it beside `callup verify`
so that the specification, not only the code, is known to be enough.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import pathlib
from fractions import Fraction

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def jcs(value) -> bytes:  # noqa: ANN001 - section 6: members by UTF-16 order, json.dumps escapes as JCS does
    def order(v):  # noqa: ANN001, ANN202
        if isinstance(v, dict):
            return {k: order(v[k]) for k in sorted(v, key=lambda k: k.encode("utf-16-be"))}
        return [order(x) for x in v] if isinstance(v, list) else v
    return json.dumps(order(value), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def utf8_order(names) -> list[str]:  # noqa: ANN001
    return sorted(names, key=lambda s: s.encode("utf-8"))


def read_pool_csv(data: bytes) -> list[tuple[str, bytes, bool]]:
    text = data.decode("utf-8").removeprefix("\ufeff")
    rows = [r for r in csv.DictReader(io.StringIO(text))]
    return [(r["region"], bytes.fromhex(r["pseudonym"]), r.get("volunteer", "0") == "1") for r in rows]


def apportion(pools: dict[str, int], quota: int, method: str) -> dict[str, int]:
    total = sum(pools.values())
    seats = min(quota, total)
    out = dict.fromkeys(pools, 0)
    tie = lambda n: (-pools[n], n.encode("utf-8"))  # noqa: E731 - larger pool, then name in UTF-8 order
    if total == 0:
        return out
    if method == "largest_remainder":
        for n, p in pools.items():
            out[n] = seats * p // total
        left = seats - sum(out.values())
        for n in sorted((n for n in pools if out[n] < pools[n]), key=lambda n: (-((seats * pools[n]) % total), *tie(n)))[:left]:
            out[n] += 1
        return out
    for _ in range(seats):  # Sainte-Laguë
        n = min((n for n in pools if out[n] < pools[n]), key=lambda n: (-Fraction(pools[n], 2 * out[n] + 1), *tie(n)))
        out[n] += 1
    return out


def check_folder(folder: pathlib.Path) -> list[str]:
    problems: list[str] = []
    record = json.loads((folder / "draw-record.json").read_text(encoding="utf-8"))
    doc = record["commitment"]
    digest = sha(jcs(doc))
    if digest != record["commitment_hash"]:
        problems.append("commitment hash")
    if sha(bytes.fromhex(record["salt"])) != doc["salt_hash"]:
        problems.append("salt")
    if (folder / "policy.toml").exists() and sha((folder / "policy.toml").read_bytes()) != doc["policy_sha256"]:
        problems.append("policy")
    pool_path = folder / "pool.csv"
    if not pool_path.exists():
        import pyarrow.parquet as pq  # only to read the Parquet container; every value is checked below

        t = pq.read_table(folder / "pool.parquet").to_pydict()
        rows = [(r, bytes.fromhex(p), bool(v)) for r, p, v in zip(t["region"], t["pseudonym"], t["volunteer"], strict=True)]
    else:
        rows = read_pool_csv(pool_path.read_bytes())
    rows.sort(key=lambda r: (r[0].encode("utf-8"), r[1]))
    encoded = [r.encode("utf-8") + b"\x1f" + p + (b"\x01" if v else b"\x00") + b"\x1e" for r, p, v in rows]
    if sha(b"".join(encoded)) != doc["pool_fingerprint"] or len(rows) != doc["pool_size"]:
        problems.append("pool fingerprint")
    pools = {r: sum(1 for x in rows if x[0] == r) for r in {x[0] for x in rows}}
    volunteers = {r: sum(1 for x in rows if x[0] == r and x[2]) for r in pools}
    a = doc["allocation"]
    if a["method"] == "explicit":
        quotas = {n: a["quotas"].get(n, 0) for n in set(pools) | set(a["quotas"])}
    else:
        quotas = apportion(pools, a["quota"], a["method"])
    rate = Fraction(a["over_call_rate"])
    numbers = {n: -((-q * (1 + rate).numerator) // (1 + rate).denominator) for n, q in quotas.items()}
    if numbers != doc["numbers"]:
        problems.append("numbers")
    table = "region,pool,volunteers,quota,number\n" + "".join(
        '"' + n.replace('"', '""') + f'",{pools.get(n, 0)},{volunteers.get(n, 0)},{quotas[n]},{doc["numbers"][n]}\n'
        for n in utf8_order(doc["numbers"]))
    if (folder / "allocation.csv").read_bytes() != table.encode("utf-8"):
        problems.append("allocation.csv")
    seed = hashlib.sha256(b"callup-lottery-seed/1\x00" + bytes.fromhex(digest) + bytes.fromhex(record["salt"])
                          + record["beacon_value"].encode("utf-8")).digest()
    if seed.hex() != record["seed"]:
        problems.append("seed")
    aes = Cipher(algorithms.AES(seed), modes.ECB()).encryptor()
    call_order: dict[str, list[str]] = {}
    for n in pools:
        people = [(aes.update(p), p.hex(), v) for r, p, v in rows if r == n]
        call_order[n] = [p for _, p, _ in sorted(people, key=lambda x: (not x[2], x[0]))]
    for n in doc["numbers"]:
        called = call_order.get(n, [])[: doc["numbers"][n]]
        if record["regions"][n]["called_pseudonyms"] != called:
            problems.append(f"called list of {n}")
    problems += check_replacements((folder / "replacements.jsonl").read_bytes(), sha(jcs(record)), call_order,
                                   {n: min(doc["numbers"][n], pools.get(n, 0)) for n in doc["numbers"]})
    return problems


def holder_of(x: str, p: str, live: set[str], replaces: dict[str, str]) -> str | None:
    """Who holds x's call now, p apart: x while live, else (or when x is p) the live call not beyond the number that
    fills it through released calls."""
    if x in live and x != p:
        return x
    frontier, seen = [x], {x}
    while frontier:
        children = [r for r, q in replaces.items() if q in frontier and r not in seen and r != p]
        seen.update(children)
        for r in children:
            if r in live and replaces.get(r) not in live:
                return r
        frontier = [r for r in children if r not in live]
    return None


def holding(q: str | None, p: str, live: set[str], replaces: dict[str, str]) -> str | None:
    """The live person, p apart, who holds the call q held, or the call q's own call filled, and so on up."""
    seen = set()
    while q is not None and q not in seen:
        seen.add(q)
        holder = holder_of(q, p, live, replaces)
        if holder is not None:
            return holder
        q = replaces.get(q)
    return None


def check_replacements(data: bytes, draw_record: str, call_order: dict[str, list[str]], called: dict[str, int]) -> list[str]:
    """Section 9.1, replayed entry by entry."""
    problems, previous = [], draw_record
    last = dict(called)
    live = {p for n, o in call_order.items() for p in o[: called.get(n, 0)]}
    replaces: dict[str, str] = {}
    filler: dict[str, str | None] = {}
    for i, line in enumerate(data.split(b"\n")[:-1], start=1):
        e = json.loads(line)
        if jcs(e) != line or e["seq"] != i or e["previous"] != previous or e["draw_record"] != draw_record:
            problems.append(f"chain at entry {i}")
        previous = sha(line)
        order, p = call_order[e["region"]], e["pseudonym"]
        position = {q: k for k, q in enumerate(order, start=1)}
        if e["kind"] == "restore":
            if p in live or p not in filler or filler[p] != e["kept"]:
                problems.append(f"restoration at entry {i}")
            filler.pop(p, None)
            live.add(p)
            held = holding(replaces.get(p), p, live, replaces)
            if held is not None:  # the call p's call filled is held by someone live: p is beyond the number
                replaces[p] = held
            else:  # p's call counts again: whoever holds it now is beyond the number
                holder = holder_of(p, p, live, replaces)
                if holder is not None:
                    replaces[holder] = p
            continue
        spare = sorted((r for r, q in replaces.items() if r in live and q in live and r != p and r in position),
                       key=lambda r: (replaces[r] != p, position[r]))
        beyond = p in live and replaces.get(p) in live  # p's own call is supernumerary
        if p not in live:
            problems.append(f"release of someone not called at entry {i}")
        heir = replaces.get(p) if beyond else None
        live.discard(p)
        if beyond:
            ok = (e["filled_by"], e["called"], e["position"], e["skipped"]) == ("nobody", None, None, [])
            who = None
        elif spare:
            ok = (e["filled_by"], e["called"], e["position"], e["skipped"]) == ("supernumerary", spare[0], None, [])
            who = heir = spare[0]
        else:
            nxt = e["position"]
            if e["filled_by"] == "nobody":
                ok = e["skipped"] == list(range(last[e["region"]] + 1, len(order) + 1)) and e["called"] is None
                who = None
            else:
                ok = (e["filled_by"] == "reserve" and isinstance(nxt, int) and last[e["region"]] < nxt <= len(order)
                      and e["skipped"] == list(range(last[e["region"]] + 1, nxt)) and e["called"] == order[nxt - 1])
                who = e["called"] if ok else None
                if ok:
                    last[e["region"]] = nxt
                    live.add(who)
        if not ok:
            problems.append(f"reserve order at entry {i}")
        for r in [r for r, q in replaces.items() if q == p and r in live and r != who and heir is not None]:
            replaces[r] = heir  # beyond the number through p's call: now through its holder's (or p's person's)
        if who:
            replaces[who] = p
        filler[p] = who
    return problems
