"""The installed command: clear messages and exit codes for bad input, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from callup_test_support import EXAMPLE_POLICY

pytestmark = pytest.mark.db  # runs callup on a store


def _run(*args, cwd, env_extra=None):
    env = {**os.environ, "CALLUP_DATABASE_URL": f"sqlite:///{cwd}/callup.db", **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "callup.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (["policy", "check", "missing.toml"], "missing.toml: cannot read policy file", 2),
        (["register", "import", "missing.csv"], "missing.csv: no such file", 2),
        (["register", "import", "people.txt.gz"], "unknown format", 2),
        (["register", "show", "NOBODY"], "no person with that national id on the register", 3),  # the id is not echoed
        (["register", "eligible", "--on", "2026-13-01"], "--on: '2026-13-01' is not a date", 2),
        (["campaign", "draw", "nope", "--beacon", "x"], "no campaign named 'nope'", 3),
        (["campaign", "create", "c", "--window", "2026-04-01", "--quota", "5"], "--window: '2026-04-01' is not START:END", 2),
    ],
)
def test_bad_input_gets_a_clear_message_and_no_traceback(tmp_path, args, message, code):
    (tmp_path / "people.txt.gz").write_bytes(b"x")
    result = _run(*args, cwd=tmp_path)
    assert result.returncode == code, result.stderr
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_json_output_is_one_document_on_stdout(tmp_path):
    result = _run("synth", "--people", "500", "--out", "p.csv", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["rows_written"] == 500
    result = _run("register", "import", "p.csv", "--policy", str(EXAMPLE_POLICY), "--json", cwd=tmp_path)
    assert json.loads(result.stdout)["rows_imported"] == 500
    result = _run("register", "eligible", "--on", "2026-04-01", "--json", cwd=tmp_path)
    report = json.loads(result.stdout)
    assert report["eligible"] == sum(report["by_region"].values()) > 0
