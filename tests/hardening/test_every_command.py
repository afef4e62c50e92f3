"""Every command of the command line, run with hostile arguments and files drawn by hypothesis.

The commands are discovered from the application (`callup.cli`), walking every sub-group, so a
new command is covered without editing this test. Each runs against a copy of a small prepared
store (a register, a drawn campaign, a created one, a backup and the public record) with values
drawn from menus of hostile input: directories, missing files and folders, existing files, empty
files, byte-order marks, text that is not UTF-8, NaN, infinities, huge and negative numbers,
full-width digits, very long strings, control characters, and valid files with bytes mutated.

Each answer must be: no traceback; exit code 0 (the input happened to be valid), 2, 3 or 4 (1 for
the commands whose answer is a failed check, 5 when the actor's role does not allow it); on an
error, exactly one line on stderr that names the offending option, argument or file; and after a refused command, the store's row counts and
audit head as they were (except a refusal the design records: see `command_harness.audited_refusal`).

CI runs the `ci` hypothesis profile: derandomized (the same examples every run) and bounded.
`bench/fuzz_commands.py` runs the `long` profile: randomized, many more examples.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import pathlib

import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

import command_harness as harness

pytestmark = pytest.mark.db  # runs callup on a store

PROFILE = os.environ.get("CALLUP_HARNESS_PROFILE", "ci")
EXAMPLES = int(os.environ.get("CALLUP_HARNESS_EXAMPLES", "8" if PROFILE == "ci" else "200"))
#: Slow commands (a whole pipeline, PDF rendering, simulations) get fewer examples in CI.
SLOW = {("demo",): 1, ("register", "eligible"): 4, ("notices", "print"): 4, ("plan", "montecarlo"): 4, ("plan", "solve"): 4,
        ("plan", "project"): 4, ("campaign", "fairness"): 5, ("campaign", "freeze"): 5, ("campaign", "create"): 6}
settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=False,
                          phases=[Phase.explicit, Phase.generate],
                          suppress_health_check=list(HealthCheck))
settings.register_profile("long", derandomize=False, deadline=None, phases=[Phase.explicit, Phase.generate],
                          suppress_health_check=list(HealthCheck))

COMMANDS = harness.discover()
KEYS = json.dumps({"current": "k-harness", "keys": {"k-harness": base64.b64encode(b"h" * 32).decode()}})


@pytest.fixture(scope="session")
def template(tmp_path_factory):
    """A small prepared store (SQLite) and the files it published, built once per run."""
    import fcntl

    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # one template for all the test processes of this run
    root = shared / "harness-template"
    root.mkdir(exist_ok=True)
    with open(shared / "harness-template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "done").exists():
            _build_template(root)
            (root / "done").write_text("")
    prepared = {"backup.tar": root / "backup.tar", "public": root / "public"}
    prepared.update({f"public-{p.name}": p for p in (root / "public").iterdir()})
    return root / "store.db", prepared


def _build_template(root: pathlib.Path) -> None:
    import datetime as dt

    from callup.campaigns import service
    from callup.register.importer import import_register
    from callup.store import open_store
    from callup.store.backup import backup
    from callup_test_support import make_context
    from hardening_support import run_cli

    url = f"sqlite:///{root / 'store.db'}"
    with pytest.MonkeyPatch.context() as env:
        for name in [n for n in os.environ if n.startswith("CALLUP_") and n != "CALLUP_TEST_POSTGRES_URL"]:
            env.delenv(name)
        for name, value in harness.environment(url, KEYS).items():
            env.setenv(name, value)
        env.chdir(root)
        open_store(url)
        ctx = make_context(url, now=dt.date(2026, 4, 1))
        (root / "people.csv").write_text(harness.people_csv(60))
        import_register(ctx, root / "people.csv")
        window = (dt.date(2026, 4, 1), dt.date(2026, 7, 15))
        service.open_campaign(ctx, service.Decree(name="c1", window=window, quota=10, over_call="0.2"))
        service.commit_campaign(ctx, "c1", unverified="harness rehearsal")
        service.draw_campaign(ctx, "c1", beacon_value="harness-beacon", unverified=True)
        service.open_campaign(ctx, service.Decree(name="c2", window=window, quota=5), freeze=False)
        service.export_campaign(ctx, "c1", root / "public")
        offices = sorted((harness.EXAMPLES / "offices").glob("*.csv"))
        if offices:  # summonses for the drawn campaign, if the notices commands can issue them
            run_cli(["notices", "issue", "c1", "--offices", str(offices[0])])
        from callup.questionnaire.service import send_questionnaire

        send_questionnaire(ctx, name="q1")  # a round (its cohort may be empty) for the questionnaire commands
        backup(ctx, root / "backup.tar")
        from callup.store.engine import disconnect

        disconnect(url)


@pytest.fixture
def store(template, tmp_path, monkeypatch):
    """A private copy of the prepared store, and the environment of a command run against it."""
    import shutil

    db, prepared = template
    shutil.copyfile(db, tmp_path / "store.db")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    for name, value in harness.environment(url, KEYS).items():
        monkeypatch.setenv(name, value)
    files = harness.write_hostile_files(tmp_path / "files", prepared)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    yield url, files, scratch
    from callup.store.engine import connect, disconnect

    disconnect(url)
    connect.cache_clear()


def _id(path: tuple[str, ...]) -> str:
    return " ".join(path)


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=_id)
def test_every_command_survives_hostile_input(path, store):
    if path in harness.NEVER_RETURN:
        pytest.skip(f"{_id(path)} {harness.NEVER_RETURN[path]}")
    url, files, scratch = store
    command = dict(COMMANDS)[path]
    params = harness.params(command)
    found: list[tuple[harness.Outcome, list[str]]] = []
    budget = min(EXAMPLES, SLOW.get(path, EXAMPLES)) if PROFILE == "ci" else EXAMPLES

    @settings(settings.get_profile(PROFILE), max_examples=budget)
    @given(args=harness.arguments(params, files, scratch), stdin=st.sampled_from(["", "n\n", "y\n"]))
    def run(args, stdin):
        before = harness.store_state(url)
        outcome = harness.invoke(path, harness.PREFIX.get(path, []) + args, stdin=stdin)
        after = harness.store_state(url)
        problems = harness.judge(path, outcome, params, before, after, url)
        if problems:
            found.append((outcome, problems))

    run.hypothesis.inner_test.__name__ = "run_" + "_".join(path).replace("-", "_")
    run()
    report = "\n".join(harness.iter_problems(found))
    if found and path in harness.KNOWN:
        pytest.xfail(f"known: {harness.KNOWN[path]}\n{report}")
    assert not found, report


def test_the_harness_sees_every_command():
    """The discovery walks sub-groups: every group of `callup` contributes its commands."""
    from callup import cli

    tops = {p[0] for p, _ in COMMANDS}
    assert tops == set(cli.COMMANDS)
    assert ("db", "restore") in dict(COMMANDS) and ("campaign", "create") in dict(COMMANDS)


def test_the_harness_flags_an_internal_error_even_as_one_clean_line(store, monkeypatch):
    """Exit code 70 is the command line's "internal error ... this is a bug": the harness reports it, although
    it comes as one 'error: ' line with no traceback (and even from a command whose exit 1 is an answer)."""
    from callup.policy import commands

    url, files, _ = store
    monkeypatch.setattr(commands, "load_policy", lambda *a, **k: {}["boom"])
    path = ("policy", "check")
    before = harness.store_state(url)
    outcome = harness.invoke(path, [str(files["policy.toml"])])
    assert outcome.code == 70 and outcome.stderr.startswith("error: ") and "Traceback" not in outcome.stderr
    problems = harness.judge(path, outcome, harness.params(dict(COMMANDS)[path]), before, harness.store_state(url), url)
    assert problems and problems[0].startswith("exit code 70, an internal error"), problems
    checked = harness.judge(("verify",), dataclasses.replace(outcome, args=["verify"]), [], before, before, url)
    assert checked and checked[0].startswith("exit code 70"), checked
