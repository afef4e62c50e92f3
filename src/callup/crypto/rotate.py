"""Re-encrypt every encrypted column to the current key: in batches, resumable, idempotent.

Each batch is one transaction that rewrites the values of a range of rows not yet under the
current key; a run killed at any point is finished by running it again (values already under
the current key are left alone). One audit entry records the completed rotation.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlalchemy import Column, ColumnElement, MetaData, Table, and_, or_, select, type_coerce, update

from callup.context import Context, Role
from callup.crypto.types import Encrypted, EncryptedText


def encrypted_columns(metadata: MetaData | None = None) -> list[tuple[Table, Column[Any], Encrypted | EncryptedText]]:
    """Every column of the metadata whose type is `Encrypted` or `EncryptedText`, with that type."""
    if metadata is None:
        from callup.store.registry import Base

        metadata = Base.metadata
    return [(table, column, column.type) for table in metadata.sorted_tables for column in table.columns
            if isinstance(column.type, (Encrypted, EncryptedText))]


def _after(pk: list[Column[Any]], last: tuple[Any, ...]) -> ColumnElement[bool]:
    """Keyset condition: primary key strictly after `last` (works for composite keys)."""
    clauses = []
    for i, col in enumerate(pk):
        clauses.append(and_(*[pk[j] == last[j] for j in range(i)], col > last[i]))
    return or_(*clauses)


@dataclasses.dataclass(frozen=True)
class KeyUsage:
    column: str
    by_key: dict[str, int]


def key_usage(ctx: Context) -> list[KeyUsage]:
    """How many stored values each key id encrypts, per encrypted column."""
    out = []
    with ctx.engine().connect() as conn:
        for table, column, kind in encrypted_columns():
            raw = type_coerce(column, kind.impl_instance)
            counts: Counter[str] = Counter()
            for (value,) in conn.execute(select(raw).where(column.isnot(None))):
                counts[kind.stored_key_id(value)] += 1
            out.append(KeyUsage(f"{table.name}.{column.name}", dict(counts)))
    return out


@dataclasses.dataclass(frozen=True)
class Rotation:
    key_id: str
    columns: list[str]
    values_reencrypted: int
    values_total: int


def rotate(ctx: Context, *, batch: int = 1000, advance: Callable[[int], None] = lambda n: None) -> Rotation:
    """Re-encrypt every value not under the current key, one transaction per batch; see the module docstring."""
    from callup import audit
    from callup.uow import UnitOfWork

    ctx.require(Role.administrator, Role.system, doing="rotating encryption keys")
    ring = ctx.keyring()
    changed = total = 0
    names = []
    for table, column, kind in encrypted_columns():
        names.append(f"{table.name}.{column.name}")
        pk = list(table.primary_key.columns)
        raw = type_coerce(column, kind.impl_instance)
        last: tuple | None = None
        while True:
            with UnitOfWork(ctx) as uow:
                conn = uow.conn
                query = select(*pk, raw).where(column.isnot(None)).order_by(*pk).limit(batch)
                if last is not None:
                    query = query.where(_after(pk, last))
                rows = conn.execute(query).all()
                if not rows:
                    break
                for row in rows:
                    key, stored = tuple(row[: len(pk)]), row[len(pk)]
                    if kind.stored_key_id(stored) != ring.current:
                        fresh = kind.reencrypt(stored, ring)
                        conn.execute(update(table).where(and_(*[c == v for c, v in zip(pk, key)]))
                                     .values({column.name: type_coerce(fresh, kind.impl_instance)}))
                        changed += 1
                total += len(rows)
                last = tuple(rows[-1][: len(pk)])
            advance(len(rows))
    with UnitOfWork(ctx) as uow:
        uow.record(audit.KeysRotated(target="keys", key_id=ring.current, values_reencrypted=changed, columns=names))
    return Rotation(key_id=ring.current, columns=names, values_reencrypted=changed, values_total=total)
