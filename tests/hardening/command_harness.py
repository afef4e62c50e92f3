"""The all-commands harness: find every command of the CLI, build hostile arguments and files, judge the answers.

Used by `test_every_command.py` (a fixed, derandomized profile in CI) and by `bench/fuzz_commands.py`
(a longer randomized run). Nothing here names a command: the commands are discovered from the
application, so a new command is covered without editing this file. Per-command settings are
limited to commands that cannot run in a test at all (a server) and to example budgets of slow ones.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import pathlib
import re
import shlex
import shutil
import signal
import typing
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

REPO = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "src" / "callup" / "examples"
NOW = "2026-04-01T09:00:00Z"

#: Commands that never return by design (they serve until stopped): not run, listed in the report.
NEVER_RETURN = {("serve",): "serves HTTP until stopped"}
#: Arguments put before the drawn ones (a drawn value of the same option overrides them): the demo's
#: default register of 1,000,000 people takes minutes, which no example budget affords.
PREFIX = {("demo",): ["--people", "300"]}
#: Findings in code other teams are changing as this is written, reported to them; the test marks
#: them as expected failures (naming every problem) until fixed, and passes once they are.
KNOWN: dict[tuple[str, ...], str] = {}
#: Exit code 1 is these commands' documented answer "the check failed" (not an error).
CHECKS = {("verify",), ("audit", "verify"), ("status", "verify")}
#: Seconds one invocation may take before the harness calls it a hang.
TIMEOUT = 120


# -- discovery -------------------------------------------------------------------------------------

def discover() -> list[tuple[tuple[str, ...], Any]]:
    """Every runnable command of `callup`, as (path, click command), walking sub-groups."""
    import typer
    from typer._click.core import Context

    from callup import cli

    root = typer.main.get_command(cli.app)
    found: list[tuple[tuple[str, ...], Any]] = []

    def walk(command: Any, path: tuple[str, ...], ctx: Any) -> None:
        if hasattr(command, "list_commands"):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                if getattr(sub, "hidden", False):  # an old name kept as an alias: its command is walked under the new name
                    continue
                walk(sub, (*path, name), Context(sub, parent=ctx, info_name=name))
        else:
            found.append((path, command))

    walk(root, (), Context(root, info_name="callup"))
    return found


@dataclasses.dataclass(frozen=True)
class Param:
    name: str
    opts: tuple[str, ...]  # () for a positional argument
    kind: str  # path, int, float, str, flag
    required: bool
    multiple: bool
    secondary: tuple[str, ...] = ()


def _kind(annotation: Any) -> tuple[str, bool]:
    multiple = False
    origin = typing.get_origin(annotation)
    if origin is list:
        annotation, multiple = typing.get_args(annotation)[0], True
    elif origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _kind(inner[0]) if inner else ("str", False)
    if isinstance(annotation, type) and issubclass(annotation, os.PathLike):
        return "path", multiple
    if annotation is bool:
        return "flag", multiple
    if annotation is int:
        return "int", multiple
    if annotation is float:
        return "float", multiple
    return "str", multiple


def params(command: Any) -> list[Param]:
    out = []
    for p in command.params:
        if p.name in ("help", "install_completion", "show_completion"):
            continue
        descriptor = getattr(p, "type_descriptor", None)
        kind, multiple = _kind(descriptor.annotation if descriptor else str)
        if getattr(p, "is_flag", False):
            kind = "flag"
        is_option = type(p).__name__.endswith("Option")
        out.append(Param(p.name, tuple(p.opts) if is_option else (), kind, bool(p.required), multiple or bool(p.multiple),
                         tuple(getattr(p, "secondary_opts", ()) or ())))
    return out


# -- hostile files ---------------------------------------------------------------------------------

PEOPLE_HEADER = ("national_id,family_name,given_names,date_of_birth,sex,citizenship,region,address,postcode,civil_status,"
                 "email,phone,volunteer")


def person_line(i: int, region: str = "R01", volunteer: str = "") -> str:
    born = dt.date(2002, 1, 1) + dt.timedelta(days=37 * i)
    return f"H{i:04d},Novak,Adam,{born},M,EXR,{region},{i} Main St,01001,alive,,,{volunteer}"


def people_csv(n: int) -> str:
    return PEOPLE_HEADER + "\n" + "\n".join(person_line(i, f"R0{1 + i % 3}", "yes" if i % 7 == 0 else "") for i in range(n)) + "\n"


def write_hostile_files(root: pathlib.Path, prepared: dict[str, pathlib.Path]) -> dict[str, pathlib.Path]:
    """The menu of files every path parameter draws from: valid ones, and every way a file can be wrong."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    root.mkdir(parents=True, exist_ok=True)
    files: dict[str, pathlib.Path] = {}

    def put(name: str, data: bytes | str) -> None:
        path = root / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        files[name] = path

    (root / "a-directory").mkdir(exist_ok=True)
    files["a-directory"] = root / "a-directory"
    files["missing-file"] = root / "missing.csv"
    files["missing-folder"] = root / "no-such-folder" / "out.csv"
    files["long-name"] = root / ("x" * 300 + ".csv")
    put("existing.txt", "an existing file\n")
    put("empty.csv", b"")
    put("bom-only.csv", b"\xef\xbb\xbf")
    put("bom-quotas.csv", b"\xef\xbb\xbfregion,quota\r\nR01,5\r\nR02,3\r\nR03,2\r\n")
    put("bom-ids.csv", b"\xef\xbb\xbfnational_id,reason\r\nH0001,deferred\r\n")
    put("latin1.csv", "national_id,reason\nH0001,M\xfcller\n".encode("latin-1"))
    put("random.bin", bytes(range(256)) * 4)
    put("nul.csv", b"national_id\x00,reason\nH\x000001,deferred\n")
    put("control.csv", "region,quota\nR01\x1b[31m,5\n\x07,\x08\n")
    put("fullwidth.csv", "region,quota\nR01,１２\n")
    put("huge.csv", "region,quota\nR01,99999999999999999999999999\nR02,1e999999\n")
    put("negative.csv", "region,quota\nR01,-5\n")
    put("short-row.csv", "national_id,reason\nH0001\nH0002,deferred,extra\n")
    put("no-id.csv", "reason\ndeferred\n")
    put("quotas.csv", "region,quota\nR01,5\nR02,3\nR03,2\n")
    put("volunteers.csv", "national_id\nH0003\nH0004\n")
    put("releases.csv", "national_id,reason\nH0001,deferred\n")
    put("people.csv", people_csv(12))
    put("people-bad-rows.csv", people_csv(6) + 'H9001,"cut short\nH9002\nH9003,a,b,c\n\xff\xfe\n')
    put("people-colliding.csv", PEOPLE_HEADER + "\n" + person_line(1).replace("H0001", "h0001") + "\n" + person_line(2).replace("H0002", "---") + "\n")
    put("draw.csv", "birth,number\n" + "".join(f"2004-{1 + i % 12:02d}-{1 + i % 28:02d},{(i * 37) % 101}\n" for i in range(120)))
    put("draw-nan.csv", "birth,number\n" + "".join(f"2004-{1 + i % 12:02d}-01,{'nan' if i % 5 == 0 else i}\n" for i in range(60)))
    put("draw-equal.csv", "birth,number\n" + "".join(f"2004-{1 + i % 12:02d}-01,7\n" for i in range(60)))
    policy = (EXAMPLES / "policies" / "republic-of-example.toml").read_text(encoding="utf-8")
    put("policy.toml", policy)
    put("policy-effective-zero.toml", re.sub(r"effective_from = \d{4}-\d{2}-\d{2}", "effective_from = 0", policy, count=1))
    put("policy-truncated.toml", policy[: len(policy) // 2])
    scenario = (EXAMPLES / "scenarios" / "seed-36-months.toml").read_text(encoding="utf-8")
    put("scenario.toml", scenario)
    put("scenario-nan.toml", re.sub(r"^(initial\s*=\s*)\S+", r"\1nan", scenario, count=1, flags=re.M))
    put("scenario-inf.toml", re.sub(r"^(\w+\s*=\s*)[0-9_.]+", r"\1-inf", scenario, count=1, flags=re.M))
    put("scenario-huge-months.toml", re.sub(r"^(months\s*=\s*)\d+", r"\g<1>100000", scenario, count=1, flags=re.M))
    put("outcomes.csv", (EXAMPLES / "outcomes" / "campaign-outcomes.csv").read_text(encoding="utf-8"))
    offices = sorted((EXAMPLES / "offices").glob("*.csv"))
    if offices:
        put("offices.csv", offices[0].read_text(encoding="utf-8"))
    put("anchor.json", json.dumps({"head_hash": "0" * 64, "count": 0, "time": "2026-01-01T00:00:00Z"}))
    put("anchor-bad.json", json.dumps({"head_hash": "zz", "count": -1}))
    put("json-garbage.json", "{not json")
    put("truncated.tar", b"ustar\x00" + bytes(600))
    table = pa.table({"national_id": ["P1"], "family_name": ["N"], "given_names": ["A"], "date_of_birth": ["2004-01-01"],
                      "sex": ["M"], "citizenship": ["EXR"], "region": ["R01"], "address": [["1 Main St", "flat 2"]],
                      "postcode": ["01001"], "civil_status": ["alive"]})
    pq.write_table(table, root / "list-column.parquet")
    files["list-column.parquet"] = root / "list-column.parquet"
    plain = pa.table({name: table.column(name) for name in table.column_names if name != "address"})
    pq.write_table(plain.append_column("address", pa.array(["1 Main St"])), root / "good.parquet")
    files["good.parquet"] = root / "good.parquet"
    put("bad-name.parquet", (root / "good.parquet").read_bytes().replace(b"family_name", b"family\xff\xfeame"))
    data = bytearray((root / "good.parquet").read_bytes())
    data[len(data) // 3: len(data) // 3 + 64] = bytes(64)
    put("damaged.parquet", bytes(data))
    for name, path in prepared.items():  # the store's own public record, backup, ...
        target = root / name
        if path.is_dir():
            shutil.copytree(path, target, dirs_exist_ok=True)
        else:
            shutil.copyfile(path, target)
        files[name] = target
    return files


# -- strategies ------------------------------------------------------------------------------------

INTS = ["-1", "0", "1", "3", "100000000", "99999999999999999999999", "１２", "nan", "inf", "1e3", "", "0x10", "+7"]
FLOATS = ["nan", "inf", "-inf", "1e999", "-1", "0", "0.5", "1", "１.５", "1e-320", ""]
STRINGS = ["", " ", "c1", "c2", "nope", "H0001", "h-0001", "H0002", "R01", "R99", "deferred", "unfit", "x" * 5000, "a" * 101,
           "\x1b[31mred\x1b[0m", "line\nbreak", "１２", "nan", "inf", "-1", "2026-02-30", "2026-04-01", "9999-12-31",
           "2026-04-01:2026-07-15", "2026-07-15:2026-04-01", "../../etc/passwd", "%s%n{0}", "' OR 1=1 --", "Ωmega",
           "drand quicknet round 1", "quicknet", "A1", "administrator", "citizen", "0.35", "1e999999"]
DATES = ["2026-04-01", "2026-02-30", "2026-13-01", "0000-00-00", "1900-01-01", "9999-12-31", "20260401", "１２", "", "nan", "today"]


def text_values() -> st.SearchStrategy[str]:
    """Strings from the menu, or drawn by hypothesis (no NUL: a command line cannot carry one)."""
    drawn = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)
    return st.one_of(st.sampled_from(STRINGS), drawn)


def _nonempty(path: pathlib.Path) -> bool:
    try:
        return path.is_file() and path.stat().st_size > 0
    except OSError:  # e.g. a name too long for the file system
        return False


def mutated_file(files: dict[str, pathlib.Path], scratch: pathlib.Path) -> st.SearchStrategy[pathlib.Path]:
    """A valid file of the menu with a few bytes flipped, cut, repeated or inserted, written to a new path."""
    bases = [p for name, p in files.items() if name.endswith((".csv", ".toml", ".json")) and _nonempty(p)]

    @st.composite
    def build(draw: Any) -> pathlib.Path:
        base = draw(st.sampled_from(bases))
        data = bytearray(base.read_bytes())
        for _ in range(draw(st.integers(1, 4))):
            if not data:
                break
            i = draw(st.integers(0, len(data) - 1))
            how = draw(st.sampled_from(["flip", "cut", "repeat", "insert"]))
            if how == "flip":
                data[i] = draw(st.integers(0, 255))
            elif how == "cut":
                del data[i:]
            elif how == "repeat":
                data[i:i] = data[i: i + draw(st.integers(1, 200))]
            else:
                data[i:i] = draw(st.sampled_from([b",", b'"', b"\n", b"\r", b"\xef\xbb\xbf", b"\xff", b"nan", b"-1", b"9" * 30,
                                                  "１２".encode(), b"=", b"[", b"]", b"'''"]))
        name = f"mutated-{draw(st.integers(0, 10**9))}{base.suffix}"
        path = scratch / name
        path.write_bytes(bytes(data))
        return path

    return build()


def path_values(files: dict[str, pathlib.Path], scratch: pathlib.Path) -> st.SearchStrategy[str]:
    fresh = st.sampled_from(["new-output.csv", "new-output.parquet", "new-output.png", "new-folder", "new.json", "new.tar",
                             "new-keys.json"]).map(lambda n: str(scratch / n))
    return st.one_of(st.sampled_from(sorted(str(p) for p in files.values())), fresh, mutated_file(files, scratch).map(str))


def value_strategy(param: Param, files: dict[str, pathlib.Path], scratch: pathlib.Path) -> st.SearchStrategy[str]:
    if param.kind == "path":
        return path_values(files, scratch)
    if param.kind == "int":
        return st.one_of(st.sampled_from(INTS), st.integers(-10**6, 10**6).map(str))
    if param.kind == "float":
        return st.one_of(st.sampled_from(FLOATS), st.floats(allow_nan=True, allow_infinity=True).map(repr))
    if any(word in param.name for word in ("date", "on", "start", "until", "since")) and param.name not in ("reason",):
        return st.one_of(st.sampled_from(DATES), text_values())
    return text_values()


@st.composite
def arguments(draw: Any, params_: list[Param], files: dict[str, pathlib.Path], scratch: pathlib.Path) -> list[str]:
    """One command line's arguments: every required parameter, some optional ones, in a drawn order."""
    positional, options = [], []
    for p in params_:
        if p.kind == "flag":
            if draw(st.booleans()):
                options.append([draw(st.sampled_from(p.opts + p.secondary)) if p.opts else p.name])
            continue
        if not p.required and not draw(st.booleans()):
            continue
        count = draw(st.integers(1, 2)) if p.multiple else 1
        for _ in range(count):
            value = draw(value_strategy(p, files, scratch))
            if p.opts:
                options.append([draw(st.sampled_from(p.opts)), value])
            else:
                positional.append(value)
    options = draw(st.permutations(options))
    args = [part for option in options for part in option]
    if any(v.startswith("-") for v in positional):  # a value that looks like an option goes after "--"
        return args + ["--"] + positional
    return positional + args if draw(st.booleans()) else args + positional


# -- running and judging ---------------------------------------------------------------------------

class Hang(BaseException):
    """An invocation ran past the harness's timeout."""


@dataclasses.dataclass
class Outcome:
    args: list[str]
    code: int
    stdout: str
    stderr: str
    uncaught: BaseException | None


def invoke(path: tuple[str, ...], args: list[str], *, stdin: str = "") -> Outcome:
    from hardening_support import run_cli

    def on_alarm(signum: int, frame: Any) -> None:
        raise Hang(f"{' '.join(path)} ran longer than {TIMEOUT} s")

    import time

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(TIMEOUT)
    began = time.perf_counter()
    try:
        code, out, err, uncaught = run_cli([*path, *args], input=stdin)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    if os.environ.get("HARNESS_VERBOSE"):
        print(f"{time.perf_counter() - began:6.2f} s  exit {code}  {shlex.join([*path, *args])[:200]}", flush=True)
    return Outcome([*path, *args], code, out, err, uncaught)


def names_offender(line: str, args: list[str], params_: list[Param]) -> bool:
    """Does the error line name an option, a parameter or a value (file) of this command line, or a
    setting of its environment (the store's URL is input too)?"""
    candidates: set[str] = set(environment("", ""))
    for p in params_:
        candidates.update(o for o in p.opts if o.startswith("--"))
        candidates.add(p.name.upper())
        candidates.add(p.name.replace("_", " "))
    for a in args:
        if not a.strip() or a.startswith("-") and len(a) < 3:
            continue
        candidates.add(a if len(a) <= 60 else a[:60])
        candidates.add(repr(a)[:60])
        if "/" in a:
            candidates.add(pathlib.Path(a).name[:60])
            candidates.add(str(pathlib.Path(a).parent))
    return any(c and c in line for c in candidates if len(c) >= 2 or c.isalnum())


def store_state(url: str) -> tuple[dict[str, int], tuple[int, str]]:
    """Each table's row count and the audit head of the SQLite store at `url`, every count in one query (the
    harness reads them before and after every command it runs)."""
    import sqlite3

    from callup.store.urls import sqlite_file

    conn = sqlite3.connect(sqlite_file(url))
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite~_%' ESCAPE '~' ORDER BY name")]
        counted = conn.execute("SELECT " + ", ".join(f'(SELECT COUNT(*) FROM "{t}")' for t in tables)).fetchone() if tables else ()
        head = conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone() if "audit_head" in tables else None
    finally:
        conn.close()
    return dict(zip(tables, counted, strict=True)), (int(head[0]), head[1]) if head else (0, "0" * 64)


def audited_refusal(path: tuple[str, ...], before: tuple, after: tuple, url: str) -> bool:
    """A refusal that the design records: a failed restore (one audit entry, nothing else), or an
    import that failed part-way (its committed blocks stay; the import is marked failed)."""
    (counts_before, head_before), (counts_after, head_after) = before, after
    changed = {t for t in set(counts_before) | set(counts_after) if counts_before.get(t) != counts_after.get(t)}
    if path == ("db", "restore"):
        return changed <= {"audit_log"} and head_after[0] == head_before[0] + 1
    if path == ("register", "import"):
        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import NullPool

        engine = create_engine(url, poolclass=NullPool)
        with engine.connect() as conn:
            status = conn.execute(text("SELECT status FROM imports ORDER BY id DESC LIMIT 1")).scalar()
        engine.dispose()
        return changed <= {"people", "imports", "import_rejects"} and head_after == head_before and status == "failed"
    return False


def judge(path: tuple[str, ...], outcome: Outcome, params_: list[Param], before: tuple, after: tuple, url: str) -> list[str]:
    """What is wrong with this outcome (empty: nothing)."""
    problems = []
    if outcome.uncaught is not None:
        return [f"traceback: {type(outcome.uncaught).__name__}: {str(outcome.uncaught)[:300]}"]
    if "Traceback (most recent call last)" in outcome.stderr:
        problems.append("a traceback on stderr")
    allowed = {0, 2, 3, 4, 5} | ({1} if path in CHECKS else set())
    if outcome.code == 70:  # the command line's "internal error ... this is a bug"
        problems.append(f"exit code 70, an internal error: {outcome.stderr.strip()[:300]!r}")
    elif outcome.code not in allowed:
        problems.append(f"exit code {outcome.code}")
    if outcome.code not in (0, 1):
        lines = outcome.stderr.strip("\n").split("\n")
        if len(lines) != 1 or not lines[0].startswith("error: "):
            problems.append(f"stderr is not one 'error: ' line: {outcome.stderr[:400]!r}")
        elif outcome.code != 5 and not names_offender(lines[0], outcome.args[len(path):], params_):  # 5: the role, not the input
            problems.append(f"the error names no option or file: {lines[0][:300]!r}")
        if before != after and not audited_refusal(path, before, after, url):
            problems.append(f"a refused command changed the store: {diff_state(before, after)}")
    return problems


def diff_state(before: tuple, after: tuple) -> str:
    (cb, hb), (ca, ha) = before, after
    parts = [f"{t}: {cb.get(t)} -> {ca.get(t)}" for t in sorted(set(cb) | set(ca)) if cb.get(t) != ca.get(t)]
    if hb != ha:
        parts.append(f"audit head {hb[0]} -> {ha[0]}")
    return "; ".join(parts)


def environment(url: str, keys: str) -> dict[str, str]:
    return {"CALLUP_DATABASE_URL": url, "CALLUP_KEYS": keys, "CALLUP_NOW": NOW, "CALLUP_ACTOR": "harness",
            "CALLUP_ROLE": "administrator"}


def iter_problems(found: list[tuple[Outcome, list[str]]]) -> Iterator[str]:
    for outcome, problems in found:
        for problem in problems:
            yield f"callup {shlex.join(a if len(a) < 80 else a[:60] + '...' for a in outcome.args)}: {problem}"
