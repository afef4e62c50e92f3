"""Bad input never gives a traceback: every rejection names the file, and nothing stored changes.

Hypothesis mutates the project's real example files (byte flips, deletions, insertions,
truncation, line shuffles) and also feeds random bytes.
"""

from __future__ import annotations

import io
import pathlib
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from callup.errors import CallupError
from callup_test_support import EXAMPLE_POLICY, POSTGRES_URL, REPO

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

GOOD_CSV = (
    b"national_id,family_name,given_names,date_of_birth,sex,citizenship,region,address,postcode,civil_status,email,phone,volunteer\n"
    b"F1,Novak,Adam,2004-05-06,M,EXR,R01,1 Main St,01001,alive,,,\n"
    b"F2,Horvat,Eva,2004-07-08,F,EXR,R02,\"2 Main St, flat 3\",01002,alive,e@example.org,,yes\n"
    b"F3,Kralj,Ivo,2003-01-31,M,EXR,R03,3 Main St,01003,alive,,+385 1 234,\n"
)


@st.composite
def mutated(draw, base: bytes) -> bytes:
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "delete", "insert", "truncate", "duplicate", "swap"]))
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[i] = draw(st.integers(0, 255))
        elif kind == "delete":
            del data[i : i + draw(st.integers(1, 20))]
        elif kind == "insert":
            data[i:i] = draw(st.sampled_from([b",", b"\"", b"\n", b"\r", b"\x00", b"\xff\xfe", b"=", b"[", b"]", b"#",
                                              b"'''", b"\\u00", "ü".encode(), b" " * 3, b"9" * 30, b"-1", b"nan"]))
        elif kind == "truncate":
            del data[i:]
        elif kind == "duplicate":
            data[i:i] = data[i : i + draw(st.integers(1, 200))]
        else:
            lines = bytes(data).split(b"\n")
            a, b = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[a], lines[b] = lines[b], lines[a]
            data = bytearray(b"\n".join(lines))
    return bytes(data)


def inputs(base: bytes):
    return st.one_of(mutated(base), st.binary(max_size=300))


def run_cli(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    from callup.cli import main

    monkeypatch.setattr(sys, "argv", ["callup", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()  # anything but a CallupError propagates here, with its traceback: a test failure
    return exit_info.value.code, capsys.readouterr().err


@pytest.fixture
def fuzz_store(tmp_path, monkeypatch):
    """PostgreSQL when available (bulk work in-process, fast); else SQLite."""
    from callup.store import open_store
    from callup.store.engine import connect
    from callup_test_support import make_store_url

    url, drop = make_store_url("postgres" if POSTGRES_URL else "sqlite", tmp_path)
    monkeypatch.setenv("CALLUP_DATABASE_URL", url)
    engine = open_store(url)
    yield engine
    engine.dispose()
    connect.cache_clear()
    drop()


def _state(engine):
    """The register and the audit log's actions, but for the entry saying an import began: a file found damaged
    only once its reading has started (a Parquet page, say) leaves that entry, as the import's first transaction
    must write it, and changes nothing else."""
    from sqlalchemy import text

    from callup import audit

    with engine.connect() as conn:
        people = conn.execute(text("SELECT * FROM people ORDER BY national_id")).all()
    return people, [e.action for e in audit.entries(engine) if e.action not in ("register.import.start", "register.import.resume")]


@pytest.mark.db
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_register_import_survives_any_file(fuzz_store, suffix, tmp_path, monkeypatch, capsys):
    base = tmp_path / "base.csv"
    base.write_bytes(GOOD_CSV)
    assert run_cli(monkeypatch, capsys, "register", "import", str(base), "--policy", str(EXAMPLE_POLICY), "--json")[0] == 0
    if suffix == ".parquet":
        import pyarrow.csv as pacsv

        buffer = io.BytesIO()
        pq.write_table(pacsv.read_csv(base, convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in
                       GOOD_CSV.split(b"\n")[0].decode().split(",")})), buffer)
        seed = buffer.getvalue()
    else:
        seed = GOOD_CSV
    counter = iter(range(10**6))

    @FUZZ
    @given(data=inputs(seed))
    def check(data: bytes) -> None:
        path = tmp_path / f"fuzz-{next(counter)}{suffix}"
        path.write_bytes(data)
        before = _state(fuzz_store)
        code, err = run_cli(monkeypatch, capsys, "register", "import", str(path), "--policy", str(EXAMPLE_POLICY), "--json")
        assert code in (0, 2), err
        if code == 2:
            assert path.name in err and "Traceback" not in err
            assert _state(fuzz_store) == before, "a rejected file changed the store"

    check()


def test_policy_loader_rejects_with_the_file_name(tmp_path):
    from callup.policy import load_policy

    seed = EXAMPLE_POLICY.read_bytes()
    counter = iter(range(10**6))

    @FUZZ
    @given(data=inputs(seed))
    def check(data: bytes) -> None:
        path = tmp_path / f"policy-{next(counter)}.toml"
        path.write_bytes(data)
        try:
            load_policy(path)
        except CallupError as exc:
            assert str(path) in str(exc)

    check()


LOADERS = {
    "scenario": ("examples/scenarios/seed-36-months.toml", ".toml", "callup.planning.scenario", "load_scenario"),
    "outcomes": ("examples/outcomes/campaign-outcomes.csv", ".csv", "callup.planning.calibration", "calibrate"),
    "pool": (None, ".csv", "callup.lottery.pool", "read_pool"),
    "record": (None, ".json", "callup.lottery.record", "load_record"),
}


def _seed(name: str) -> bytes:
    if name == "pool":
        return b"region,pseudonym,volunteer\nR01,00112233445566778899aabbccddeeff,0\nR02,ffeeddccbbaa99887766554433221100,1\n"
    if name == "record":
        return b'{"campaign": "spring-2027", "commitment": {"digest": "00"}, "beacon_value": "abc", "salt": "00"}\n'
    return (REPO / LOADERS[name][0]).read_bytes()


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_every_other_file_input_rejects_with_the_file_name(name, tmp_path):
    import importlib

    _, suffix, module, function = LOADERS[name]
    load = getattr(importlib.import_module(module), function)
    counter = iter(range(10**6))

    @FUZZ
    @given(data=inputs(_seed(name)))
    def check(data: bytes) -> None:
        path = tmp_path / f"{name}-{next(counter)}{suffix}"
        path.write_bytes(data)
        try:
            load(path)
        except CallupError as exc:
            assert str(path) in str(exc), str(exc)

    check()


def test_a_missing_file_is_named(tmp_path):
    from callup.lottery import load_record, read_pool
    from callup.planning.calibration import calibrate
    from callup.planning.scenario import load_scenario
    from callup.policy import load_policy

    for load, name in ((load_policy, "x.toml"), (load_scenario, "x.toml"), (calibrate, "x.csv"), (read_pool, "x.csv"),
                       (load_record, "x.json")):
        with pytest.raises(CallupError, match="x\\."):
            load(pathlib.Path(tmp_path / name))
