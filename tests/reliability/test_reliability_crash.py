"""Bounded crash harness: every registered bulk operation, SIGKILLed at random points, ends as if never killed.

The long version is `bench/crash_harness.py` (figures in RELIABILITY.md).
"""

from __future__ import annotations

import importlib
import os
import sys
import zlib

import pytest

from callup_test_support import BACKENDS, REPO

# Imported by its name from bench/ (not loaded from its path): the processes its commands run in are forked from a
# server that finds the harness's functions by module name.
sys.path.append(str(REPO / "bench"))
harness = importlib.import_module("crash_harness")

# One trial of six kills per operation and backend in the suite (random and just-after-a-commit kills
# alternate); a second trial of four cost 25 s of the suite's wall time for one setup and finish more. The
# long version (bench/crash_harness.py, figures in RELIABILITY.md) runs many more.
TRIALS = int(os.environ.get("CALLUP_CRASH_TRIALS", 1))
KILLS = int(os.environ.get("CALLUP_CRASH_KILLS", 6))


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(harness.OPERATIONS))
def test_killed_runs_end_as_an_uninterrupted_run(name, backend, tmp_path, monkeypatch):
    monkeypatch.setattr(harness, "IMPORT_PEOPLE", 12_000)
    # Retention erases the whole register (about 1 ms a person): a smaller one keeps the test lean.
    monkeypatch.setattr(harness, "CAMPAIGN_PEOPLE", 6_000 if name == "retention.apply" else 15_000)
    result = harness.crash_test(harness.OPERATIONS[name], backend, trials=TRIALS, kills=KILLS, seed=zlib.crc32(f"{name}/{backend}".encode()) % 1000,
                                workdir=tmp_path)
    assert result.failures == []
    assert result.trials == TRIALS
    assert result.kills >= TRIALS * KILLS // 3, "many kills should land while the operation runs"
    if harness.OPERATIONS[name].progress is not None:
        assert result.boundary_kills >= 1, f"some kills should land just after a commit: {result}"
