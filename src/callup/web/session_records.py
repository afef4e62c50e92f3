"""Signed-in sessions kept in the store, so that a session can end before its seal expires.

The sealed token (`callup.web.sessions`) says who a session is; its record here says whether it
still counts. A signed-in request looks its record up (one indexed read), or on PostgreSQL relies on
what its worker remembers until the store's notice that the record changed (`session_marks`), so
signing out, disabling an account, changing its role or regions and resetting its password or
TOTP secret take effect on the next request on every worker (on PostgreSQL, once that notice has
arrived: milliseconds), for the cookie and the API bearer token alike. Records are keyed by a hash
of the session id: the table holds no usable token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, cast

from sqlalchemy import Table, insert, select, text, update

from callup.audit import LAST_ABOUT_SQL, last_about_params
from callup.web.sessions import OFFICER, Session
from callup.web.tables import WebSession

sessions_t = cast(Table, WebSession.__table__)

#: Why a session was ended (the `revoked_why` column).
SIGN_OUT, DISABLED, ROLE_CHANGE, RESET, REVOKED = "sign-out", "disabled", "role change", "reset", "revoked"


def _id(sid: str) -> str:
    return hashlib.sha256(sid.encode("utf-8")).hexdigest()


def key(session: Session) -> str:
    """How the store's notices name the session's record (migration 0033): its id's first 16 hex digits."""
    return _id(session.sid)[:16]


def start(uow: Any, session: Session) -> None:
    """Record a session that was just signed in (call in the unit of work that makes the cookie or token)."""
    uow.execute(insert(sessions_t).values(
        id=_id(session.sid), kind=session.kind, user_name=session.name if session.kind == OFFICER else None,
        created_at=uow.now(), expires_at=dt.datetime.fromtimestamp(session.expires, dt.UTC)))


def is_live(conn: Any, session: Session) -> bool:
    """Whether the signed-in `session` has a record that was not ended."""
    row = conn.execute(select(sessions_t.c.revoked_at).where(sessions_t.c.id == _id(session.sid))).first()
    return row is not None and row.revoked_at is None


# Built once: asked on every request of a signed-in citizen.
_LIVE_AND_LAST_ABOUT = text(f"SELECT (SELECT revoked_at IS NULL FROM {sessions_t.name} WHERE id = :sid), ({LAST_ABOUT_SQL})")


def live_and_last_about(conn: Any, session: Session, national_id: str) -> tuple[bool, int]:
    """`is_live(session)` and `audit.last_about(national_id)` in one round trip (the citizen's status page
    needs both on every request: web/page_cache.py)."""
    live, mark = conn.execute(_LIVE_AND_LAST_ABOUT, {"sid": _id(session.sid), **last_about_params(national_id)}).one()
    return bool(live), int(mark or 0)


def end(uow: Any, session: Session, *, why: str = SIGN_OUT) -> None:
    """End one session (signing out)."""
    uow.execute(update(sessions_t).where(sessions_t.c.id == _id(session.sid), sessions_t.c.revoked_at.is_(None))
                .values(revoked_at=uow.now(), revoked_why=why))


def end_for_user(uow: Any, name: str, *, why: str) -> int:
    """End every live session of the account `name`; how many there were."""
    done = uow.execute(update(sessions_t).where(sessions_t.c.user_name == name, sessions_t.c.revoked_at.is_(None))
                       .values(revoked_at=uow.now(), revoked_why=why))
    return int(done.rowcount or 0)
