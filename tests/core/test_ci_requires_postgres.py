"""In CI (`CI=true`) a missing PostgreSQL fails the run instead of skipping half the tests."""

from __future__ import annotations

import os
import subprocess
import sys

from callup_test_support import REPO

NOBODY = "postgresql+psycopg://postgres@127.0.0.1:9/none"  # the discard port: nothing answers


def _import_support(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("CI", "CALLUP_TEST_POSTGRES_URL")}
    return subprocess.run([sys.executable, "-c", "import callup_test_support as s; print(s.POSTGRES_URL)"],
                          cwd=REPO / "tests", env={**clean, **env}, capture_output=True, text=True, timeout=120)


def test_in_ci_a_postgresql_server_that_does_not_answer_fails_the_run():
    result = _import_support(CI="true", CALLUP_TEST_POSTGRES_URL=NOBODY)
    assert result.returncode != 0 and "PostgreSQL is required" in result.stderr


def test_outside_ci_a_server_named_for_the_tests_is_required_too():
    named = _import_support(CALLUP_TEST_POSTGRES_URL=NOBODY)
    assert named.returncode != 0 and "PostgreSQL is required" in named.stderr
