"""Shared helpers for the planning tests: the example files and small scenarios built in code."""

from __future__ import annotations

import pathlib

import pytest

from callup.planning.scenario import Scenario, parse_scenario

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE_SCENARIO = ROOT / "examples" / "scenarios" / "seed-36-months.toml"
EXAMPLE_OUTCOMES = ROOT / "examples" / "outcomes" / "campaign-outcomes.csv"


def small(**changes) -> Scenario:
    """A small scenario with no flows except those given (nested dicts merge into the defaults)."""
    data = {
        "name": "small",
        "start": "2025-01",
        "months": 36,
        "conscripts": {"term_months": 12, "initial": 0},
        "campaigns": [],
    }
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return parse_scenario(data, source="test")


@pytest.fixture
def example_path() -> pathlib.Path:
    return EXAMPLE_SCENARIO


@pytest.fixture
def outcomes_path() -> pathlib.Path:
    return EXAMPLE_OUTCOMES
