"""Append to, verify, anchor and read the hash-chained audit log.

Entry n stores `prev_hash` (entry n-1's hash, 64 zeros for entry 1) and
`hash = SHA-256(bytes.fromhex(prev_hash) || canonical JSON of the entry)`, where the canonical
JSON is the object {seq, at, actor, role, action, target, reason, details} with sorted keys,
no spaces, UTF-8. `audit_head` holds the last (seq, hash); appenders lock it (PostgreSQL:
SELECT ... FOR UPDATE; SQLite: the write transaction is already exclusive), so two concurrent
transactions can never both append entry n. A unit of work keeps the head it holds locked in
a `ChainTail` after its first append, so later appends in the same transaction skip reading it;
its entries are inserted together and the head row written once, at commit (`save_tail`), or
before a statement of the same transaction reads the log.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import hashlib
import hmac
import json
import pathlib
import secrets
from typing import Any

from sqlalchemy import Connection, Engine, text

from callup.audit.events import AuditEvent, person
from callup.audit.tables import GENESIS
from callup.context import Actor, Context, Role
from callup.errors import CallupError, InputError
from callup.store.engine import announce_everything_changed


class AuditError(CallupError):
    """The audit log cannot be appended to or read (e.g. its head row is missing)."""


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (pathlib.PurePath, decimal.Decimal)):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"audit details must be JSON values, got {type(value).__name__}")


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_json_default)


def entry_hash(prev_hash: str, *, seq: int, at: str, actor: str, role: str, action: str, target: str,
               reason: str | None, details: str) -> str:
    """The hash of one entry; `details` is the stored canonical JSON text."""
    body = canonical_json({"seq": seq, "at": at, "actor": actor, "role": role, "action": action, "target": target,
                           "reason": reason, "details": json.loads(details)})
    return hashlib.sha256(bytes.fromhex(prev_hash) + body.encode("utf-8")).hexdigest()


@dataclasses.dataclass(frozen=True)
class Entry:
    seq: int
    at: str
    actor: str
    role: str
    action: str
    target: str
    reason: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str


# -- appending -------------------------------------------------------------------------------------

class _Tx:
    """The few statements `record` needs, on a SQLAlchemy Connection or a BulkSession."""

    def __init__(self, tx: Any) -> None:
        from callup.store.bulk import BulkSession

        self.tx: BulkSession | Connection
        if isinstance(tx, BulkSession):
            self.tx, self.dialect = tx, tx.dialect
        elif isinstance(tx, Connection):
            self.tx, self.dialect = tx, tx.dialect.name
        elif hasattr(tx, "connection") and callable(tx.connection) and not isinstance(tx, Engine):  # an ORM Session
            conn: Connection = tx.connection()
            self.tx, self.dialect = conn, conn.dialect.name
        else:
            raise TypeError("audit.record needs the Connection (or Session, or BulkSession) of the transaction "
                            f"that makes the change, not {type(tx).__name__}")

    def rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        if not isinstance(self.tx, Connection):
            return self.tx.fetch(sql, params)
        result = self.tx.exec_driver_sql(_driver_style(self.tx, sql), params)
        return [tuple(r) for r in result] if result.returns_rows else []

    def many(self, sql: str, rows: list[tuple]) -> None:
        """`sql` (an INSERT ... VALUES of one row) for many rows in one statement (for each 500 rows on SQLite), so the
        store's trigger on new entries fires once for them (migration 0033); a BulkSession's come one at a time."""
        if not isinstance(self.tx, Connection):
            for row in rows:
                self.tx.execute(sql, row)
            return
        head, _, one = sql.rpartition(" VALUES ")
        if self.dialect == "postgresql":  # the rows as one array a column: the same short text (parsed once) for any number
            types = [f"?::{t}[]" for t in _COLUMN_TYPES[head]]
            self.tx.exec_driver_sql(_driver_style(self.tx, f"{head} SELECT * FROM unnest({', '.join(types)})"),
                                    tuple(list(column) for column in zip(*rows, strict=True)))
            return
        for start in range(0, len(rows), 500):
            chunk = rows[start:start + 500]
            self.tx.exec_driver_sql(_driver_style(self.tx, f"{head} VALUES " + ", ".join([one] * len(chunk))),
                                    tuple(value for row in chunk for value in row))


def _driver_style(conn: Connection, sql: str) -> str:
    """`sql` written with ? in the driver's own parameter style. Straight to the driver: these few statements
    run for every audited step, and building and caching a SQLAlchemy statement each time cost more than running it."""
    return sql if conn.dialect.paramstyle == "qmark" else sql.replace("?", "%s")


@dataclasses.dataclass
class ChainTail:
    """What one transaction knows of the chain after its first append: the head it holds locked until it ends
    (nobody else can append meanwhile), the entries appended since the head was last written back (inserted
    together by `save_tail`), and the commitments naming people it has looked up."""

    seq: int | None = None
    hash: str = ""
    unsaved: bool = False
    subjects: dict[str, str] = dataclasses.field(default_factory=dict)
    pending: list[tuple] = dataclasses.field(default_factory=list)
    #: People this transaction is about to name (`UnitOfWork.will_name`): looked up, and named if never named before,
    #: together once the head is locked.
    wanted: set[str] = dataclasses.field(default_factory=set)


def save_tail(tx: Any, tail: ChainTail) -> None:
    """Insert the entries kept in `tail` and write its head back to `audit_head`: before the transaction commits,
    before a savepoint, and before a statement of the transaction reads the log."""
    _save(_Tx(tx), tail)


_INSERT = ("INSERT INTO audit_log (seq, at, actor, role, action, target, reason, details, prev_hash, hash) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
#: The PostgreSQL types of the columns `_Tx.many` inserts, by the head of its INSERT.
_COLUMN_TYPES = {_INSERT.rpartition(" VALUES ")[0]: ("bigint", *["text"] * 9)}


def _save(t: _Tx, tail: ChainTail) -> None:
    if tail.pending:
        rows, tail.pending = tail.pending, []
        t.many(_INSERT, rows)
    if tail.unsaved:
        t.rows("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (tail.seq, tail.hash))
        tail.unsaved = False


def record(tx: Any, event: AuditEvent, *, actor: Actor, at: str, tail: ChainTail | None = None) -> Entry:
    """Append `event` to the audit log inside the caller's transaction `tx`; returns the entry.

    Services call `uow.record(event)` (or `bulk_record` in a bulk job), which pass the context's
    actor and clock. `tx` is the SQLAlchemy `Connection` of the unit of work, or a `BulkSession`
    inside `bulk.transaction()`: the entry commits or rolls back with the change it records.
    Call it last in the transaction: it holds the audit lock until commit. With a `tail` (a unit of
    work's), the head read by the first append is kept there, and the entry with it, until `save_tail`
    writes them (one statement for a transaction's entries instead of one each).
    """
    if not event.action:
        raise TypeError(f"{type(event).__name__} has no action: define `action: ClassVar[str]`")
    t = _Tx(tx)
    own = tail is None  # no unit of work keeps the head: this entry writes it back itself
    tail = ChainTail() if tail is None else tail
    if tail.seq is None:
        lock = " FOR UPDATE" if t.dialect == "postgresql" else ""
        head = t.rows(f"SELECT seq, hash FROM audit_head WHERE id = 1{lock}")
        if not head:
            raise AuditError("the audit head row is missing: the store was damaged or not migrated (run `callup db upgrade`)")
        tail.seq, tail.hash = int(head[0][0]), head[0][1]
    prev_hash, seq = tail.hash, tail.seq + 1
    # People are named by their erasable commitment (see AuditSubject), taken under the head's lock.
    if tail.wanted:
        _look_up(t, tail)
    target = _stored_target(t, event.target, tail)
    fields = event.details()
    for name in getattr(event, "personal", ()):
        path = name.split(".")  # "effect.replacement": a field of a dict field
        value: Any = fields
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, str) and value.strip():
            _put(fields, path, _subject(t, value.strip(), tail))
    details = canonical_json(fields)
    digest = entry_hash(prev_hash, seq=seq, at=at, actor=actor.label(), role=actor.role.value, action=event.action,
                        target=target, reason=event.reason, details=details)
    tail.pending.append((seq, at, actor.label(), actor.role.value, event.action, target, event.reason, details, prev_hash,
                         digest))
    tail.seq, tail.hash, tail.unsaved = seq, digest, True
    if own:
        _save(t, tail)
    return Entry(seq, at, actor.label(), actor.role.value, event.action, event.target, event.reason,
                 event.details(), prev_hash, digest)


def _put(fields: dict[str, Any], path: list[str], value: Any) -> None:
    """Set `fields[a][b]...` = value, copying each dict on the way (the event's own dicts stay as they were)."""
    if len(path) == 1:
        fields[path[0]] = value
        return
    inner = dict(fields[path[0]])
    _put(inner, path[1:], value)
    fields[path[0]] = inner


PERSON = "person:"
SUBJECT = "person#"


def _stored_target(t: _Tx, target: str, tail: ChainTail) -> str:
    return _subject(t, target[len(PERSON):].strip(), tail) if target.startswith(PERSON) else target


def _look_up(t: _Tx, tail: ChainTail) -> None:
    """The commitments of the people in `tail.wanted`, 500 a statement, into `tail.subjects`: those named for the first
    time get theirs now, all of them in one INSERT (the caller said this transaction names them)."""
    wanted = sorted(tail.wanted - tail.subjects.keys())
    tail.wanted = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        found = dict(t.rows(f"SELECT national_id, commitment FROM audit_subjects WHERE national_id IN ({', '.join('?' * len(chunk))})",
                            tuple(chunk)))
        new = [n for n in chunk if n not in found]
        if new:
            made = [value for n in new for value in _new_subject(n)]
            # One named meanwhile by another transaction is left out here: `_subject` reads their commitment.
            found.update(t.rows("INSERT INTO audit_subjects (national_id, salt, commitment) VALUES "
                                + ", ".join(["(?, ?, ?)"] * len(new)) + " ON CONFLICT (national_id) DO NOTHING "
                                "RETURNING national_id, commitment", tuple(made)))
        tail.subjects.update(found)


def _new_subject(national_id: str) -> tuple[str, str, str]:
    """(national id, salt, commitment) naming a person for the first time: a fresh random salt."""
    salt = secrets.token_bytes(32)
    return national_id, salt.hex(), SUBJECT + hmac.digest(salt, national_id.encode("utf-8"), "sha256")[:16].hex()


def _subject(t: _Tx, national_id: str, tail: ChainTail) -> str:
    """The commitment naming `national_id` in the log (`tail.subjects`: those this transaction has looked up); a fresh
    random salt the first time."""
    known = tail.subjects
    if national_id in known:
        return known[national_id]
    found = t.rows("SELECT commitment FROM audit_subjects WHERE national_id = ?", (national_id,))
    if not found:
        found = t.rows("INSERT INTO audit_subjects (national_id, salt, commitment) VALUES (?, ?, ?) "
                       "ON CONFLICT (national_id) DO NOTHING RETURNING commitment", _new_subject(national_id))
        if not found:  # another transaction named the person first
            found = t.rows("SELECT commitment FROM audit_subjects WHERE national_id = ?", (national_id,))
    known[national_id] = found[0][0]
    return known[national_id]


def erase_subjects(conn: Connection, national_ids: list[str], *, tail: ChainTail | None = None) -> int:
    """Forget how the log names these people: their entries stay, verifiable, but name nobody. Returns rows erased.
    `tail`: the unit of work's, so that its later appends do not reuse a commitment it had looked up."""
    if tail is not None:
        for national_id in national_ids:
            tail.subjects.pop(national_id, None)
    erased = 0
    for start in range(0, len(national_ids), 500):
        chunk = national_ids[start:start + 500]
        marks = ", ".join(f":n{i}" for i in range(len(chunk)))
        erased += conn.execute(text(f"DELETE FROM audit_subjects WHERE national_id IN ({marks})"),
                               {f"n{i}": n for i, n in enumerate(chunk)}).rowcount
    if erased:
        announce_everything_changed(conn)  # `last_about` of these people changed without an entry about them
    return erased


def bulk_record(bulk: Any, ctx: Context, event: AuditEvent) -> Entry:
    """`record` for a bulk job: inside `bulk.transaction()`, stamped from the job's context."""
    return record(bulk, event, actor=ctx.actor, at=ctx.stamp())


# -- verifying -------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Verification:
    ok: bool
    count: int  # entries checked (up to the first bad one)
    head_hash: str  # hash of the last good entry
    first_bad: int | None  # sequence number of the first bad entry
    problem: str | None
    anchor: dict[str, Any] | None = None
    #: What is wrong, for words in another language: missing, link, malformed, edited, head_missing,
    #: truncated, head_edited, short_of_anchor, rewritten (None when the chain verifies).
    kind: str | None = None
    start: int = 0  # entries up to this one were checked by earlier steps (`verify(after=...)`)
    complete: bool = True  # False: a bounded step stopped at `count` with entries left to check


COLUMNS = "seq, at, actor, role, action, target, reason, details, prev_hash, hash"


def _batches(conn: Connection, size: int = 20_000, *, after: int = 0):
    last = after
    while True:
        rows = conn.execute(text(f"SELECT {COLUMNS} FROM audit_log WHERE seq > :last ORDER BY seq LIMIT :n"),
                            {"last": last, "n": size}).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def verify(engine: Engine, *, anchor: dict[str, Any] | None = None, after: int = 0, after_hash: str = GENESIS,
           limit: int | None = None) -> Verification:
    """Check the whole chain (and, if given, that a published anchor is one of its points).

    In bounded steps: `limit` checks at most that many entries, from entry `after` + 1, linked to
    `after_hash` (the hash of entry `after` as the step before found it); the answer says whether
    entries are left (`complete`) and the hash to go on from (`head_hash`). Steps that each
    verify, run from entry 0 to the end, verify the whole chain. An anchor is checked in one run.
    """
    if anchor is not None and (after or limit):
        raise ValueError("an anchor is checked against the whole chain, in one run")
    expected, prev = after + 1, after_hash
    at_anchor: str | None = None
    anchor_count = int(anchor["count"]) if anchor is not None else None

    def bad(seq: int, problem: str, kind: str) -> Verification:
        return Verification(False, seq - 1, prev, seq, problem, anchor, kind, start=after)

    # One snapshot for the entries and the head: on PostgreSQL each statement of a READ COMMITTED
    # transaction sees a newer state, and an entry appended meanwhile looked like deleted ones.
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        for rows in _batches(conn, after=after):
            for seq, at, actor, role, action, target, reason, details, prev_hash, stored in rows:
                if limit is not None and seq > after + limit:  # this step is done: the rest is for the next one
                    return Verification(True, expected - 1, prev, None, None, None, start=after, complete=False)
                if seq != expected:
                    return bad(expected, f"entry {expected} is missing (deleted): the next entry is {seq}", "missing")
                if prev_hash != prev:
                    return bad(seq, f"entry {seq}: prev_hash does not match the hash of entry {seq - 1} "
                                    "(an entry was inserted, deleted, reordered or rewritten before it)", "link")
                try:
                    digest = entry_hash(prev, seq=seq, at=at, actor=actor, role=role, action=action, target=target,
                                        reason=reason, details=details)
                except (ValueError, TypeError):
                    return bad(seq, f"entry {seq}: details or prev_hash are not well-formed (edited)", "malformed")
                if digest != stored:
                    return bad(seq, f"entry {seq}: its content does not match its hash (edited)", "edited")
                if seq == anchor_count:
                    at_anchor = stored
                prev, expected = stored, seq + 1
        head = conn.execute(text("SELECT seq, hash FROM audit_head WHERE id = 1")).first()
    count = expected - 1
    if head is None:
        return Verification(False, count, prev, count + 1, "the audit head row is missing", anchor, "head_missing", start=after)
    if (int(head[0]), head[1]) != (count, prev):
        if int(head[0]) > count:
            problem = f"entry {count + 1} is missing: the chain ends at entry {count} but its head records entry {head[0]} (entries were deleted)"
            kind = "truncated"
        else:
            problem = f"the audit head (entry {head[0]}, {head[1][:12]}...) does not match the chain's last entry {count} (head edited)"
            kind = "head_edited"
        return Verification(False, count, prev, count + 1, problem, anchor, kind, start=after)
    if anchor is not None and anchor_count is not None:
        if anchor_count > count:
            return Verification(False, count, prev, count + 1, f"the chain has {count} entries, fewer than the anchor's "
                                f"{anchor_count}: entries after {count} were deleted", anchor, "short_of_anchor")
        want = anchor["head_hash"]
        if anchor_count == 0 and want != GENESIS or anchor_count > 0 and at_anchor != want:
            return Verification(False, count, prev, max(anchor_count, 1), f"entry {anchor_count} does not have the anchored hash "
                                f"{want[:12]}...: the chain was rewritten up to the anchor", anchor, "rewritten")
    return Verification(True, count, prev, None, None, anchor, start=after)


def load_anchor(path: pathlib.Path) -> dict[str, Any]:
    try:
        content = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read anchor file ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not a JSON anchor file ({exc})") from None
    return parse_anchor(content, source=str(path))


def parse_anchor(content: str, *, source: str = "anchor", field: str | None = None) -> dict[str, Any]:
    """A published anchor's JSON text, checked: {head_hash, count, time}; `InputError` naming `source` otherwise."""
    try:
        data = json.loads(content)
    except ValueError as exc:
        raise InputError(f"{source}: not a JSON anchor file ({exc})", field=field) from None
    if not isinstance(data, dict):
        raise InputError(f"{source}: expected a JSON object with head_hash, count and time", field=field)
    count, head = data.get("count"), data.get("head_hash")
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise InputError(f"{source}: count: must be a whole number >= 0, got {count!r}", field=field)
    if not isinstance(head, str) or len(head) != 64 or any(c not in "0123456789abcdef" for c in head):
        raise InputError(f"{source}: head_hash: must be 64 lowercase hex digits, got {head!r}", field=field)
    return data


def anchor(engine: Engine, *, now: dt.datetime) -> dict[str, Any]:
    """The head of a verified chain, to publish: {head_hash, count, time}."""
    result = verify(engine)
    if not result.ok:
        raise AuditError(f"the audit log does not verify, refusing to anchor it: {result.problem}")
    return {"head_hash": result.head_hash, "count": result.count,
            "time": now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}


def publish_anchor(ctx: Context) -> dict[str, Any]:
    """`anchor` for the context's actor, recorded in the log (`audit.anchor`) so that the anchors published can be
    listed and held against the chain later (`published_anchors`)."""
    from callup.audit.events import ChainAnchored
    from callup.uow import UnitOfWork

    data = anchor(ctx.engine(), now=ctx.now())
    with UnitOfWork(ctx) as uow:
        uow.record(ChainAnchored(target="audit", head_hash=data["head_hash"], count=data["count"], time=data["time"]))
    return data


def _reads_the_log(ctx: Context, doing: str) -> None:
    # The log names people of every region: a regional officer would learn of people outside their regions.
    ctx.require(Role.administrator, Role.auditor, Role.system, doing=doing)


@dataclasses.dataclass(frozen=True)
class PublishedAnchor:
    """An anchor exported for publication (`callup audit anchor`), as its `audit.anchor` entry records it."""

    seq: int  # the entry that records the export
    actor: str
    head_hash: str
    count: int
    time: str

    def as_anchor(self) -> dict[str, Any]:
        return {"head_hash": self.head_hash, "count": self.count, "time": self.time}


def published_anchors(ctx: Context) -> list[PublishedAnchor]:
    """Every anchor exported for publication, newest first."""
    _reads_the_log(ctx, "reading the published anchors")
    found = entries(ctx.engine(), action="audit.anchor")
    return [PublishedAnchor(e.seq, e.actor, str(e.details.get("head_hash", "")), int(e.details.get("count", 0)),
                            str(e.details.get("time", ""))) for e in reversed(found)]


def page_viewed(ctx: Context, page: str) -> None:
    """Record that an auditor's page (`page`: chain, draws, history) was displayed without a check."""
    from callup.audit.events import PageViewed
    from callup.uow import UnitOfWork

    _reads_the_log(ctx, "opening the auditor's pages")
    with UnitOfWork(ctx) as uow:
        uow.record(PageViewed(target="audit", page=page))


def last_verification(ctx: Context) -> Entry | None:
    """The latest verification of the chain done in the console (`audit.verify`), if any."""
    _reads_the_log(ctx, "reading the audit log")
    found = entries(ctx.engine(), action="audit.verify", limit=1)
    return found[-1] if found else None


def verify_chain(ctx: Context, *, anchor: dict[str, Any] | None = None, after: int = 0, after_hash: str = GENESIS,
                 limit: int | None = None) -> Verification:
    """`verify` (against `anchor`, if given; or one bounded step) for the context's actor, recorded in the log
    (`audit.verify`).

    The check runs on its own connection before the entry is written, so writers are not held up
    while a long chain is read.
    """
    from callup.audit.events import ChainVerified
    from callup.uow import UnitOfWork

    _reads_the_log(ctx, "verifying the audit log")
    result = verify(ctx.engine(), anchor=anchor, after=after, after_hash=after_hash, limit=limit)
    with UnitOfWork(ctx) as uow:
        uow.record(ChainVerified(target="audit", ok=result.ok, count=result.count, first_bad=result.first_bad,
                                 start=result.start, complete=result.complete,
                                 anchor_count=int(anchor["count"]) if anchor else None,
                                 anchor_head=str(anchor["head_hash"]) if anchor else None))
    return result


def person_history(ctx: Context, national_id: str, *, reason: str) -> list[Entry]:
    """Every entry about a person's record (reads and changes, oldest first), for an auditor who gives a reason.

    Recorded in the log (`audit.history`) against the person, with the reason, so the person sees it among the
    reads of their record. `NotFound` when the register never had the id and the log never named it.
    """
    from callup.audit.events import HistoryRead
    from callup.errors import NotFound
    from callup.uow import UnitOfWork

    _reads_the_log(ctx, "reading a person's access history")
    wanted = national_id.strip()
    reason = " ".join((reason or "").split())
    if not wanted:
        raise InputError("national id: enter the person's national id", field="national_id")
    if not reason:
        raise InputError("reason: say why you look at this person's access history (it is recorded)", field="reason")
    with ctx.engine().connect() as conn:
        known = conn.execute(text("SELECT 1 FROM people WHERE national_id = :n UNION ALL "
                                  "SELECT 1 FROM audit_subjects WHERE national_id = :n"), {"n": wanted}).first()
    if known is None:
        raise NotFound("no person with this national id in the register or the audit log", field="national_id")
    found = entries(ctx.engine(), person_id=wanted)
    with UnitOfWork(ctx) as uow:
        uow.record(HistoryRead(target=person(wanted), reason=reason, entries=len(found)))
    return found


def head(conn: Connection) -> tuple[int, str]:
    row = conn.execute(text("SELECT seq, hash FROM audit_head WHERE id = 1")).first()
    return (int(row[0]), row[1]) if row else (0, GENESIS)


# -- reading ---------------------------------------------------------------------------------------

def entries(engine: Engine, *, person_id: str | None = None, target: str | None = None, action: str | None = None,
            limit: int | None = None) -> list[Entry]:
    """Entries in order, filtered; `person_id` also brings the register import that last changed the person.

    A person is shown as `person:ID` while their commitment can still be resolved; once erased,
    their entries show the bare commitment (`person#...`) and `person_id` no longer finds them.
    """
    where, params = [], {}
    with engine.connect() as conn:
        if person_id is not None:
            targets = _targets_of(conn, person(person_id))
            last_import = conn.execute(text("SELECT import_id FROM people WHERE national_id = :n"),
                                       {"n": person_id.strip()}).scalar()
            if last_import is not None:
                targets.append(f"import:{last_import}")
            where.append("target IN (" + ", ".join(f":t{i}" for i in range(len(targets))) + ")")
            params.update({f"t{i}": t for i, t in enumerate(targets)})
        if target is not None:
            wanted = _targets_of(conn, target)
            where.append("target IN (" + ", ".join(f":w{i}" for i in range(len(wanted))) + ")")
            params.update({f"w{i}": t for i, t in enumerate(wanted)})
        if action is not None:
            where.append("action = :action")
            params["action"] = action
        sql = f"SELECT {COLUMNS} FROM audit_log" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY seq"
        if limit:
            sql = f"SELECT * FROM ({sql} DESC LIMIT {int(limit)}) AS recent ORDER BY seq"
        rows = conn.execute(text(sql), params).all()
        found = [Entry(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]), r[8], r[9]) for r in rows]
        return _readable(conn, found)


#: The newest entry about a person, as SQL with the parameters of `last_about_params`: a caller that asks
#: something else in the same round trip embeds it (the portal's session check, web/session_records.py).
LAST_ABOUT_SQL = ("SELECT max(seq) FROM audit_log WHERE target IN "
                  "(:clear, (SELECT commitment FROM audit_subjects WHERE national_id = :n))")
_LAST_ABOUT = text(LAST_ABOUT_SQL)  # built once: the citizens' status page asks it on every request (web/page_cache.py)


def last_about_params(national_id: str) -> dict[str, str]:
    nid = national_id.strip()
    return {"clear": person(nid), "n": nid}


def last_about(conn: Any, national_id: str) -> int:
    """The sequence number of the newest entry about the person (0 if none): it changes whenever anything
    about them is changed or read one at a time. `conn` is a Connection or a unit of work."""
    return conn.execute(_LAST_ABOUT, last_about_params(national_id)).scalar() or 0


def _targets_of(conn: Connection, target: str) -> list[str]:
    """What `target` is stored as: a person's clear target (entries older than commitments) and commitment."""
    if not target.startswith(PERSON):
        return [target]
    commitment = conn.execute(text("SELECT commitment FROM audit_subjects WHERE national_id = :n"),
                              {"n": target[len(PERSON):].strip()}).scalar()
    return [person(target[len(PERSON):])] + ([commitment] if commitment else [])


def _readable(conn: Connection, found: list[Entry]) -> list[Entry]:
    """Entries with each resolvable commitment (target or personal detail) shown as `person:ID`."""
    marks = {e.target for e in found if e.target.startswith(SUBJECT)}
    values = [v for e in found for v in e.details.values()]
    values += [v for d in values if isinstance(d, dict) for v in d.values()]  # e.g. a case step's effect.replacement
    marks |= {v for v in values if isinstance(v, str) and v.startswith(SUBJECT)}
    if not marks:
        return found
    names: dict[str, str] = {}
    ordered = sorted(marks)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start:start + 500]
        names.update(conn.execute(text("SELECT commitment, national_id FROM audit_subjects WHERE commitment IN ("
                                       + ", ".join(f":c{i}" for i in range(len(chunk))) + ")"),
                                  {f"c{i}": c for i, c in enumerate(chunk)}).tuples().all())

    def shown(value: Any) -> Any:
        return person(names[value]) if isinstance(value, str) and value in names else value

    def detail(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: detail(v) for k, v in value.items()}
        return names.get(value, value) if isinstance(value, str) else value

    return [dataclasses.replace(e, target=shown(e.target), details=detail(e.details)) for e in found]


def read_log(ctx: Context, *, person_id: str | None = None, target: str | None = None, action: str | None = None,
             limit: int | None = None) -> list[Entry]:
    """`entries` for the context's actor: the log names people of every region, so only an administrator,
    an auditor or the system reads it (a regional officer would learn of people outside their regions)."""
    _reads_the_log(ctx, "reading the audit log")
    return entries(ctx.engine(), person_id=person_id, target=target, action=action, limit=limit)
