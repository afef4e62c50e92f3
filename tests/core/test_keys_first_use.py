"""Keys on first use: created beside the default SQLite store (mode 0600, path printed), never replaced when
lost, never created in the working directory for a PostgreSQL store; and the README's order (demo, then tests)
works in one directory.

Every command runs as the installed program would: `python -m callup.cli` in a subprocess, in a fresh
directory, with none of the CALLUP_* settings the test fixtures use.
"""

from __future__ import annotations

import os
import pathlib
import stat
import subprocess
import sys

import pytest

from callup_test_support import POSTGRES_URL, REPO, make_store_url

pytestmark = pytest.mark.db  # runs callup on a store


def _environment(**extra: str) -> dict[str, str]:
    """The caller's environment without any CALLUP_* setting (no keys, the default store), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLUP_")}
    return {**env, **extra}


def callup(*args: str, cwd: pathlib.Path, timeout: int = 600, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "callup.cli", *args], cwd=cwd, env=_environment(**extra),
                          capture_output=True, text=True, timeout=timeout)


def _one_line_error(result: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_the_first_use_creates_the_key_file_beside_the_store_and_a_lost_one_is_an_error(tmp_path):
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    # The first command that opens the default store (the README's `callup demo` is one; CI runs it from a built
    # wheel in a fresh directory): an import, which encrypts nothing yet still needs the keys for what follows.
    assert callup("synth", "--people", "300", "--out", "p.csv", cwd=fresh).returncode == 0
    first_use = callup("register", "import", "p.csv", "--json", cwd=fresh)
    assert first_use.returncode == 0, first_use.stderr[-3000:]
    keys, store = fresh / "callup-keys.json", fresh / "callup.db"
    assert keys.is_file() and store.is_file() and keys.parent == store.parent
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600 and stat.S_IMODE(store.stat().st_mode) == 0o600
    assert "created the encryption key file callup-keys.json" in first_use.stderr
    assert [p.name for p in fresh.glob("*keys*")] == ["callup-keys.json"]

    again = callup("register", "stats", "--json", cwd=fresh)  # the file is used, not replaced
    assert again.returncode == 0 and "created the encryption key file" not in again.stderr
    written = keys.read_bytes()

    keys.unlink()
    lost = callup("register", "stats", cwd=fresh)
    line = _one_line_error(lost)
    assert lost.returncode == 2 and "callup-keys.json" in line and "missing" in line and lost.stdout == ""
    assert not keys.exists(), "a lost key file must never be silently replaced"
    keys.write_bytes(written)
    keys.chmod(0o600)
    assert callup("register", "stats", cwd=fresh).returncode == 0  # restoring the file is the fix


@pytest.mark.skipif(POSTGRES_URL is None, reason="no PostgreSQL server")
def test_no_key_file_is_created_in_the_working_directory_for_a_postgresql_store(tmp_path):
    from callup.store import open_store
    from callup.store.engine import disconnect

    url, drop = make_store_url("postgres", tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    try:
        open_store(url)  # a deploy step on PostgreSQL
        stats = callup("register", "stats", "--json", cwd=work, CALLUP_DATABASE_URL=url)
        assert stats.returncode == 0, stats.stderr  # nothing encrypted is needed: no keys, no complaint
        synth = callup("synth", "--people", "300", "--out", "p.csv", "--json", cwd=work)
        assert synth.returncode == 0, synth.stderr
        imported = callup("register", "import", "p.csv", "--json", cwd=work, CALLUP_DATABASE_URL=url)
        assert imported.returncode == 0, imported.stderr
        created = callup("campaign", "create", "c", "--window", "2027-04-01:2027-07-15", "--quota", "5", "--json", cwd=work,
                         CALLUP_DATABASE_URL=url)
        committed = callup("campaign", "commit", "c", "--beacon-source", "round 1", cwd=work, CALLUP_DATABASE_URL=url)
        assert created.returncode == 0, created.stderr
        line = _one_line_error(committed)  # the salt is encrypted: keys are needed now, and none are made up
        assert committed.returncode != 0 and "key" in line
    finally:
        disconnect(url)
        drop()
    assert not [p.name for p in work.iterdir() if p.name.startswith("callup")], "nothing of callup's in the working directory"


def test_a_key_file_left_by_a_first_use_in_the_directory_does_not_change_the_tests(tmp_path):
    """The README's order in one directory: a first use there (it leaves callup.db and callup-keys.json), then the
    tests started from that directory: the encrypted-column and hermeticity tests pass."""
    clone = tmp_path / "clone"
    clone.mkdir()
    assert callup("synth", "--people", "200", "--out", "p.csv", cwd=clone).returncode == 0
    first_use = callup("register", "import", "p.csv", cwd=clone)
    assert first_use.returncode == 0, first_use.stderr
    assert (clone / "callup-keys.json").exists() and (clone / "callup.db").exists()
    tests = [str(REPO / "tests" / "crypto" / "test_crypto_columns.py"), str(REPO / "tests" / "core" / "test_hermetic.py")]
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "--rootdir",
                          str(REPO), "-c", str(REPO / "pyproject.toml"), *tests], cwd=clone, env=_environment(),
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and "failed" not in run.stdout
    assert sorted(p.name for p in clone.iterdir() if p.suffix in (".json", ".db")) == ["callup-keys.json", "callup.db"]


def test_the_command_lines_default_key_file_is_beside_the_store_not_in_the_working_directory(tmp_path):
    """`CALLUP_DATABASE_URL` naming a SQLite file elsewhere: the default key file is not looked for in the working
    directory (only the default store `callup.db` has a default key file)."""
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    work.mkdir()
    elsewhere.mkdir()
    (work / "callup-keys.json").write_text("{not json")  # would fail loudly if it were read
    result = callup("register", "stats", "--json", cwd=work, CALLUP_DATABASE_URL=f"sqlite:///{elsewhere / 'store.db'}")
    assert result.returncode == 0, result.stderr
    assert [p.name for p in elsewhere.iterdir() if "keys" in p.name] == []
