"""Every `callup ...` command shown in the docs runs, against a scratch store.

Convention (also stated in docs/guides/README.md):

- Commands are taken from fenced blocks marked ```sh in `docs/**/*.md`: every line that starts
  with `callup ` (optionally after environment assignments such as `CALLUP_ROLE=officer `); a
  line ending in `\\` continues on the next. An `export NAME=value ...` line sets variables for
  the document's later commands, as a shell would. Other lines (and other blocks) are not run.
- The store, keys and clock are always the scratch store's: `CALLUP_DATABASE_URL`,
  `CALLUP_KEY_FILE`, `CALLUP_KEYS`, `CALLUP_NOW` and `CALLUP_POLICY` set in a document are ignored
  (the policy is the bundled example).
- A comment `# exit N` at the end of a line says the command is documented to fail with code N;
  every other command must exit 0.
- The placeholders in `PLACEHOLDERS` stand for values only a real store knows (a summons
  reference, a national id, a pseudonym) and are replaced, as whole words, by values of the
  scratch store. Any other value in a command is literal.
- Commands that do not end by themselves (or need the network or a future beacon round) are in
  `NOT_RUN`, with the reason; each entry must still match a command in the docs.

Commands run in this process through the `callup` entry point (exit code and output as the
installed command gives them); two run as their own processes, to check the entry point itself.
Each document runs in order, on its own copy of one scratch store prepared once for the module:
a synthetic register of 3,000 people imported, the campaign spring-2027 drawn (a rehearsal
beacon), summonses issued, its public record exported to `public/`, and small input files
(postal receipts and returns, an enrolment registry, units) in the working directory.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.db  # runs callup on a store

REPO = pathlib.Path(__file__).resolve().parents[2]
DOCS = sorted((REPO / "docs").rglob("*.md"))
NOW = "2027-02-03T09:00:00Z"
PASSWORD = "correct horse battery staple 42"  # standard input of every command (`users add --password-stdin`)

# Commands shown in the docs but not run here: (regular expression matched at the start of the
# command line, why). Each must match at least one command in the docs.
NOT_RUN: list[tuple[str, str]] = [
    (r"callup serve\b", "a server: runs until stopped"),
    (r"callup worker\b", "job workers need a PostgreSQL store (the scratch store is SQLite); without --once one runs until stopped"),
    (r"callup notices print \S+ .*--queue", "queued printing needs a PostgreSQL store (the scratch store is SQLite)"),
    (r"callup campaign commit \S+ --beacon-chain", "needs a drand round in the future of the fixed clock"),
    (r"callup campaign draw \S+ --beacon-round", "needs the published drand round committed to (the network)"),
]

SCRATCH = ("CALLUP_DATABASE_URL", "CALLUP_KEY_FILE", "CALLUP_KEYS", "CALLUP_NOW", "CALLUP_POLICY")  # the scratch store's

PLACEHOLDERS = ("REFERENCE", "NATIONAL_ID", "PSEUDONYM", "COMMITMENT")


@dataclasses.dataclass(frozen=True)
class Command:
    doc: pathlib.Path
    line: int
    text: str
    env: dict[str, str]
    argv: list[str]
    expect: int

    def where(self) -> str:
        return f"{self.doc.relative_to(REPO)}:{self.line}"


ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=")


def commands(doc: pathlib.Path) -> list[Command]:
    """The `callup` commands of a document's ```sh blocks, in order."""
    found: list[Command] = []
    exported: dict[str, str] = {}
    in_sh = False
    pending: tuple[int, str] | None = None
    for number, raw in enumerate(doc.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("```"):
            in_sh = not in_sh and stripped[3:].strip() == "sh"
            pending = None
            continue
        if not in_sh:
            continue
        if pending is not None:
            start, text = pending
            text = text + " " + stripped.rstrip("\\").strip()
            pending = (start, text) if stripped.endswith("\\") else None
            if pending is None:
                found.extend(_parse(doc, start, text, exported))
            continue
        if stripped.endswith("\\"):
            pending = (number, stripped.rstrip("\\").strip())
            continue
        found.extend(_parse(doc, number, stripped, exported))
    return found


def _parse(doc: pathlib.Path, number: int, text: str, exported: dict[str, str]) -> list[Command]:
    words = shlex.split(text, comments=True)
    if words[:1] == ["export"]:
        exported.update(w.partition("=")[::2] for w in words[1:] if ASSIGNMENT.match(w))
        return []
    env = dict(exported)
    while words and ASSIGNMENT.match(words[0]):
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    if not words or words[0] != "callup":
        return []
    expect = re.search(r"#\s*exit\s+(\d+)\s*$", text)
    return [Command(doc, number, text.split(" #")[0].strip(), env, words[1:], int(expect.group(1)) if expect else 0)]


def _not_run(command: Command) -> str | None:
    line = " ".join(["callup", *command.argv])
    return next((why for pattern, why in NOT_RUN if re.match(pattern, line)), None)


def _clean_environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("CALLUP_")}


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> tuple[pathlib.Path, dict[str, str]]:
    """The scratch store and its input files, prepared once; returns its directory and the placeholders."""
    sys.path.insert(0, str(REPO / "tests" / "campaigns"))
    from callup.campaigns.service import export_campaign
    from callup.crypto.keys import generate_key_file
    from callup.environment import context_from_environment
    from callup.notices import service as notices
    from callup.uow import UnitOfWork
    from campaign_helpers import drawn, load_register, on_day

    base = tmp_path_factory.mktemp("docs-store")
    generate_key_file(base / "keys.json")
    environ = {"CALLUP_DATABASE_URL": f"sqlite:///{base / 'callup.db'}", "CALLUP_KEY_FILE": str(base / "keys.json"),
               "CALLUP_ACTOR": "docs-admin", "CALLUP_NOW": NOW}
    ctx = context_from_environment(environ=environ)
    (base / "people.csv").write_bytes(load_register(ctx, base, people=3000).read_bytes())
    (base / "register.csv").unlink()
    drawn(on_day(ctx, dt.date(2026, 11, 2)), quota=60, over_call="0.2")
    day = on_day(ctx, dt.date(2027, 2, 1))
    with UnitOfWork(day) as uow:
        notices.issue_summonses(uow, "spring-2027", offices_path=REPO / "examples" / "offices" / "republic-of-example.csv")
    export_campaign(day, "spring-2027", base / "public")
    from callup.questionnaire.service import send_questionnaire

    send_questionnaire(day)  # the self-declaration round born-2009, for the guides' questionnaire commands
    with UnitOfWork(day, write=False) as uow:
        from sqlalchemy import select

        from callup.notices.tables import Summons

        rows = uow.execute(select(Summons.reference, Summons.national_id, Summons.region, Summons.pseudonym)
                           .order_by(Summons.region, Summons.id)).all()
    mine = [r for r in rows if r.region == "R01"]
    others = [r for r in rows if r.region != "R01"]
    record = json.loads((base / "public" / "draw-record.json").read_text(encoding="utf-8"))
    values = {"COMMITMENT": record["commitment_hash"], "REFERENCE": mine[0].reference, "NATIONAL_ID": mine[0].national_id,
              "PSEUDONYM": mine[0].pseudonym}
    (base / "receipts.csv").write_text(f"reference,delivered_on\n{values['REFERENCE']},2027-02-02\n", encoding="utf-8")
    (base / "returns.csv").write_text(f"reference,returned_on,reason\n{others[0].reference},2027-02-02,addressee unknown\n",
                                      encoding="utf-8")
    (base / "enrolment.csv").write_text(f"national_id,valid_until,reference\n{values['NATIONAL_ID']},2028-06-30,UNI-2027-0042\n",
                                        encoding="utf-8")
    (base / "units.csv").write_text("code,name,zone\nU101,1st Training Battalion,training\nU202,2nd Rifle Brigade,combat\n",
                                    encoding="utf-8")
    (base / "password.txt").write_text(PASSWORD + "\n", encoding="utf-8")
    return base, values


def _environ(command: Command, cwd: pathlib.Path) -> dict[str, str]:
    """The command's environment: the document's settings, on the scratch store, nothing of the caller's."""
    return {"CALLUP_ACTOR": "docs-admin", "COLUMNS": "120", **{k: v for k, v in command.env.items() if k not in SCRATCH},
            "CALLUP_DATABASE_URL": f"sqlite:///{cwd / 'callup.db'}", "CALLUP_KEY_FILE": str(cwd / "keys.json"), "CALLUP_NOW": NOW}


def _run(command: Command, cwd: pathlib.Path, values: dict[str, str]) -> tuple[int, str]:
    """Run the command in this process, as the `callup` entry point would (its exit code, and what it printed)."""
    from click.testing import CliRunner

    from callup import cli

    argv = [values.get(word, word) for word in command.argv]
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("CALLUP_")}
    env.update(_environ(command, cwd))
    before, saved_argv = os.getcwd(), sys.argv
    with CliRunner().isolation(input=PASSWORD + "\n", env=env) as (out, err, _):
        os.chdir(cwd)
        sys.argv = ["callup", *argv]
        try:
            cli.main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException as exc:  # noqa: BLE001 - what the installed command would show as a traceback
            code, err = 70, io.BytesIO(f"uncaught {type(exc).__name__}: {exc}".encode())
        finally:
            sys.argv = saved_argv
            os.chdir(before)
            sys.stdout.flush()
            sys.stderr.flush()
        shown = err.getvalue().decode("utf-8", "replace") or out.getvalue().decode("utf-8", "replace")
    return code, shown


def _run_process(command: Command, cwd: pathlib.Path, values: dict[str, str]) -> subprocess.CompletedProcess:
    """Run the command as its own Python process, as a user's shell would."""
    argv = [values.get(word, word) for word in command.argv]
    return subprocess.run([sys.executable, "-m", "callup.cli", *argv], cwd=cwd, env={**_clean_environ(), **_environ(command, cwd)},
                          input=PASSWORD + "\n", capture_output=True, text=True, timeout=600, check=False)


def test_the_docs_show_commands_and_every_not_run_entry_is_still_shown():
    shown = [c for doc in DOCS for c in commands(doc)]
    assert len(shown) > 40
    lines = [" ".join(["callup", *c.argv]) for c in shown]
    for pattern, why in NOT_RUN:
        assert any(re.match(pattern, line) for line in lines), f"NOT_RUN entry {pattern!r} ({why}) matches no command in the docs"
    for c in shown:
        unknown = [w for w in c.argv if re.fullmatch(r"[A-Z][A-Z_]{2,}", w) and w not in PLACEHOLDERS]
        assert not unknown, f"{c.where()}: {unknown} are not placeholders the test knows ({PLACEHOLDERS}): {c.text}"


def _copy(base: pathlib.Path, work: pathlib.Path) -> pathlib.Path:
    shutil.copytree(base, work)
    (work / "examples").symlink_to(REPO / "examples")
    return work


RUN = [d for d in DOCS if commands(d)]


@pytest.mark.parametrize("doc", RUN, ids=lambda d: str(d.relative_to(REPO / "docs")))
def test_every_command_of_the_doc_runs(doc, scratch, tmp_path):
    """The document's commands in order, each in this process, on the document's own copy of the scratch store."""
    from callup.store.engine import connect

    base, values = scratch
    work = _copy(base, tmp_path / "work")
    failures = []
    try:
        for command in commands(doc):
            if _not_run(command):
                continue
            code, shown = _run(command, work, values)
            if code != command.expect:
                failures.append(f"{command.where()}: `{command.text}` exited {code}, documented {command.expect}:\n{shown[-800:]}")
    finally:
        connect.cache_clear()  # the copy's engines go with it
    assert not failures, "\n\n".join(failures)


def test_documented_commands_run_as_processes_with_their_documented_exit_codes(scratch, tmp_path):
    """The installed entry point end to end: a check that passes (0) and one documented to fail (1)."""
    base, values = scratch
    work = _copy(base, tmp_path / "work")
    shown = commands(REPO / "docs" / "guides" / "verifier.md")
    for command in [next(c for c in shown if c.expect == 0), next(c for c in shown if c.expect == 1)]:
        done = _run_process(command, work, values)
        assert done.returncode == command.expect, f"{command.where()}: exited {done.returncode}: {(done.stderr or done.stdout)[-800:]}"
        assert "Traceback" not in done.stderr
