"""Accounts of the administration and sign-in: argon2 passwords, TOTP second factor, attempt limits.

Officers, the medical board, auditors, administrators and systems sign in with their name, a
password (argon2id, about 150 ms a hash) and a six-digit TOTP code (RFC 6238, 30 s steps, one
step of clock drift either way; a step once used is refused again). Citizens sign in with the
reference of their summons and the sign-in code printed in it (`notices.service.check_sign_in`).

Attempts are counted in the store (`web_limits`), so the limits hold however many workers serve
the site: per account, per summons reference and per client address (its hash, not the
address). Each attempt is counted, and committed, before anything is checked, so parallel
guesses cannot all slip in under the limit; one over its limit is refused without checking the
password or code, so the answer does not tell whether the guess was right. Counters reset when
their window ends; a successful sign-in clears the account's (or reference's) counter and does
not count against the address.

A national eID (OpenID Connect) plugs in beside `citizen_sign_in`: the portal would redirect
to the provider, receive the verified national id in the ID token, and build the same citizen
session; nothing downstream changes, since the session carries only the national id.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
from typing import Any, ClassVar, cast

from sqlalchemy import Table, case, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from callup.audit import AuditEvent
from callup.context import Actor, Context, Role, make_actor
from callup.errors import CallupError, InputError
from callup.uow import UnitOfWork
from callup.web.tables import SignInLimit, WebUser

users_t, limits_t = cast(Table, WebUser.__table__), cast(Table, SignInLimit.__table__)
STEP = 30  # seconds of a TOTP step
ISSUER = "callup"


class TooManyAttempts(CallupError):
    """Too many failed sign-ins for this account, reference or address: wait for the window to end.

    `locked` says which ("user", "reference" or "address": the network the attempts came from) and `until` when
    signing in with it works again."""

    http_status = 429

    def __init__(self, message: str, *, locked: str = "address", until: dt.datetime | None = None) -> None:
        super().__init__(message)
        self.locked, self.until = locked, until


@dataclasses.dataclass(frozen=True)
class Limit:
    failures: int
    window: dt.timedelta


#: How many failures each kind of key may have within its window.
LIMITS = {
    "user": Limit(5, dt.timedelta(minutes=15)),
    "reference": Limit(5, dt.timedelta(hours=1)),
    "address": Limit(30, dt.timedelta(minutes=15)),
}


@dataclasses.dataclass(frozen=True, kw_only=True)
class UserAdded(AuditEvent):
    """users.add: an account of the administration was created (role and regions; never the secrets)."""

    action: ClassVar[str] = "users.add"
    role: str
    regions: list[str] | None
    office: str | None


@dataclasses.dataclass(frozen=True, kw_only=True)
class SignedIn(AuditEvent):
    """web.signin: a user of the administration signed in with password and TOTP."""

    action: ClassVar[str] = "web.signin"


@dataclasses.dataclass(frozen=True)
class NewUser:
    name: str
    role: str
    regions: tuple[str, ...] | None
    office: str | None
    otpauth_uri: str  # shown once: the TOTP secret for the user's authenticator app


def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()


_DUMMY_HASH: list[str] = []


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def _password_ok(stored: str | None, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    hasher = _hasher()
    if stored is None:  # same cost for an unknown name, so timing does not reveal accounts
        if not _DUMMY_HASH:
            _DUMMY_HASH.append(hasher.hash("not a password of anyone"))
        stored = _DUMMY_HASH[0]
        try:
            hasher.verify(stored, password)
        except (VerificationError, VerifyMismatchError, InvalidHashError):
            pass
        return False
    try:
        return hasher.verify(stored, password)
    except (VerificationError, VerifyMismatchError, InvalidHashError):
        return False


def totp_at(secret: str, step: int) -> str:
    import pyotp

    return pyotp.TOTP(secret).at(step * STEP)


def _totp_step(secret: str, code: str, now: dt.datetime, last: int | None) -> int | None:
    """The step whose code is `code` (now, or one step either side), if not used before; None otherwise."""
    code = "".join(code.split())
    if not (len(code) == 6 and code.isdigit()):
        return None
    current = int(now.timestamp()) // STEP
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp_at(secret, step), code) and (last is None or step > last):
            return step
    return None


def check_account(ctx: Any, name: str, *, role: str, regions: str | None = None, office: str | None = None) -> Actor:
    """The actor an account would act as; `InputError` naming the field for a bad name, role or region."""
    name = name.strip()
    if not name or len(name) > 128 or any(c.isspace() or not c.isprintable() for c in name):
        raise InputError("a user name is 1 to 128 printable characters without spaces", field="name")
    if role.strip() == Role.citizen.value:
        raise InputError("citizens sign in with their summons, not with an account", field="role")
    actor = make_actor(name, role, regions=regions, office=office)
    if actor.regions is not None:
        known = set(ctx.policy().region_codes)
        unknown = sorted(actor.regions - known)
        if unknown:
            raise InputError(f"unknown region {unknown[0]!r} (the policy's regions: {', '.join(sorted(known))})", field="region")
    if office is not None and (len(office) > 128 or not office.isprintable()):
        raise InputError("an office is at most 128 printable characters", field="office")
    return actor


def add_user(uow: UnitOfWork, name: str, *, role: str, password: str, regions: str | None = None,
             office: str | None = None, totp_secret: str | None = None) -> NewUser:
    """Create an account; returns the otpauth URI of its TOTP secret (shown once, never stored in clear)."""
    import pyotp

    uow.ctx.require(Role.administrator, Role.system, doing="adding users")
    actor = check_account(uow.ctx, name, role=role, regions=regions, office=office)
    name = actor.name
    if len(password) < 12:
        raise InputError("the password needs at least 12 characters", field="password")
    if uow.execute(select(users_t.c.id).where(users_t.c.name == name)).first() is not None:
        raise InputError(f"a user named {name!r} exists already", field="name")
    secret = totp_secret or pyotp.random_base32()
    region_text = ",".join(sorted(actor.regions)) if actor.regions is not None else None
    uow.execute(insert(users_t).values(name=name, role=actor.role.value, regions=region_text, office=office,
                                       password_hash=hash_password(password), totp_secret=secret, created_at=uow.now()))
    uow.record(UserAdded(target=f"user:{name}", role=actor.role.value,
                         regions=sorted(actor.regions) if actor.regions is not None else None, office=office))
    uri = pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=ISSUER)
    return NewUser(name, actor.role.value, tuple(sorted(actor.regions)) if actor.regions else None, office, uri)


def list_users(uow: UnitOfWork) -> list[dict[str, Any]]:
    uow.ctx.require(Role.administrator, Role.auditor, Role.system, doing="listing users")
    rows = uow.execute(select(users_t.c.name, users_t.c.role, users_t.c.regions, users_t.c.office, users_t.c.created_at,
                              users_t.c.disabled_at).order_by(users_t.c.name)).mappings().all()
    return [dict(r) for r in rows]


def offices_of(uow: UnitOfWork, names: set[str]) -> dict[str, str | None]:
    """The office of each named user (for showing citizens who read their record without naming people)."""
    if not names:
        return {}
    rows = uow.execute(select(users_t.c.name, users_t.c.office).where(users_t.c.name.in_(sorted(names)))).all()
    return {r.name: r.office for r in rows}


@dataclasses.dataclass(frozen=True, kw_only=True)
class UserChanged(AuditEvent):
    """users.change: an account was disabled, enabled, given another role or regions, had its password and TOTP
    secret reset, or had its sessions ended; `ended` counts the sessions that stopped working."""

    action: ClassVar[str] = "users.change"
    change: str
    role: str | None = None
    regions: list[str] | None = None
    ended: int = 0


def _account(uow: UnitOfWork, name: str) -> Any:
    row = uow.execute(select(users_t).where(users_t.c.name == name.strip())).mappings().first()
    if row is None:
        raise InputError(f"no user named {name.strip()[:128]!r} (see callup users list)", field="name")
    return row


def _manage(uow: UnitOfWork) -> None:
    uow.ctx.require(Role.administrator, Role.system, doing="managing users")


def disable_user(uow: UnitOfWork, name: str) -> int:
    """Disable the account `name`: it can no longer sign in and its sessions end now; how many ended."""
    from callup.web import session_records

    _manage(uow)
    row = _account(uow, name)
    if row["disabled_at"] is None:
        uow.execute(update(users_t).where(users_t.c.id == row["id"]).values(disabled_at=uow.now()))
    ended = session_records.end_for_user(uow, row["name"], why=session_records.DISABLED)
    uow.record(UserChanged(target=f"user:{row['name']}", change="disable", ended=ended))
    return ended


def enable_user(uow: UnitOfWork, name: str) -> None:
    """Let a disabled account sign in again (its old sessions stay ended)."""
    _manage(uow)
    row = _account(uow, name)
    uow.execute(update(users_t).where(users_t.c.id == row["id"]).values(disabled_at=None))
    uow.record(UserChanged(target=f"user:{row['name']}", change="enable"))


def revoke_sessions(uow: UnitOfWork, name: str) -> int:
    """End every session of the account `name` (cookies and API tokens); how many there were."""
    from callup.web import session_records

    _manage(uow)
    row = _account(uow, name)
    ended = session_records.end_for_user(uow, row["name"], why=session_records.REVOKED)
    uow.record(UserChanged(target=f"user:{row['name']}", change="revoke-sessions", ended=ended))
    return ended


def change_user(uow: UnitOfWork, name: str, *, role: str, regions: str | None = None) -> int:
    """Give the account `name` another role and regions; its sessions (made for the old ones) end. How many ended."""
    from callup.web import session_records

    _manage(uow)
    row = _account(uow, name)
    actor = check_account(uow.ctx, row["name"], role=role, regions=regions, office=row["office"])
    region_text = ",".join(sorted(actor.regions)) if actor.regions is not None else None
    uow.execute(update(users_t).where(users_t.c.id == row["id"]).values(role=actor.role.value, regions=region_text))
    ended = session_records.end_for_user(uow, row["name"], why=session_records.ROLE_CHANGE)
    uow.record(UserChanged(target=f"user:{row['name']}", change="role", role=actor.role.value,
                           regions=sorted(actor.regions) if actor.regions is not None else None, ended=ended))
    return ended


def reset_credentials(uow: UnitOfWork, name: str, *, password: str, totp_secret: str | None = None) -> tuple[str, int]:
    """A new password and TOTP secret for `name` (a lost phone or a leaked password); its sessions end.

    Returns the otpauth URI of the new secret (shown once) and how many sessions ended."""
    import pyotp

    from callup.web import session_records

    _manage(uow)
    row = _account(uow, name)
    if len(password) < 12:
        raise InputError("the password needs at least 12 characters", field="password")
    secret = totp_secret or pyotp.random_base32()
    uow.execute(update(users_t).where(users_t.c.id == row["id"]).values(password_hash=hash_password(password),
                                                                        totp_secret=secret, totp_last=None))
    ended = session_records.end_for_user(uow, row["name"], why=session_records.RESET)
    uow.record(UserChanged(target=f"user:{row['name']}", change="reset", ended=ended))
    return pyotp.TOTP(secret).provisioning_uri(name=row["name"], issuer_name=ISSUER), ended


# --- attempt limits ----------------------------------------------------------------------------------------


def limit_key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()[:40]
    return f"{kind}:{digest}"


def _count(uow: UnitOfWork, key: str, limit: Limit) -> tuple[int, dt.datetime]:
    """Count one attempt under `key` in one upsert (a new window when the old one ended); the count after it and
    the start of its window."""
    now = uow.now()
    stmt: postgresql.Insert | sqlite.Insert
    if uow.conn.dialect.name == "postgresql":
        stmt = postgresql.insert(limits_t)
    else:
        stmt = sqlite.insert(limits_t)
    stale = limits_t.c.window_start < now - limit.window
    stmt = stmt.values(key=key, failures=1, window_start=now)
    stmt = stmt.on_conflict_do_update(index_elements=[limits_t.c.key], set_={
        "failures": case((stale, 1), else_=limits_t.c.failures + 1),
        "window_start": case((stale, now), else_=limits_t.c.window_start)})
    count, start = uow.execute(stmt.returning(limits_t.c.failures, limits_t.c.window_start)).one()
    return int(count), start if start.tzinfo else start.replace(tzinfo=dt.UTC)


def _take_attempt(ctx: Context, keys: list[tuple[str, Limit]]) -> None:
    """Count this attempt under every key, committed before anything is checked; `TooManyAttempts` over a limit.

    Counting first (not reading the counter, then counting failures) is what makes the limit hold
    under parallel requests: each takes its own number from the database, so at most `failures`
    attempts of a window go on to be checked, however many arrive at once."""
    with UnitOfWork(ctx) as uow:
        counted = [(key, limit, *_count(uow, key, limit)) for key, limit in keys]
    over = [(key, start + limit.window) for key, limit, count, start in counted if count > limit.failures]
    if over:
        key, until = over[0]  # the account's or reference's own lock first, else the address's
        raise TooManyAttempts(f"too many failed sign-in attempts: signing in is locked until {until:%Y-%m-%d %H:%M} UTC",
                              locked=key.split(":", 1)[0], until=until)


def _succeeded(uow: UnitOfWork, keys: list[tuple[str, Limit]]) -> None:
    """A right answer: the account's (or reference's) count starts again, and the address's loses this attempt."""
    (own, _), (address, _) = keys
    uow.execute(update(limits_t).where(limits_t.c.key == own).values(failures=0))
    uow.execute(update(limits_t).where(limits_t.c.key == address, limits_t.c.failures > 0)
                .values(failures=limits_t.c.failures - 1))


# --- signing in --------------------------------------------------------------------------------------------


def officer_sign_in(ctx: Context, name: str, password: str, totp: str, *, address: str) -> Actor | None:
    """The actor of the account `name` when password and TOTP code are right; None otherwise.

    Raises `TooManyAttempts` (before checking anything) when the account or the address is over
    its limit. Opens its own units of work: the attempt is counted and committed first.
    """
    name = name.strip()[:128]
    keys = [(limit_key("user", name.lower()), LIMITS["user"]), (limit_key("address", address), LIMITS["address"])]
    _take_attempt(ctx, keys)
    with UnitOfWork(ctx) as uow:
        return _check_account(uow, name, password, totp, keys)


def _check_account(uow: UnitOfWork, name: str, password: str, totp: str, keys: list[tuple[str, Limit]]) -> Actor | None:
    query = select(users_t).where(users_t.c.name == name)
    if uow.conn.dialect.name == "postgresql":  # two workers given the same code at once: the second waits, then sees it used
        query = query.with_for_update()
    row = uow.execute(query).mappings().first()
    ok = _password_ok(row["password_hash"] if row else None, password)
    step = _totp_step(row["totp_secret"], totp, uow.now(), row["totp_last"]) if ok and row else None
    if row is None or not ok or step is None or row["disabled_at"] is not None:
        return None
    uow.execute(update(users_t).where(users_t.c.id == row["id"]).values(totp_last=step))
    _succeeded(uow, keys)
    actor = make_actor(row["name"], row["role"], regions=row["regions"], office=row["office"])
    uow.record(SignedIn(target=f"user:{row['name']}"))
    return actor


def citizen_sign_in(ctx: Context, reference: str, code: str, *, address: str) -> str | None:
    """The national id of the person whose summons or questionnaire letter `reference` has the one-time `code`;
    None otherwise.

    Limited per reference and per address like `officer_sign_in`."""
    from callup.notices.reference import parse_reference
    from callup.notices.service import check_sign_in
    from callup.questionnaire.service import check_sign_in as check_questionnaire_sign_in

    try:
        canonical = parse_reference(reference)
    except InputError:
        canonical = reference.strip().upper()[:64]
    keys = [(limit_key("reference", canonical), LIMITS["reference"]), (limit_key("address", address), LIMITS["address"])]
    _take_attempt(ctx, keys)
    with UnitOfWork(ctx) as uow:
        national_id = check_sign_in(uow, reference, code) or check_questionnaire_sign_in(uow, reference, code)
        if national_id is not None:
            _succeeded(uow, keys)
    return national_id
