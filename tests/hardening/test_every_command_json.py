"""Every command once with valid arguments and `--json` on the prepared store: it succeeds and its output parses.

The hostile harness (`test_every_command.py`) mostly reaches refusals; this one reaches the success path,
where a value the JSON writer cannot serialise (a time, a set) used to end as an internal error. The
commands are discovered from the application: each is listed in `VALID` (its arguments; `{name}` is
filled from the prepared store, its case work and files) or in `NOT_HERE` (why this test does not run it),
so a new command fails the coverage test until it is placed.

The store is the hostile harness's (a register, a drawn campaign with summonses) carried on once per
run through a campaign's case work (`casework_store`: letters delivered, a case of each kind, people
found fit, a service record, campaigns to commit and to draw, accounts, a signed status document, a
self-declaration answered on paper, an import that failed part-way); each command runs on its own copy, as the actor, day and input `ENV` and `STDIN` give it.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest
from test_every_command import COMMANDS, KEYS, template  # noqa: F401 - the session fixture

import casework_store
import command_harness as harness

EX = harness.EXAMPLES
VALID: dict[tuple[str, ...], list[str]] = {
    ("policy", "check"): ["{policy}"],
    ("policy", "show"): ["{policy}", "--on", "2026-04-01"],
    ("policy", "reference"): [],
    ("register", "import"): ["{people}"],
    ("register", "stats"): [],
    ("register", "show"): ["H0001", "--reason", "check"],
    ("register", "eligible"): ["--on", "2026-04-01"],
    ("synth",): ["--people", "20", "--out", "{scratch}/synth.csv"],
    ("campaign", "create"): ["c3", "--window", "2026-05-01:2026-07-15", "--quota", "3"],
    ("campaign", "freeze"): ["c2"],
    ("campaign", "delete"): ["c2"],
    ("campaign", "show"): ["c1"],
    ("campaign", "list"): [],
    ("campaign", "export"): ["c1", "--out", "{scratch}/public"],
    ("campaign", "fairness"): ["c1"],
    ("campaign", "person"): ["c1", "H0001"],
    ("campaign", "outcomes"): ["c1"],
    ("notices", "status"): ["c1"],
    ("notices", "follow-up"): ["c1"],
    ("notices", "publish"): ["c1"],
    ("notices", "show"): ["{reference}"],
    ("cases", "queue"): [],
    ("cases", "no-shows"): ["c1"],
    ("cases", "examine"): ["c1", "{examined}"],
    ("registries", "list"): [],
    ("service", "units"): ["{units}"],
    ("service", "guardrail-report"): [],
    ("service", "discharge-due"): ["--on", "2026-04-01"],
    ("verify",): ["{public}"],
    ("fairness",): ["{draws}", "--date-col", "birth", "--number-col", "number"],
    ("plan", "project"): ["{scenario}", "--no-plot"],
    ("plan", "montecarlo"): ["{scenario}", "--runs", "20", "--no-plot"],
    ("plan", "solve"): ["{scenario}", "--no-plot"],
    ("plan", "calibrate"): ["{outcomes}"],
    ("report", "campaign"): ["c1", "--out", "{scratch}/report"],
    ("report", "transparency"): ["c1", "--out", "{scratch}/transparency"],
    ("audit", "verify"): [],
    ("audit", "anchor"): ["--out", "{scratch}/anchor.json"],
    ("audit", "log"): ["--limit", "5"],
    ("keys", "generate"): ["--out", "{scratch}/keys.json"],
    ("keys", "status"): [],
    ("keys", "rotate"): [],
    ("db", "upgrade"): [],
    ("db", "current"): [],
    ("db", "backup"): ["{scratch}/b.tar"],
    ("retention", "apply"): ["--on", "2026-04-01", "--dry-run"],
    ("users", "list"): [],
    ("status", "keys"): [],
    ("status", "revocations"): [],
    ("status", "refresh"): [],
    ("questionnaire", "send"): ["--on", "2026-04-02"],
    ("questionnaire", "status"): ["q1"],
    ("questionnaire", "remind"): ["q1", "--out", "{scratch}/reminders"],
    ("questionnaire", "print"): ["q1", "--out", "{scratch}/forms"],
    ("simulate", "questionnaire"): ["q1", "--seed", "1"],
    ("campaign", "commit"): ["to-commit", "--unverified-beacon", "harness rehearsal"],
    ("campaign", "draw"): ["to-draw", "--beacon", "harness-beacon-2", "--unverified"],
    ("campaign", "replace"): ["c1", "{released}", "--reason", "deferred"],
    ("campaign", "close"): ["c1", "--out", "{scratch}/final"],
    ("cases", "show"): ["{deferral}", "--reason", "checking the file"],
    ("cases", "decide"): ["{deferral}", "--grant", "--reason", "the carer's letter is confirmed"],
    ("cases", "withdraw"): ["{deferral}", "--reason", "the applicant withdrew it"],
    ("cases", "defer"): ["c1", "{examined}", "--ground", "family_care", "--evidence", "letter"],
    ("cases", "exempt"): ["c1", "{examined}", "--ground", "prior_service", "--evidence", "service book"],
    ("cases", "civilian"): ["c1", "{examined}", "--statement", "reasons of conscience"],
    ("cases", "assign"): ["{civilian}", "--employer", "City Hospital", "--start", "2026-05-01"],
    ("cases", "appeal"): ["{refused}", "--reason", "the service book was misread"],
    ("cases", "decide-appeal"): ["{appeal}", "--overturn", "--reason", "the proof arrived in time"],
    ("cases", "fitness"): ["{medical}", "--category", "A", "--details", "no findings"],
    ("cases", "findings"): ["{findings}", "--reason", "the board's review"],
    ("cases", "resolve"): ["{no_show}", "--excuse", "--reason", "a hospital certificate"],
    ("db", "restore"): ["{backup}", "--yes"],
    ("lottery", "rank"): ["{pseudonym}", "--record", "{public}/draw-record.json", "--pool", "{public}/pool.parquet"],
    ("notices", "issue"): ["c1"],
    ("notices", "print"): ["c1", "--out", "{scratch}/letters"],
    ("notices", "deem"): ["c1", "--on", "2026-04-16"],
    ("notices", "appearance"): ["{appeared}", "--outcome", "appeared"],
    ("notices", "move"): ["{moved}", "--office", "{slot_office}", "--date", "{slot_date}", "--start", "{slot_start}"],
    ("notices", "import-receipts"): ["{receipts}"],
    ("notices", "import-returns"): ["{returns}"],
    ("notices", "reminders"): ["--opt-out", "{examined}"],
    ("registries", "import"): ["enrolment", "{enrolment}"],
    ("service", "induct"): ["c1", "{fit}", "--unit", "2-INF-TRG", "--start", "2026-04-02"],
    ("service", "show"): ["{record}"],
    ("service", "transfer"): ["{record}", "--unit", "3-SIG", "--reason", "signals training"],
    ("service", "discharge"): ["{record}", "--on", "2026-04-01", "--reason", "a medical board's finding"],
    ("service", "convert"): ["{record}", "--on", "2026-07-03", "--reason", "contract 17"],
    ("service", "approve-override"): ["c1", "{overridden}", "--unit", "8-MECH", "--reason", "a specialist is needed"],
    ("simulate", "responses"): ["c1", "--seed", "1"],
    ("status", "verify"): ["{document}", "--keys", "{status_keys}", "--name", "{holder}", "--born", "{born}"],
    ("status", "revoke"): ["{serial}"],
    ("users", "add"): ["officer-n", "--role", "officer", "--region", "R01", "--password-stdin"],
    ("users", "change"): ["officer-a", "--role", "officer", "--region", "R02"],
    ("users", "disable"): ["officer-a"],
    ("users", "enable"): ["officer-d"],
    ("users", "reset"): ["officer-a", "--password-stdin"],
    ("users", "revoke-sessions"): ["officer-a"],
    ("jobs", "run-due"): [],
    ("jobs", "runs"): ["--days", "3"],
    ("register", "abandon"): ["{unfinished}", "--reason", "a corrected file replaces it"],
    ("questionnaire", "key"): ["{form}", "--answer", "condition=no", "--answer", "occupation=work", "--answer", "prior_service=no"],
    ("questionnaire", "answers"): ["{declared}", "--reason", "the board's review"],
    ("questionnaire", "routes"): ["q1", "--route", "medical_preassessment", "--reason", "the board's list"],
    ("questionnaire", "close"): ["{declared}", "--route", "medical_preassessment", "--reason", "the board saw them"],
}
#: Who runs a command and when, where it is not the administrator on the prepared store's day.
ENV: dict[tuple[str, ...], dict[str, str]] = {
    ("cases", "fitness"): {"CALLUP_ROLE": "medical", "CALLUP_REGIONS": "{regions}"},
    ("cases", "findings"): {"CALLUP_ROLE": "medical", "CALLUP_REGIONS": "{regions}"},
    ("notices", "appearance"): {"CALLUP_NOW": casework_store.LATER},
    ("notices", "deem"): {"CALLUP_NOW": casework_store.LATER},
    ("cases", "resolve"): {"CALLUP_NOW": casework_store.LATER},
    ("service", "convert"): {"CALLUP_NOW": casework_store.CONTRACT_DAY},
    ("service", "approve-override"): {"CALLUP_POLICY": "{override_policy}"},
    **{("questionnaire", c): {"CALLUP_ROLE": "medical", "CALLUP_REGIONS": "{regions}"} for c in ("answers", "routes", "close")},
}
STDIN = {("users", "add"): casework_store.PASSWORD, ("users", "reset"): casework_store.PASSWORD}
#: Run on the store before the case work: a simulation drives every called person, so it wants no case waiting.
BEFORE_CASEWORK = {("simulate", "responses")}
#: Not run here, and why (each is covered by its own tests with the state it needs).
NOT_HERE = {
    ("demo",): "builds its own country (minutes); tests/core and the demo bench run it",
    ("serve",): "serves until stopped",
    ("worker",): "runs jobs on PostgreSQL until stopped",
}


def _files(tmp_path, casework: dict[str, str]) -> dict[str, str]:
    """The files a command reads, written in the formats the commands document."""
    (tmp_path / "people.csv").write_text(harness.people_csv(5))
    (tmp_path / "draw.csv").write_text("birth,number\n" + "".join(f"2004-{1 + i % 12:02d}-{1 + i % 28:02d},{(i * 37) % 101}\n"
                                                                   for i in range(120)))
    (tmp_path / "receipts.csv").write_text(f"reference,delivered_on\n{casework['receipt']},2026-04-01\n")
    (tmp_path / "returns.csv").write_text(f"reference,returned_on,reason\n{casework['returned']},2026-04-01,addressee unknown\n")
    (tmp_path / "enrolment.csv").write_text(f"national_id,valid_until,reference\n{casework['examined']},2028-06-30,ENR-1\n")
    office, day, start = json.loads(casework["free_slot"])
    return {"policy": str(EX / "policies" / "republic-of-example.toml"), "people": str(tmp_path / "people.csv"),
            "scratch": str(tmp_path), "units": str(EX / "units" / "republic-of-example.csv"), "draws": str(tmp_path / "draw.csv"),
            "scenario": str(EX / "scenarios" / "seed-36-months.toml"), "outcomes": str(EX / "outcomes" / "campaign-outcomes.csv"),
            "receipts": str(tmp_path / "receipts.csv"), "returns": str(tmp_path / "returns.csv"),
            "enrolment": str(tmp_path / "enrolment.csv"), "slot_office": office, "slot_date": day, "slot_start": start}


@pytest.fixture(scope="session")
def casework(template, tmp_path_factory):  # noqa: F811
    """The prepared store carried on through case work (`casework_store`), built once per run."""
    import fcntl

    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    root = shared / "harness-casework"
    root.mkdir(exist_ok=True)
    with open(shared / "harness-casework.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "values.json").exists():
            with pytest.MonkeyPatch.context() as env:
                for name in [n for n in os.environ if n.startswith("CALLUP_") and n != "CALLUP_TEST_POSTGRES_URL"]:
                    env.delenv(name)
                for name, value in harness.environment(f"sqlite:///{root / 'store.db'}", KEYS).items():
                    env.setenv(name, value)
                values = casework_store.build(root, template[0], KEYS)
            (root / "values.json").write_text(json.dumps(values))
    return root / "store.db", json.loads((root / "values.json").read_text())


def test_every_command_is_placed():
    missing = [" ".join(p) for p, _ in COMMANDS if p not in VALID and p not in NOT_HERE]
    assert missing == [], f"give these commands valid arguments in VALID (or a reason in NOT_HERE): {missing}"
    assert not set(VALID) & set(NOT_HERE)


@pytest.mark.parametrize("path", sorted(VALID), ids=" ".join)
def test_every_command_with_valid_arguments_succeeds_and_its_json_parses(path, template, casework, tmp_path,  # noqa: F811
                                                                         monkeypatch):
    (db, prepared), (worked, made) = template, casework
    shutil.copyfile(db if path in BEFORE_CASEWORK else worked, tmp_path / "store.db")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    public = tmp_path / "public"
    shutil.copytree(prepared["public"], public)
    shutil.copyfile(prepared["backup.tar"], tmp_path / "backup.tar")
    values = {**made, **_files(tmp_path, made), "public": str(public), "backup": str(tmp_path / "backup.tar")}
    environment = {**harness.environment(url, KEYS), **{k: v.format(**values) for k, v in ENV.get(path, {}).items()}}
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    args = [a.format(**values) for a in VALID[path]]
    command = dict(COMMANDS)[path]
    takes_json = any("--json" in p.opts for p in harness.params(command))
    outcome = harness.invoke(path, args + (["--json"] if takes_json else []), stdin=STDIN.get(path, ""))
    assert outcome.uncaught is None and outcome.code == 0, (outcome.code, outcome.stderr[-600:])
    if takes_json:
        json.loads(outcome.stdout)
