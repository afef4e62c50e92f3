"""Defects of the hardening issue that ended in a traceback, a silent acceptance or a file too widely readable."""

from __future__ import annotations

import json
import math
import os
import re
import stat

import pytest

from callup.cli_output import to_json
from callup_test_support import EXAMPLE_POLICY, REPO
from hardening_support import run_cli

REPO_EXAMPLES = REPO / "src" / "callup" / "examples"

pytestmark = pytest.mark.db  # runs callup on a store


def _one_error_line(err: str, *names: str) -> None:
    assert err.count("\n") == 1 and err.startswith("error: "), err
    for name in names:
        assert name in err, err


def test_policy_effective_from_must_be_a_date(tmp_path):
    text = EXAMPLE_POLICY.read_text(encoding="utf-8")
    path = tmp_path / "p.toml"
    path.write_text(re.sub(r"effective_from = \d{4}-\d{2}-\d{2}", "effective_from = 0", text, count=1), encoding="utf-8")
    code, out, err, uncaught = run_cli(["policy", "check", str(path)])
    assert uncaught is None and code == 2
    _one_error_line(err, "p.toml", "effective_from")


def test_the_policy_bounds_the_over_call(ctx, tmp_path, monkeypatch):
    text = EXAMPLE_POLICY.read_text(encoding="utf-8")
    path = tmp_path / "p.toml"
    path.write_text(text.replace("[versions.conscription]", "[versions.conscription]\nmax_over_call_rate = 0.5", 1), encoding="utf-8")
    monkeypatch.setenv("CALLUP_NOW", "2026-04-01T09:00:00Z")
    code, out, err, uncaught = run_cli(["campaign", "create", "c", "--window", "2026-04-01:2026-07-15", "--quota", "5",
                                        "--over-call", "0.6", "--policy", str(path)])
    assert uncaught is None and code == 2
    _one_error_line(err, "--over-call", "largest allowed, 0.5")


@pytest.mark.parametrize("where", ["missing-folder", "directory"])
def test_outputs_into_a_directory_or_a_missing_folder_are_one_line(ctx, tmp_path, where):
    target = str(tmp_path / "no" / "such" / "x.json") if where == "missing-folder" else str(tmp_path)
    for args, option in ((["keys", "generate", "--out", target], "--out"), (["audit", "anchor", "--out", target], "--out"),
                         (["db", "backup", target], target)):
        code, out, err, uncaught = run_cli(args)
        assert uncaught is None and code == 2, (args, err)
        _one_error_line(err, option)


def test_keys_generate_refuses_to_overwrite_a_file_that_is_not_a_key_file(tmp_path):
    (tmp_path / "notes.csv").write_bytes(b"\xff\xfe not text")
    code, out, err, uncaught = run_cli(["keys", "generate", "--out", str(tmp_path / "notes.csv")])
    assert uncaught is None and code == 2
    _one_error_line(err, "--out", "notes.csv")
    assert (tmp_path / "notes.csv").read_bytes() == b"\xff\xfe not text"
    code, out, err, _ = run_cli(["keys", "generate", "--out", str(tmp_path / "k.json")])
    assert code == 0 and stat.S_IMODE(os.stat(tmp_path / "k.json").st_mode) == 0o600


def test_synth_is_bounded_and_writes_owner_only(tmp_path):
    code, out, err, uncaught = run_cli(["synth", "--people", "100000000000", "--out", str(tmp_path / "p.csv")])
    assert uncaught is None and code == 2
    _one_error_line(err, "--people")
    assert not (tmp_path / "p.csv").exists()
    code, out, err, _ = run_cli(["synth", "--people", "20", "--out", str(tmp_path / "p.csv")])
    assert code == 0 and stat.S_IMODE(os.stat(tmp_path / "p.csv").st_mode) == 0o600


def test_json_output_has_no_nan():
    document = json.loads(to_json({"rho": float("nan"), "p": [float("inf"), 0.5], "n": 3}))
    assert document == {"rho": None, "p": [None, 0.5], "n": 3}


def test_fairness_of_equal_numbers_is_valid_json(tmp_path):
    path = tmp_path / "draw.csv"
    path.write_text("birth,number\n" + "".join(f"2004-{1 + i % 12:02d}-01,7\n" for i in range(60)))
    code, out, err, uncaught = run_cli(["fairness", str(path), "--date-col", "birth", "--number-col", "number", "--json"])
    assert uncaught is None
    if code == 0:
        json.loads(out, parse_constant=lambda name: pytest.fail(f"{name} in the JSON output"))
    else:
        _one_error_line(err)


def test_an_error_message_with_a_line_break_from_the_input_stays_one_line(ctx):
    code, out, err, uncaught = run_cli(["campaign", "show", "two\nlines\x1b[31m"])
    assert uncaught is None and code == 3
    _one_error_line(err, "two\\nlines\\x1b[31m")


def test_a_bug_is_one_line_and_exit_70(monkeypatch):
    from callup.policy import commands

    def broken(*args, **kwargs):
        return {}["personal-value"]

    monkeypatch.setattr(commands, "load_policy", broken)
    code, out, err, uncaught = run_cli(["policy", "check", str(EXAMPLE_POLICY)])
    assert uncaught is None and code == 70
    _one_error_line(err, "internal error (KeyError")
    assert "personal-value" not in err


def test_demo_people_is_bounded():
    code, out, err, uncaught = run_cli(["demo", "--people", "100000000"])
    assert uncaught is None and code == 2
    _one_error_line(err, "--people")


def test_keys_rotate_batch_is_bounded(ctx):
    code, out, err, uncaught = run_cli(["keys", "rotate", "--batch", "99999999999999999999999"])
    assert uncaught is None and code == 2
    _one_error_line(err, "--batch")


def test_to_json_keeps_finite_numbers():
    assert json.loads(to_json({"x": 1.5, "y": math.pi}))["y"] == math.pi


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_a_scenario_figure_that_is_not_finite_is_refused(tmp_path, value):
    scenario = (REPO_EXAMPLES / "scenarios" / "seed-36-months.toml").read_text(encoding="utf-8")
    path = tmp_path / "s.toml"
    path.write_text(re.sub(r"^(initial\s*=\s*)\S+", rf"\g<1>{value}", scenario, count=1, flags=re.M), encoding="utf-8")
    code, out, err, uncaught = run_cli(["plan", "project", str(path), "--no-plot"])
    assert uncaught is None and code == 2
    _one_error_line(err, "s.toml", "initial", "finite")


@pytest.mark.parametrize("args", [["synth", "--people", "5", "--seed", "-1", "--out", "p.csv"], ["demo", "--seed", "-1"],
                                  ["plan", "montecarlo", "SCENARIO", "--seed", "-1", "--runs", "10", "--no-plot"]])
def test_a_negative_seed_is_refused_naming_the_option(tmp_path, args):
    """Found by the long harness run (seed 11): numpy's generators refuse negative seeds with a ValueError."""
    scenario = str(REPO_EXAMPLES / "scenarios" / "seed-36-months.toml")
    code, out, err, uncaught = run_cli([scenario if a == "SCENARIO" else a for a in args])
    assert uncaught is None and code == 2, err
    _one_error_line(err, "--seed")
