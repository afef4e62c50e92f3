"""`callup plan ...`: each command works on the example files, prints one JSON document with --json,
writes its plots, and reports bad input as a message rather than a traceback."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from callup.errors import InputError
from callup.planning.commands import app

runner = CliRunner()


def run_json(*args):
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_project_prints_the_monthly_table_and_writes_png_and_svg(example_path, tmp_path):
    data = run_json("project", str(example_path), "--months", "36", "--out", str(tmp_path))
    assert len(data["table"]) == 37 and data["table"][-1]["label"] == "2027-12"
    active = {t["name"]: t for t in data["targets"]}["active"]
    assert active["met_by_deadline"] is False and active["shortfall_at_deadline"] > 0
    for path in data["plots"]:
        assert (tmp_path / path.split("/")[-1]).stat().st_size > 10_000
    assert {p.rsplit(".", 1)[1] for p in data["plots"]} == {"png", "svg"}
    assert (tmp_path / "seed-36-months-projection.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_project_with_runs_adds_bands_and_probabilities(example_path, tmp_path):
    data = run_json("project", str(example_path), "--runs", "300", "--out", str(tmp_path), "--no-plot")
    row = data["table"][36]
    assert row["active_p5"] < row["active_p50"] < row["active_p95"]
    assert 0 < data["montecarlo"]["probability"]["active"] < 1
    assert data["plots"] == []


def test_montecarlo_command_defaults_to_ten_thousand_runs(example_path, tmp_path):
    data = run_json("montecarlo", str(example_path), "--out", str(tmp_path), "--no-plot")
    assert data["montecarlo"]["runs"] == 10_000


def test_solve_reports_quotas_people_called_and_binding_bounds(example_path, tmp_path):
    data = run_json("solve", str(example_path), "--out", str(tmp_path))
    assert data["feasible"] is True
    levers = {lv["label"]: lv for lv in data["levers"]}
    assert levers["spring"]["binding"] == "policy floor (min_quota)"
    assert levers["autumn"]["called"] == pytest.approx(levers["autumn"]["value"] / 0.5, abs=1)
    assert data["reached"]["active"] >= 1_500_000 - 0.1


def test_solve_takes_the_induction_yield_from_outcomes(example_path, outcomes_path, tmp_path):
    data = run_json("solve", str(example_path), "--outcomes", str(outcomes_path), "--out", str(tmp_path), "--no-plot")
    assert data["induction_yield_from"] == str(outcomes_path)
    assert 0.45 < data["levers"][0]["induction_yield"] < 0.55


def test_solve_reports_infeasible_by_how_much(example_path, tmp_path):
    text = example_path.read_text().replace("active = 1_500_000", "active = 2_500_000")
    path = tmp_path / "hard.toml"
    path.write_text(text)
    data = run_json("solve", str(path), "--out", str(tmp_path), "--no-plot")
    assert data["feasible"] is False and data["shortfall"]["active"] > 500_000


def test_calibrate_answers_how_many_to_call(outcomes_path):
    data = run_json("calibrate", str(outcomes_path), "--inducted", "160000")
    assert data["calls_needed"]["called"] == pytest.approx(160_000 / data["induction_yield"], abs=2)
    assert set(data["by_region"]) == {f"R{i:02d}" for i in range(1, 9)}


def test_human_output_names_the_shortfall(example_path, tmp_path):
    result = runner.invoke(app, ["project", str(example_path), "--out", str(tmp_path), "--no-plot"])
    assert result.exit_code == 0
    assert "active target 1,500,000: short by" in result.stdout


def test_bad_scenario_raises_input_error_for_the_cli_to_print(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('name = "b"\nstart = "2025-01"\n[conscripts]\nattrition_monthly = 1.5\n')
    result = runner.invoke(app, ["project", str(path), "--json"])
    assert isinstance(result.exception, InputError)
    assert "conscripts.attrition_monthly: must be between 0 and 1, got 1.5" in str(result.exception)
    assert result.stdout == ""


def test_sizes_beyond_the_machine_are_refused_naming_the_option(tmp_path):
    from callup.errors import InputError
    from callup.planning.service import projection_report
    from callup_test_support import REPO

    scenario = REPO / "examples" / "scenarios" / "seed-36-months.toml"
    with pytest.raises(InputError) as runs:
        projection_report(scenario, runs=100_000_000)
    assert runs.value.field == "runs" and "fewer runs" in str(runs.value)
    with pytest.raises(InputError) as months:
        projection_report(scenario, months=100_000)
    assert months.value.field == "months" and "600" in str(months.value)
    assert projection_report(scenario, months=600).months == 600
