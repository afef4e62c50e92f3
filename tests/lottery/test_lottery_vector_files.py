"""The format-1 example and a replacements record as vector files (tests/lottery/vectors/), recomputed and verified.

`format1.json` is section 13.6's example as the files a format-1 campaign published (pool CSV
with every field quoted, commitment.json, draw record, allocation.csv); `replacements.json` is a
replacements record over the drand vector's draw (section 13.7) with every rule exercised.
Regenerate (only when a format changes on purpose) with
`python tests/lottery/test_lottery_vector_files.py --write`.
"""

from __future__ import annotations

import json
import pathlib
import sys

from callup.lottery import replacements
from callup.lottery.pool import read_pool
from callup.lottery.record import commitment_file, record_from_json, run_draw
from callup.lottery.verify import verify

HERE = pathlib.Path(__file__).resolve().parent
VECTORS = HERE / "vectors"
DOC = HERE.parents[1] / "docs" / "lottery.md"
sys.path.insert(0, str(HERE))

from test_lottery_vectors import example  # noqa: E402


def build_format1() -> dict:
    pool, commitment, salt = example()
    _, record = run_draw(commitment, salt, "example-beacon-value", pool)
    rows = sorted(zip(pool.column("region").to_pylist(), pool.column("pseudonym").to_pylist(),
                      pool.column("volunteer").to_pylist(), strict=True), key=lambda r: (r[0].encode(), r[1]))
    # As format-1 campaigns wrote it: every field quoted, the header too.
    pool_file = '"region","pseudonym","volunteer"\n' + "".join(f'"{r}","{p.hex()}","{int(v)}"\n' for r, p, v in rows)
    # The quota column is the campaign's stored quota (format 1 commits none: not checked); CRLF as csv.writer wrote it.
    allocation = "region,pool,volunteers,quota,number\r\n" + "".join(
        f"{name},{r.pool},{r.volunteers},{r.number},{r.number}\r\n" for name, r in record.regions.items())
    return {"about": "The format-1 example of docs/lottery.md section 13.6, as its campaign published it.",
            "inputs": {"pseudonym_key": bytes(range(32)).hex(), "salt": salt.hex(), "numbers": {"North": 2, "Süd": 1},
                       "beacon_source": "example beacon, round 1", "beacon_input": "example-beacon-value"},
            "outputs": {"pool_csv": pool_file, "commitment_json": commitment_file(commitment).decode(),
                        "commitment": commitment.digest, "record": json.loads(record.to_json()),
                        "allocation_csv": allocation}}


def build_replacements() -> dict:
    record = json.loads((VECTORS / "format2-drand.json").read_text(encoding="utf-8"))["outputs"]["record"]
    draw_hash = replacements.record_hash(record)
    north = "North"
    ed5c, e72e, e8ae, fe85 = ("ed5c71c54c69a0e7716f82c6ae9e5005", "e72ec86c9b5d206cbdd169dfa64edacf",
                              "8ae543f9aeb1e1c2565db4245473e1d7", "fe85b5fe9ac4d6531413b5fae289feb5")
    steps = [
        lambda **c: replacements.release_entry(**c, date="2031-04-10", region=north, pseudonym=e72e, reason="deferred",
                                               filled_by="reserve", called=fe85, position=4),
        lambda **c: replacements.restore_entry(**c, date="2031-05-02", region=north, pseudonym=e72e, kept=fe85),
        lambda **c: replacements.release_entry(**c, date="2031-05-20", region=north, pseudonym=e8ae, reason="unfit",
                                               filled_by="supernumerary", called=fe85),
        lambda **c: replacements.release_entry(**c, date="2031-06-01", region=north, pseudonym=ed5c, reason="exempted",
                                               filled_by="nobody"),
    ]
    lines, previous = [], draw_hash
    for seq, step in enumerate(steps, start=1):
        line = replacements.entry_line(step(seq=seq, previous=previous, draw_record=draw_hash))
        previous = replacements.line_hash(line)
        lines.append(line.decode())
    return {"about": "A replacements record over the draw of format2-drand.json (North: called ed5c, e72e, 8ae5 at "
                     "positions 1-3, reserve fe85 at position 4): a release filled from the reserve, the call given back "
                     "on appeal (the replacement kept, supernumerary), a release filled by that supernumerary, and a "
                     "release with the reserve exhausted.",
            "draw_record": draw_hash, "replacements_jsonl": "".join(line + "\n" for line in lines), "head": previous}


BUILDERS = {"format1": build_format1, "replacements": build_replacements}


def stored(name: str) -> dict:
    return json.loads((VECTORS / f"{name}.json").read_text(encoding="utf-8"))


def test_the_vector_files_are_recomputed_byte_for_byte():
    for name, build in BUILDERS.items():
        assert build() == stored(name), name


def test_the_format1_files_verify_every_file(tmp_path):
    out = stored("format1")["outputs"]
    (tmp_path / "pool.csv").write_text(out["pool_csv"], encoding="utf-8")
    record = record_from_json(json.dumps(out["record"]))
    report = verify(record, read_pool(tmp_path / "pool.csv"), published_commitment=out["commitment"],
                    allocation_file=out["allocation_csv"].encode())
    assert report.match and report.format_version == 1, [c for c in report.checks if not c.ok]
    assert json.loads(out["commitment_json"])["commitment_hash"] == out["commitment"]


def test_the_replacements_vector_verifies_over_the_drand_vector(tmp_path):
    drand = stored("format2-drand")["outputs"]
    vector = stored("replacements")
    (tmp_path / "pool.csv").write_text(drand["pool_csv"], encoding="utf-8")
    report = verify(record_from_json(json.dumps(drand["record"])), read_pool(tmp_path / "pool.csv"),
                    replacements_file=vector["replacements_jsonl"].encode())
    assert report.match, [c for c in report.checks if not c.ok]
    assert report.replacements == {"entries": 4, "releases": 3, "restorations": 1, "head": vector["head"],
                                   "draw_record": vector["draw_record"]}


def test_the_vector_values_are_printed_in_the_specification():
    text = DOC.read_text(encoding="utf-8")
    vector = stored("replacements")
    assert vector["draw_record"] in text and vector["head"] in text
    assert all(line in text for line in vector["replacements_jsonl"].splitlines())
    assert "vectors/format1.json" in text and "vectors/replacements.json" in text


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    for name, build in BUILDERS.items():
        (VECTORS / f"{name}.json").write_text(json.dumps(build(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
