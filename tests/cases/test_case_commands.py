"""Case commands: one line on stderr naming the problem, never a traceback, no personal data (the import contracts keep the store out of commands).

The commands run in this process (about the messages, not the process: tests/test_cli_errors.py runs the installed
command in a subprocess)."""

from __future__ import annotations

import json
import pathlib
import traceback

import pytest

from callup_test_support import run_cli

pytestmark = pytest.mark.db  # runs callup on a store


def _url(directory: pathlib.Path) -> str:
    return f"sqlite:///{directory}/callup.db"


@pytest.fixture(autouse=True)
def store(tmp_path, store_templates):
    """The store the commands run on: a copy of the migrated one (a command's first use would migrate it, 0.3 s)."""
    store_templates.fill_sqlite(_url(tmp_path))


def _run(*args, cwd, env_extra=None):  # noqa: ANN001, ANN202
    """The console entry point run in this process (in `cwd`, the test's own directory); an uncaught exception
    is what the installed command would print as a traceback, so it counts as one on stderr."""
    import types

    assert pathlib.Path.cwd() == cwd
    env = {"CALLUP_DATABASE_URL": _url(cwd), **(env_extra or {})}
    code, stdout, stderr, uncaught = run_cli(list(args), env=env)
    if uncaught is not None:
        stderr += "Traceback (most recent call last):\n" + "".join(traceback.format_exception(uncaught))
    return types.SimpleNamespace(returncode=code, stdout=stdout, stderr=stderr)


@pytest.mark.parametrize(("args", "message", "code"), [
    (["cases", "show", "999"], "no case 999", 3),
    (["cases", "queue", "--kind", "bogus"], "--kind: 'bogus' is not one of medical", 2),
    (["registries", "import", "enrolment", "missing.csv"], "missing.csv: no such file", 2),
    (["registries", "import", "Bad Name", "missing.csv"], "registry name 'Bad Name' must be", 2),
    (["cases", "decide", "1", "--reason", "x"], "give exactly one of --grant or --refuse", 2),
    (["cases", "decide", "1", "--reason", "x", "--grant", "--until", "2027-02-30"], "--until: '2027-02-30' is not a date", 2),
    (["cases", "decide", "7", "--reason", "x", "--grant"], "no case 7", 3),
    (["cases", "decide-appeal", "7", "--reason", "x"], "give exactly one of --uphold or --overturn", 2),
    (["cases", "appeal", "7", "--reason", "x"], "no case 7", 3),
    (["cases", "resolve", "7", "--reason", "x", "--excuse", "--refer"], "give exactly one of --reschedule, --excuse or --refer", 2),
    (["cases", "resolve", "7", "--reason", "x", "--reschedule", "--start", "9am"], "--start: '9am' is not a time", 2),
    (["cases", "no-shows", "nope"], "no campaign", 3),
    (["service", "guardrail-report", "--since", "May"], "--since: 'May' is not a date", 2),
    (["service", "transfer", "3", "--unit", "X", "--reason", "r"], "no service record 3", 3),
    (["service", "discharge-due", "--on", ""], "--on: '' is not a date", 2),
    (["service", "approve-override", "nope", "X1", "--unit", "U", "--reason", " "], "--reason: an approval of an override needs a reason", 2),
    (["registries", "import", "enrolment", "enrolment.csv", "--rejects", "."], "--rejects: .: is a directory", 2),
    (["campaign", "outcomes", "nope", "--outcomes", "."], "--outcomes: .: is a directory", 2),
    (["cases", "assign", "7", "--employer", "", "--start", "2027-05-01"], "name the civilian employer", 2),
])
def test_bad_input_is_one_line_on_stderr_without_a_traceback(tmp_path, args, message, code):
    (tmp_path / "enrolment.csv").write_text("national_id,valid_until\nA1,2028-06-30\n")
    result = _run(*args, cwd=tmp_path)
    assert result.returncode == code, result.stderr
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_an_empty_queue_is_an_empty_json_list(tmp_path):
    result = _run("cases", "queue", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_health_details_need_the_medical_role_on_the_command_line_too(tmp_path):
    result = _run("cases", "findings", "1", cwd=tmp_path, env_extra={"CALLUP_ROLE": "administrator"})
    assert result.returncode == 5 and "health details needs the role medical" in result.stderr
    assert "Traceback" not in result.stderr
    result = _run("cases", "fitness", "1", "--category", "A", "--reexamine-on", "soon", cwd=tmp_path,
                  env_extra={"CALLUP_ROLE": "medical", "CALLUP_REGIONS": "R01"})
    assert result.returncode == 2 and "--reexamine-on: 'soon' is not a date" in result.stderr


def test_a_registry_is_imported_and_listed_from_the_command_line(tmp_path):
    (tmp_path / "enrolment.csv").write_text("national_id,valid_until\nA1,2028-06-30\n")
    result = _run("registries", "import", "enrolment", "enrolment.csv", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["rows"] == 1
    listed = json.loads(_run("registries", "list", "--json", cwd=tmp_path).stdout)
    assert [(r["name"], r["rows"], r["source"]) for r in listed] == [("enrolment", 1, "enrolment.csv")]
