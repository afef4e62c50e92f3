"""Consistent backups of a store in use, and verified restores, on SQLite and PostgreSQL.

A backup file is an uncompressed tar archive of two members:

- `manifest.json`: format, backend, schema revision, the row count of every table and the
  audit log's head (count and hash), all read from the very snapshot that was saved;
- `store.sqlite` (SQLite: a copy made with SQLite's online backup API, consistent while other
  processes write) or `store.pgdump` (PostgreSQL: `pg_dump --format=custom` of the store's
  schema, run on a snapshot exported from the REPEATABLE READ transaction that read the
  manifest, so the counts and the dump describe the same instant).

A restore never writes into the live store before the backup has proved itself. It restores
into a staging copy (SQLite: a private file beside the store; PostgreSQL: a new schema, built in
one transaction), checks the row count of every table and the audit head against the manifest,
verifies the whole audit chain, appends the restore's own audit entry (naming the head of the
chain it replaces) to the copy, and only then swaps the copy in, atomically: SQLite copies it
into the live file with its backup API, under the store's write lock, in one transaction;
PostgreSQL renames the schemas in one transaction. On any failure the staging copy is dropped,
the live store is as it was, and the failed attempt is recorded in the live store's audit log.
The backup file itself is written under a hidden temporary name, mode 0600, and renamed into
place when complete.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import os
import pathlib
import re
import secrets
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url

from callup.context import Context
from callup.errors import CallupError, InputError
from callup.file_output import check_file, write_file
from callup.store.engine import announce_everything_changed
from callup.store.urls import libpq_url

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
    return libpq_url(engine.url.render_as_string(hide_password=False)) or ""


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not on PATH: install the PostgreSQL client tools (same major version as the server or newer)")
    return found


def _write_archive(out: pathlib.Path, manifest: dict[str, Any], data: pathlib.Path, member: str) -> int:
    with write_file(out, private=True) as fh:  # hidden temporary, 0600, renamed when complete
        with tarfile.open(fileobj=fh, mode="w") as tar:
            blob = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mtime, info.mode = len(blob), int(dt.datetime.now().timestamp()), 0o600
            tar.addfile(info, io.BytesIO(blob))
            info = tar.gettarinfo(str(data), arcname=member)
            info.mode = 0o600
            with open(data, "rb") as src:
                tar.addfile(info, src)
    return out.stat().st_size


def backup(ctx: Context, out: pathlib.Path) -> BackupReport:
    """Write a consistent backup of the store to `out` (see the module docstring)."""
    from callup import audit
    from callup.uow import UnitOfWork

    out = check_file(pathlib.Path(out))  # before any work: a directory or a missing folder is one clear line
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
    path = pathlib.Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a backup file")
    try:
        with tarfile.open(path, "r") as tar:
            member = tar.extractfile("manifest.json")
            manifest = json.loads(member.read()) if member else None
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (tarfile.TarError, KeyError, OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a callup backup file ({_one_line(exc)})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InputError(f"{path}: not a callup backup file (manifest format is not {FORMAT})")
    _check_manifest(manifest, path)
    return manifest


def _check_manifest(manifest: dict[str, Any], path: pathlib.Path) -> None:
    """The manifest's fields have the shapes a restore relies on."""
    from callup.store.migrate import SCHEMA_HEAD

    tables, head = manifest.get("tables"), manifest.get("audit")
    whole = lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0  # noqa: E731
    if not isinstance(tables, dict) or not all(isinstance(t, str) and whole(n) for t, n in tables.items()):
        raise InputError(f"{path}: damaged manifest: tables must map names to row counts")
    if (not isinstance(head, dict) or not whole(head.get("count")) or not isinstance(head.get("head_hash"), str)
            or not re.fullmatch(r"[0-9a-f]{64}", head["head_hash"])):
        raise InputError(f"{path}: damaged manifest: audit must hold the head's count and 64-hex-digit hash")
    revision = manifest.get("revision")
    if revision is not None and (not isinstance(revision, str) or not revision.isdigit() or len(revision) != len(SCHEMA_HEAD)):
        raise InputError(f"{path}: damaged manifest: schema revision {revision!r}")
    if revision is not None and revision > SCHEMA_HEAD:
        raise InputError(f"{path}: the backup is at schema revision {revision}, newer than this callup ({SCHEMA_HEAD}): "
                         "restore it with the callup version that made it")
    if "audit_head" not in tables:
        raise InputError(f"{path}: the backup has no audit log, so it cannot be verified")
    if manifest.get("backend") == "postgresql" and not isinstance(manifest.get("schema"), str):
        raise InputError(f"{path}: damaged manifest: no database schema named")


@dataclasses.dataclass(frozen=True)
class RestoreReport:
    file: str
    backend: str
    revision: str | None
    tables: dict[str, int]
    audit_count: int
    audit_head: str
    verified: bool


def restore(ctx: Context, path: pathlib.Path, *, confirm: Callable[[dict[str, Any]], bool] | None = None) -> RestoreReport:
    """Replace the store with the backup at `path` once a staging copy of it verifies (see the module docstring).

    `confirm(manifest)` is asked once the backup's manifest is read; False cancels. On any failure
    (a cancellation included) the live store is left as it was, and the attempt is recorded in its
    audit log.
    """
    path = pathlib.Path(path)
    engine = ctx.engine()
    try:
        manifest = read_manifest(path)
        if manifest.get("backend") != engine.dialect.name:
            raise InputError(f"{path}: a backup of a {manifest.get('backend')} store cannot be restored into a "
                             f"{engine.dialect.name} store")
        if confirm is not None and not confirm(manifest):
            raise InputError("the restore was not confirmed; the store was not changed", field="yes")
        if engine.dialect.name == "sqlite":
            report = _restore_sqlite(ctx, engine, manifest, path)
        else:
            report = _restore_postgres(ctx, engine, manifest, path)
    except Exception as exc:
        _record_failure(ctx, engine, path, exc)
        raise
    finally:
        engine.dispose()  # pooled connections may hold pre-restore state
    return report


def _one_line(exc: object) -> str:
    text_ = " ".join(str(exc).split())
    return text_[:500] + ("..." if len(text_) > 500 else "")


def _tool_error(stderr: str) -> str:
    """The first error line of pg_restore or psql, without quoted values (they may be personal data)."""
    lines = [line for line in stderr.splitlines() if "ERROR" in line or "error" in line] or stderr.splitlines()[:1]
    first = lines[0] if lines else "(no message)"
    return _one_line(re.sub(r'"[^"]*"|\'[^\']*\'', '"..."', first))


def _record_failure(ctx: Context, engine: Engine, path: pathlib.Path, exc: Exception) -> None:
    """Record a failed restore in the live store's audit log; say so in the error when it cannot be."""
    from callup.audit import BackupRestoreFailed
    from callup.uow import UnitOfWork

    problem = _one_line(exc) if isinstance(exc, CallupError) else f"{type(exc).__name__}: {_one_line(exc)}"
    try:
        if engine.dialect.name == "sqlite" and not _sqlite_path(engine).exists():
            raise BackupError("the store does not exist yet")
        with engine.connect() as conn:
            if "audit_head" not in inspect(conn).get_table_names():
                raise BackupError("the store has no audit log yet")
        with UnitOfWork(ctx, engine=engine) as uow:
            uow.record(BackupRestoreFailed(target="db", file=str(path)[:500], problem=problem))
    except Exception as err:  # noqa: BLE001 - the restore's own error is the one to report
        if isinstance(exc, CallupError):
            exc.message = f"{exc.message} (not recorded in the audit log: {_one_line(err)})"
            exc.args = (exc.message,)


def _live_head(engine: Engine) -> tuple[int | None, str | None]:
    try:
        with engine.connect() as conn:
            tables = inspect(conn).get_table_names()
            return _audit_head(conn, tables) if "audit_head" in tables else (None, None)
    except Exception:  # noqa: BLE001 - an empty or damaged live store: nothing to name
        return None, None


def _verify_staging(staging: Engine, manifest: dict[str, Any], path: pathlib.Path, backend: str) -> RestoreReport:
    """Row counts, audit head and the whole audit chain of the staging copy against the manifest."""
    from sqlalchemy.exc import DBAPIError

    from callup.audit.chain import verify

    try:
        with staging.connect() as conn:
            if backend == "sqlite":
                check = conn.exec_driver_sql("PRAGMA quick_check").scalar()
                if check != "ok":
                    raise InputError(f"{path}: backup file is damaged: the store in it fails SQLite's check ({_one_line(check)})")
            tables = inspect(conn).get_table_names()
            counts = _counts(conn, tables)
            count, head = _audit_head(conn, tables)
            revision = _revision(conn, tables)
        chain = verify(staging)
    except DBAPIError as exc:
        raise InputError(f"{path}: backup file is damaged: {_one_line(exc.orig)}") from None
    expected = manifest["tables"]
    problems = [f"{t}: {counts.get(t)} rows, backup has {n}" for t, n in expected.items() if counts.get(t) != n]
    problems += [f"{t}: a table the backup's manifest does not list" for t in counts if t not in expected]
    if (count, head) != (manifest["audit"]["count"], manifest["audit"]["head_hash"]):
        problems.append(f"audit head is entry {count} {head[:12]}..., backup has entry {manifest['audit']['count']} "
                        f"{manifest['audit']['head_hash'][:12]}...")
    if revision != manifest.get("revision"):
        problems.append(f"schema revision {revision}, backup has {manifest.get('revision')}")
    if not chain.ok:
        problems.append(f"the audit log does not verify: {chain.problem}")
    if problems:
        raise BackupError(f"{path}: restore did not verify (the store was not changed): " + "; ".join(problems))
    return RestoreReport(file=str(path), backend=backend, revision=revision, tables=counts, audit_count=count,
                         audit_head=head, verified=True)


def _record_restore(ctx: Context, staging: Engine, manifest: dict[str, Any], path: pathlib.Path,
                    replaced: tuple[int | None, str | None]) -> None:
    """The restore's audit entry, appended to the verified copy, so it arrives with the swap or not at all."""
    from callup.audit import BackupRestored
    from callup.uow import UnitOfWork

    with UnitOfWork(ctx, engine=staging) as uow:
        uow.record(BackupRestored(target="db", file=str(path)[:500], audit_head=manifest["audit"]["head_hash"],
                                  audit_count=manifest["audit"]["count"], rows=sum(manifest["tables"].values()),
                                  replaced_audit_count=replaced[0], replaced_audit_head=replaced[1]))


def _extract(path: pathlib.Path, member: str, target: pathlib.Path) -> None:
    """Copy the archive's `member` into `target` (already created, owner-only)."""
    try:
        with tarfile.open(path, "r") as tar:
            info = tar.getmember(member)
            if not info.isfile():
                raise InputError(f"{path}: backup file is damaged: {member} is not a file")
            source = tar.extractfile(info)
            assert source is not None
            with source, open(target, "wb") as out:
                shutil.copyfileobj(source, out, 2**20)
                out.flush()
                os.fsync(out.fileno())
    except KeyError:
        raise InputError(f"{path}: backup file is damaged: it holds no {member}") from None
    except (tarfile.TarError, EOFError) as exc:
        raise InputError(f"{path}: backup file is damaged: cannot read {member} ({_one_line(exc)})") from None
    except OSError as exc:
        raise BackupError(f"cannot write the staging copy {target} ({exc.strerror or exc})") from None


def _restore_sqlite(ctx: Context, engine: Engine, manifest: dict[str, Any], path: pathlib.Path) -> RestoreReport:
    from sqlalchemy.pool import NullPool

    live = _sqlite_path(engine)
    if not live.parent.is_dir():
        raise InputError(f"{live}: the store's folder {live.parent} does not exist")
    fd, name = tempfile.mkstemp(prefix=f".{live.name}.restore-", dir=live.parent)  # beside the store, mode 0600
    os.close(fd)
    staging = pathlib.Path(name)
    try:
        _extract(path, "store.sqlite", staging)
        staged = create_engine(f"sqlite:///{staging}", poolclass=NullPool)
        try:
            report = _verify_staging(staged, manifest, path, "sqlite")
            _record_restore(ctx, staged, manifest, path, _live_head(engine))
            with staged.connect() as conn:  # fold the copy's write-ahead log into it before it is copied
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            staged.dispose()
        engine.dispose()
        if not live.exists():
            os.close(os.open(live, os.O_WRONLY | os.O_CREAT, 0o600))
        source = sqlite3.connect(f"file:{staging}?mode=ro", uri=True)
        target = sqlite3.connect(live, timeout=60)
        try:
            # One transaction under the store's write lock: other connections see the old store or
            # the restored one, never a mixture; a failure part-way rolls the live file back.
            source.backup(target)
        except sqlite3.Error as exc:
            raise BackupError(f"{live}: could not copy the verified backup into the store ({_one_line(exc)}); "
                              "the store was not changed") from None
        finally:
            target.close()
            source.close()
    finally:
        for leftover in (staging, staging.with_name(staging.name + "-wal"), staging.with_name(staging.name + "-shm"),
                         staging.with_name(staging.name + "-journal")):
            leftover.unlink(missing_ok=True)
    return dataclasses.replace(report, file=str(path))


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _restore_postgres(ctx: Context, engine: Engine, manifest: dict[str, Any], path: pathlib.Path) -> RestoreReport:
    from sqlalchemy.pool import NullPool

    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    with engine.connect() as conn:
        live = conn.execute(text("SELECT current_schema()")).scalar_one_or_none()
        if live is None:
            raise BackupError("the store's schema (search_path) does not exist in the database: create it first")
        schemas = set(conn.execute(text("SELECT nspname FROM pg_namespace")).scalars())
    replaced = _live_head(engine)
    dumped = manifest["schema"]
    tag = secrets.token_hex(4)
    staging, hold = f"{live[:40]}_restore_{tag}", f"{dumped[:40]}_hold_{tag}"
    with tempfile.TemporaryDirectory(prefix="callup-restore-") as tmpdir:
        data = pathlib.Path(tmpdir) / "store.pgdump"
        os.close(os.open(data, os.O_WRONLY | os.O_CREAT, 0o600))
        _extract(path, "store.pgdump", data)
        listing = subprocess.run([pg_restore, "--list", str(data)], capture_output=True, text=True)
        if listing.returncode != 0:
            raise InputError(f"{path}: backup file is damaged: {_tool_error(listing.stderr)}")
        # Everything but the schema itself, which the script below creates (and renames).
        entries = [line for line in listing.stdout.splitlines() if not line.startswith(";") and " SCHEMA - " not in line]
        list_file = data.with_suffix(".list")
        list_file.write_text("\n".join(entries) + "\n")
        # One transaction builds the staging schema: if the dump's schema name is taken (the live
        # store, usually), that schema is renamed aside and back within the transaction, so no
        # other session ever sees it renamed; the restored objects end up in the staging schema.
        header = ["BEGIN;"]
        if dumped in schemas:
            header.append(f"ALTER SCHEMA {_quote(dumped)} RENAME TO {_quote(hold)};")
        header.append(f"CREATE SCHEMA {_quote(dumped)};")
        footer = [f"ALTER SCHEMA {_quote(dumped)} RENAME TO {_quote(staging)};"]
        if dumped in schemas:
            footer.append(f"ALTER SCHEMA {_quote(hold)} RENAME TO {_quote(dumped)};")
        footer.append("COMMIT;")
        _run_restore_script(pg_restore, psql, engine, data, list_file, "\n".join(header) + "\n", "\n".join(footer) + "\n", path)
    staged = create_engine(engine.url, connect_args={"options": f"-csearch_path={staging}"}, poolclass=NullPool)
    swapped = False
    try:
        report = _verify_staging(staged, manifest, path, "postgresql")
        _record_restore(ctx, staged, manifest, path, replaced)
        staged.dispose()
        old = f"{live[:40]}_replaced_{tag}"
        with engine.begin() as conn:  # the switch: one transaction
            conn.execute(text(f"ALTER SCHEMA {_quote(live)} RENAME TO {_quote(old)}"))
            conn.execute(text(f"ALTER SCHEMA {_quote(staging)} RENAME TO {_quote(live)}"))
            conn.execute(text(f"DROP SCHEMA {_quote(old)} CASCADE"))
            announce_everything_changed(conn)  # the web workers' remembered sessions were the old store's
        swapped = True
    finally:
        staged.dispose()
        if not swapped:
            with engine.begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {_quote(staging)} CASCADE"))
    return dataclasses.replace(report, file=str(path))


def _run_restore_script(pg_restore: str, psql: str, engine: Engine, data: pathlib.Path, list_file: pathlib.Path,
                        header: str, footer: str, path: pathlib.Path) -> None:
    """pg_restore's SQL, between `header` and `footer`, through psql; COMMIT only if pg_restore read it all."""
    with tempfile.TemporaryFile() as psql_err, tempfile.TemporaryFile() as restore_err:
        loader = subprocess.Popen([psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", f"--dbname={_libpq_uri(engine)}"],
                                  stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=psql_err)
        reader = subprocess.Popen([pg_restore, "--no-owner", "--no-privileges", f"--use-list={list_file}", "--file=-",
                                   str(data)], stdout=subprocess.PIPE, stderr=restore_err)
        assert loader.stdin is not None and reader.stdout is not None
        complete = False
        try:
            loader.stdin.write(header.encode())
            shutil.copyfileobj(reader.stdout, loader.stdin, 2**20)
            complete = reader.wait() == 0
            if complete:
                loader.stdin.write(footer.encode())
        except BrokenPipeError:  # psql stopped at an error: the transaction is rolled back
            pass
        finally:
            reader.stdout.close()
            try:
                loader.stdin.close()
            except BrokenPipeError:
                pass
            reader.wait()
            loader.wait()
        if not complete:
            restore_err.seek(0)
            raise InputError(f"{path}: backup file is damaged: pg_restore: "
                             f"{_tool_error(restore_err.read().decode('utf-8', 'replace'))}")
        if loader.returncode != 0:
            psql_err.seek(0)
            raise BackupError(f"{path}: the backup could not be loaded into a staging schema (the store was not changed): "
                              f"{_tool_error(psql_err.read().decode('utf-8', 'replace'))}")


def database_name(engine: Engine) -> str:
    return make_url(str(engine.url)).render_as_string(hide_password=True)
