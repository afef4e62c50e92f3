"""Store administration use cases for the command line: schema status, migration, backup, restore.

Migrations are a deploy step: `callup db upgrade` runs `upgrade_schema` and, on PostgreSQL, the
job queue's own schema (the queue sits above the store, so the command calls both); servers and
workers only check the revision (`require_head`).
"""

from __future__ import annotations

import dataclasses
import pathlib

from callup.context import Context, Role


@dataclasses.dataclass(frozen=True)
class SchemaStatus:
    database: str
    revision: str | None
    head: str


def _database(ctx: Context) -> str:
    """The store's URL without its password."""
    if ctx.database_url.startswith("sqlite:"):
        return ctx.database_url
    return ctx.engine().url.render_as_string(hide_password=True)


def schema_status(ctx: Context) -> SchemaStatus:
    from callup.store.migrate import SCHEMA_HEAD, revision_at

    return SchemaStatus(_database(ctx), revision_at(ctx.database_url), SCHEMA_HEAD)


def upgrade_schema(ctx: Context) -> tuple[str | None, str]:
    """Migrate the store to the newest revision; returns (before, after)."""
    from callup.store.migrate import SCHEMA_HEAD, current_revision, upgrade

    ctx.require(Role.administrator, Role.system, doing="migrating the store")
    engine = ctx.engine()
    before = current_revision(engine)
    upgrade(engine)
    return before, SCHEMA_HEAD


def on_postgresql(ctx: Context) -> bool:
    """Whether the store is PostgreSQL (where the job queue keeps its tables beside the store's)."""
    from callup.store.urls import libpq_url

    return libpq_url(ctx.database_url) is not None


def backup_store(ctx: Context, out: pathlib.Path):  # noqa: ANN201 - callup.store.backup.BackupReport
    from callup.store.backup import backup

    ctx.require(Role.administrator, Role.system, doing="backing up the store")
    return backup(ctx, out)


def restore_store(ctx: Context, path: pathlib.Path, *, confirm=None):  # noqa: ANN001, ANN201 - callup.store.backup.RestoreReport
    """Restore the backup at `path` (staged, verified, swapped; audited either way).

    `confirm(time_taken)` is asked once the backup's manifest is read; False cancels.
    """
    from callup.store.backup import restore

    ctx.require(Role.administrator, Role.system, doing="restoring the store")
    return restore(ctx, path, confirm=None if confirm is None else lambda manifest: confirm(str(manifest.get("time"))))


def backup_time(path: pathlib.Path) -> str:
    """When the backup at `path` was taken (from its manifest), to confirm a restore."""
    from callup.store.backup import read_manifest

    return read_manifest(path)["time"]


def database_label(ctx: Context) -> str:
    return _database(ctx)
