"""Consistent backups of a store in use, and verified restores, on SQLite and PostgreSQL.

A backup file is an uncompressed tar archive of two members:

- `manifest.json`: format, backend, schema revision, the row count of every table and the
  audit log's head (count and hash), all read from the very snapshot that was saved;
- `store.sqlite` (SQLite: a copy made with SQLite's online backup API, consistent while other
  processes write) or `store.pgdump` (PostgreSQL: `pg_dump --format=custom` of the store's
  schema, run on a snapshot exported from the REPEATABLE READ transaction that read the
  manifest, so the counts and the dump describe the same instant).

A restore replaces the store's content with the backup's, then checks the row count of every
table and the audit head against the manifest and verifies the whole audit chain; a mismatch is
an error. The restore itself is then recorded in the audit log.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import os
import pathlib
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from typing import Any

from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url

from callup.context import Context
from callup.errors import CallupError, InputError

FORMAT = "callup-backup/1"


class BackupError(CallupError):
    """A backup or restore could not be made or did not verify."""


@dataclasses.dataclass(frozen=True)
class BackupReport:
    file: str
    backend: str
    revision: str | None
    tables: dict[str, int]
    audit_count: int
    audit_head: str
    bytes: int


def _counts(conn, tables: list[str]) -> dict[str, int]:  # noqa: ANN001
    return {t: int(conn.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one()) for t in sorted(tables)}


def _audit_head(conn, tables: list[str]) -> tuple[int, str]:  # noqa: ANN001
    if "audit_head" not in tables:
        return 0, "0" * 64
    row = conn.execute(text("SELECT seq, hash FROM audit_head WHERE id = 1")).first()
    return (int(row[0]), row[1]) if row else (0, "0" * 64)


def _revision(conn, tables: list[str]) -> str | None:  # noqa: ANN001
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar() if "alembic_version" in tables else None


def _sqlite_path(engine: Engine) -> pathlib.Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite store cannot be backed up")
    return pathlib.Path(database)


def _libpq_uri(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not on PATH: install the PostgreSQL client tools (same major version as the server or newer)")
    return found


def _write_archive(out: pathlib.Path, manifest: dict[str, Any], data: pathlib.Path, member: str) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    with tarfile.open(tmp, "w") as tar:
        blob = json.dumps(manifest, indent=2).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size, info.mtime = len(blob), int(dt.datetime.now().timestamp())
        tar.addfile(info, io.BytesIO(blob))
        tar.add(data, arcname=member)
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, out)
    return out.stat().st_size


def backup(ctx: Context, out: pathlib.Path) -> BackupReport:
    """Write a consistent backup of the store to `out` (see the module docstring)."""
    from callup import audit
    from callup.uow import UnitOfWork

    engine = ctx.engine()
    with tempfile.TemporaryDirectory(prefix="callup-backup-") as tmpdir:
        tmp = pathlib.Path(tmpdir)
        if engine.dialect.name == "sqlite":
            data, member = tmp / "store.sqlite", "store.sqlite"
            source = sqlite3.connect(_sqlite_path(engine), timeout=60)
            target = sqlite3.connect(data)
            try:
                source.backup(target)  # online backup API: a consistent copy while others write
            finally:
                target.close()
                source.close()
            snapshot = create_engine(f"sqlite:///{data}")
            try:
                with snapshot.connect() as conn:
                    tables = inspect(conn).get_table_names()
                    manifest_data = (_revision(conn, tables), _counts(conn, tables), _audit_head(conn, tables), None)
            finally:
                snapshot.dispose()
        else:
            data, member = tmp / "store.pgdump", "store.pgdump"
            pg_dump = _tool("pg_dump")
            with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
                with conn.begin():
                    conn.execute(text("SET TRANSACTION READ ONLY"))
                    snapshot_id = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                    schema = conn.execute(text("SELECT current_schema()")).scalar_one()
                    tables = inspect(conn).get_table_names()
                    manifest_data = (_revision(conn, tables), _counts(conn, tables), _audit_head(conn, tables), schema)
                    run = subprocess.run([pg_dump, f"--dbname={_libpq_uri(engine)}", f"--snapshot={snapshot_id}",
                                          "--format=custom", f"--schema={schema}", "--no-owner", "--no-privileges",
                                          f"--file={data}"], capture_output=True, text=True)
            if run.returncode != 0:
                raise BackupError(f"pg_dump failed: {run.stderr.strip()}")
        revision, counts, (audit_count, audit_head), schema = manifest_data
        manifest = {"format": FORMAT, "backend": engine.dialect.name, "schema": schema, "revision": revision,
                    "time": ctx.now().strftime("%Y-%m-%dT%H:%M:%SZ"), "tables": counts,
                    "audit": {"count": audit_count, "head_hash": audit_head}}
        size = _write_archive(out, manifest, data, member)
    with UnitOfWork(ctx) as uow:
        uow.record(audit.BackupTaken(target="db", file=str(out)))
    return BackupReport(file=str(out), backend=engine.dialect.name, revision=revision, tables=counts,
                        audit_count=audit_count, audit_head=audit_head, bytes=size)


def read_manifest(path: pathlib.Path) -> dict[str, Any]:
    try:
        with tarfile.open(path, "r") as tar:
            member = tar.extractfile("manifest.json")
            manifest = json.loads(member.read()) if member else None
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (tarfile.TarError, KeyError, OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a callup backup file ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InputError(f"{path}: not a callup backup file (manifest format is not {FORMAT})")
    return manifest


@dataclasses.dataclass(frozen=True)
class RestoreReport:
    file: str
    backend: str
    revision: str | None
    tables: dict[str, int]
    audit_count: int
    audit_head: str
    verified: bool


def restore(ctx: Context, path: pathlib.Path) -> RestoreReport:
    """Replace the store's content with the backup at `path`, then verify it (see the module docstring)."""
    from callup import audit
    from callup.uow import UnitOfWork

    engine = ctx.engine()
    manifest = read_manifest(path)
    if manifest.get("backend") != engine.dialect.name:
        raise InputError(f"{path}: a backup of a {manifest.get('backend')} store cannot be restored into a "
                         f"{engine.dialect.name} store")
    with tempfile.TemporaryDirectory(prefix="callup-restore-") as tmpdir:
        tmp = pathlib.Path(tmpdir)
        member = "store.sqlite" if engine.dialect.name == "sqlite" else "store.pgdump"
        try:
            with tarfile.open(path, "r") as tar:
                tar.extract(member, tmp, filter="data")
        except (tarfile.TarError, KeyError, OSError) as exc:
            raise InputError(f"{path}: backup file is damaged: cannot read {member} ({exc})") from None
        data = tmp / member
        if engine.dialect.name == "sqlite":
            _restore_sqlite(engine, data, path)
        else:
            _restore_postgres(engine, data, manifest, path)
    engine.dispose()  # pooled connections may hold pre-restore state
    result = _check(engine, manifest, path)
    chain = audit.verify(engine)
    if not chain.ok:
        raise BackupError(f"{path}: restored, but the audit log does not verify: {chain.problem}")
    with UnitOfWork(ctx) as uow:
        uow.record(audit.BackupRestored(target="db", file=str(path), audit_head=manifest["audit"]["head_hash"],
                                        audit_count=manifest["audit"]["count"], rows=sum(manifest["tables"].values())))
    return result


def _restore_sqlite(engine: Engine, data: pathlib.Path, path: pathlib.Path) -> None:
    try:
        source = sqlite3.connect(f"file:{data}?mode=ro", uri=True)
        source.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise InputError(f"{path}: backup file is damaged: {exc}") from None
    target = sqlite3.connect(_sqlite_path(engine), timeout=60)
    try:
        source.backup(target)  # replaces every page of the store, under its write lock
    finally:
        target.close()
        source.close()


def _restore_postgres(engine: Engine, data: pathlib.Path, manifest: dict[str, Any], path: pathlib.Path) -> None:
    pg_restore = _tool("pg_restore")
    with engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        present = set(inspect(conn).get_table_names())
    if manifest.get("schema") != schema:
        raise InputError(f"{path}: this backup restores into database schema {manifest.get('schema')!r}, "
                         f"but the store uses schema {schema!r}")
    extra = sorted(present - set(manifest["tables"]))
    if extra:
        raise BackupError(f"{path}: the store has tables the backup does not know ({', '.join(extra)}): it was made "
                          "at an older schema revision; restore into an empty schema instead")
    listing = subprocess.run([pg_restore, "--list", str(data)], capture_output=True, text=True)
    if listing.returncode != 0:
        raise InputError(f"{path}: backup file is damaged: {listing.stderr.strip()}")
    # Everything but the schema itself: --clean then drops and recreates the tables, not the schema.
    entries = [line for line in listing.stdout.splitlines() if not line.startswith(";") and " SCHEMA - " not in line]
    list_file = data.with_suffix(".list")
    list_file.write_text("\n".join(entries) + "\n")
    run = subprocess.run([pg_restore, f"--dbname={_libpq_uri(engine)}", "--clean", "--if-exists", "--single-transaction",
                          "--exit-on-error", "--no-owner", "--no-privileges", f"--use-list={list_file}", str(data)],
                         capture_output=True, text=True)
    if run.returncode != 0:
        raise BackupError(f"pg_restore failed (nothing was changed): {run.stderr.strip()}")


def _check(engine: Engine, manifest: dict[str, Any], path: pathlib.Path) -> RestoreReport:
    with engine.connect() as conn:
        tables = inspect(conn).get_table_names()
        counts = _counts(conn, [t for t in tables if t in manifest["tables"]])
        count, head = _audit_head(conn, tables)
        revision = _revision(conn, tables)
    problems = [f"{t}: {counts.get(t)} rows, backup has {n}" for t, n in manifest["tables"].items() if counts.get(t) != n]
    if (count, head) != (manifest["audit"]["count"], manifest["audit"]["head_hash"]):
        problems.append(f"audit head is entry {count} {head[:12]}..., backup has entry {manifest['audit']['count']} "
                        f"{manifest['audit']['head_hash'][:12]}...")
    if problems:
        raise BackupError(f"{path}: restore did not verify: " + "; ".join(problems))
    return RestoreReport(file=str(path), backend=engine.dialect.name, revision=revision, tables=counts,
                         audit_count=count, audit_head=head, verified=True)


def database_name(engine: Engine) -> str:
    return make_url(str(engine.url)).render_as_string(hide_password=True)
