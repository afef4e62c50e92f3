"""Every test runs in its own temporary directory, with its own keys and none of the caller's settings.

So a `callup-keys.json` or `callup.db` that a first use left in the directory the tests were started
from (the README says: demo, then tests) is never seen by a test.
"""

from __future__ import annotations

import json
import os
import pathlib


def test_a_test_runs_in_its_own_empty_directory(tmp_path):
    assert pathlib.Path.cwd() == tmp_path
    assert not (pathlib.Path.cwd() / "callup-keys.json").exists() and not (pathlib.Path.cwd() / "callup.db").exists()


def test_a_test_has_its_own_keys_and_no_key_file_or_store_setting(tmp_path):
    assert "CALLUP_KEY_FILE" not in os.environ and "CALLUP_DATABASE_URL" not in os.environ
    keys = json.loads(os.environ["CALLUP_KEYS"])
    assert keys["current"] == "k-test" and set(keys["keys"]) == {"k-test"}
    assert not any(name.startswith("CALLUP_") for name in os.environ
                   if name not in ("CALLUP_KEYS", "CALLUP_ACTOR", "CALLUP_TEST_POSTGRES_URL"))


def test_the_command_lines_context_in_a_test_uses_the_tests_keys(tmp_path):
    from callup.environment import context_from_environment

    (tmp_path.parent / "callup-keys.json").write_text("{not json")  # a stray key file one level up: never read
    ctx = context_from_environment(store=False)
    assert ctx.keys is not None and ctx.keys.current == "k-test" and ctx.keys.source == "CALLUP_KEYS"
    assert ctx.database_url == "sqlite:///callup.db" and not (tmp_path / "callup-keys.json").exists()
