"""Reads that tolerate lag go to a real PostgreSQL streaming replica (a second cluster made with
pg_basebackup from a primary the test starts), and the citizen is never misled by it: their own
change is seen at once, a replica too far behind is not read, and a replica that is down is
answered for by the primary without an error."""

from __future__ import annotations

import glob
import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from web_support import build_site, client, csrf_of, session_cookie

BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(pathlib.Path(p).parent.name))
pytestmark = pytest.mark.skipif(not BIN or not os.path.exists(os.path.join(BIN[-1] if BIN else "", "pg_basebackup")),
                                reason="PostgreSQL's server programs (initdb, pg_ctl, pg_basebackup) are not installed "
                                       "(apt-get install postgresql)")


def _as_owner(argv: list[str], **kwargs) -> subprocess.CompletedProcess:  # noqa: ANN003
    """Run a PostgreSQL server program as the `postgres` user when the tests run as root (it refuses root)."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *argv], check=True, capture_output=True, text=True, **kwargs)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Clusters:
    def __init__(self) -> None:
        self.bin = BIN[-1]
        self.root = pathlib.Path(tempfile.mkdtemp(prefix="callup-replica-"))
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self.primary_port, self.replica_port = _port(), _port()
        primary = self.root / "primary"
        _as_owner([f"{self.bin}/initdb", "-D", str(primary), "-U", "postgres", "--auth=trust", "-E", "UTF8"])
        with open(primary / "postgresql.conf", "a") as conf:
            conf.write(f"port = {self.primary_port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.root}'\n"
                       "wal_level = replica\nmax_wal_senders = 4\nfsync = off\n")
        with open(primary / "pg_hba.conf", "a") as hba:
            hba.write("host replication all 127.0.0.1/32 trust\n")
        self.start("primary")
        _as_owner([f"{self.bin}/pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres",
                   "-D", str(self.root / "replica"), "-R", "-X", "stream"])
        with open(self.root / "replica" / "postgresql.conf", "a") as conf:
            conf.write(f"port = {self.replica_port}\n")
        self.start("replica")
        self.primary_url = f"postgresql+psycopg://postgres@127.0.0.1:{self.primary_port}/postgres"
        self.replica_url = f"postgresql+psycopg://postgres@127.0.0.1:{self.replica_port}/postgres"

    def start(self, name: str) -> None:
        _as_owner([f"{self.bin}/pg_ctl", "-D", str(self.root / name), "-l", str(self.root / f"{name}.log"), "-w", "start"])

    def stop(self, name: str) -> None:
        _as_owner([f"{self.bin}/pg_ctl", "-D", str(self.root / name), "-m", "immediate", "-w", "stop"])

    def sql(self, which: str, statement: str) -> object:
        engine = create_engine(self.primary_url if which == "primary" else self.replica_url, poolclass=NullPool,
                               isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                result = conn.execute(text(statement))
                return result.scalar() if result.returns_rows else None
        finally:
            engine.dispose()

    def caught_up(self) -> None:
        """Commit on the primary and wait until the replica has replayed it (its replay time is then fresh)."""
        self.sql("primary", "CREATE TABLE IF NOT EXISTS test_tick (at timestamptz); INSERT INTO test_tick VALUES (now())")
        lsn = self.sql("primary", "SELECT pg_current_wal_insert_lsn()::text")
        for _ in range(200):
            if self.sql("replica", f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn"):
                return
            time.sleep(0.05)
        raise AssertionError("the replica did not catch up")

    def close(self) -> None:
        for name in ("replica", "primary"):
            subprocess.run(["runuser", "-u", "postgres", "--"] * (os.geteuid() == 0) + [
                f"{self.bin}/pg_ctl", "-D", str(self.root / name), "-m", "immediate", "-w", "stop"], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def clusters(tmp_path_factory):
    made = Clusters()
    made.site = build_site(made.primary_url, tmp_path_factory.mktemp("replica-site"), people=600, quota=30)
    yield made
    from callup.store.engine import connect

    connect.cache_clear()
    made.close()


def _status_of(web, reference: str) -> str:  # noqa: ANN001
    found = web.get("/api/v1/me/status")
    assert found.status_code == 200, found.text
    return next(s["status"] for s in found.json()["summonses"] if s["reference"] == reference)


def _citizen_client(clusters, cit, **settings):  # noqa: ANN001, ANN003, ANN202
    # Status answers not kept by the worker: these tests change summonses behind the app's back, unaudited.
    web = client(clusters.site, replica_url=clusters.replica_url, status_keep_seconds=0, **settings)
    web.cookies.set("callup_session", session_cookie(clusters.site, citizen=cit))
    return web


def _paused(clusters) -> None:  # noqa: ANN001
    clusters.caught_up()
    clusters.sql("replica", "SELECT pg_wal_replay_pause()")


def test_the_status_is_read_from_the_replica_and_a_citizen_sees_their_own_change_at_once(clusters):
    cit = clusters.site.citizens[0]
    web, elsewhere = _citizen_client(clusters, cit), _citizen_client(clusters, cit)
    before = _status_of(web, cit.reference)
    try:
        _paused(clusters)
        page = web.get(f"/portal/summons/{cit.reference}")
        opened = web.post(f"/portal/summons/{cit.reference}/open", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
        assert opened.status_code in (200, 303), opened.text
        after = _status_of(web, cit.reference)
        assert after != before  # the citizen who acted reads the primary
        assert _status_of(elsewhere, cit.reference) == before  # another browser still reads the (paused) replica
    finally:
        clusters.sql("replica", "SELECT pg_wal_replay_resume()")
    clusters.caught_up()
    assert _status_of(elsewhere, cit.reference) == after  # caught up: the replica says the same


def test_a_replica_further_behind_than_allowed_is_not_read(clusters):
    cit = clusters.site.citizens[2]
    web = _citizen_client(clusters, cit, replica_max_lag=1.0)
    before = _status_of(web, cit.reference)
    try:
        _paused(clusters)
        clusters.sql("primary", f"UPDATE summonses SET status = 'delivered' WHERE reference = '{cit.reference}'")
        assert _status_of(web, cit.reference) == before  # within the allowed lag: the replica's answer
        time.sleep(2.5)  # past the allowed lag (and the one-second check)
        assert _status_of(web, cit.reference) == "delivered"
    finally:
        clusters.sql("replica", "SELECT pg_wal_replay_resume()")


def test_a_replica_that_is_down_is_answered_for_by_the_primary(clusters):
    cit = clusters.site.citizens[3]
    web = _citizen_client(clusters, cit)
    assert web.get("/portal").status_code == 200
    assert web.get("/readyz").json()["checks"]["replica"] == "ok"
    clusters.stop("replica")
    try:
        clusters.sql("primary", f"UPDATE summonses SET status = 'delivered' WHERE reference = '{cit.reference}'")
        for _ in range(3):
            assert _status_of(web, cit.reference) == "delivered"
            assert web.get("/portal").status_code == 200
        ready = web.get("/readyz")
        assert ready.json()["checks"]["replica"] == "unreachable"
        others = {k: v for k, v in ready.json()["checks"].items() if k != "replica"}
        assert (ready.status_code == 200) == all(v in ("ok", "not configured") for v in others.values())  # never counted
    finally:
        clusters.start("replica")
