"""Forms that arrive after their session has ended: kept, encrypted, until their person signs in again.

A form sent from a page whose session has since ended (an hour's statement of conscience, a
decision's reasons) is not refused: if its session token is authentic and its CSRF token is that
session's, its fields are kept here for a day under a random token, bound to the session's person
(or account), and the browser is sent to sign in and then to the kept form, which is shown again
with everything typed, to be sent. Anyone else signing in with the token sees nothing. An uploaded
file is not kept (the page asks for it again).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select

from callup.web.sessions import Session
from callup.web.tables import WebDraft

drafts_t = cast(Table, WebDraft.__table__)
KEPT_FOR = dt.timedelta(days=1)
MAX_FIELDS, MAX_CHARS = 40, 20_000


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def owner_of(session: Session) -> str:
    """Who a draft belongs to: the session's kind and person (a citizen) or account (the administration)."""
    return _hash(f"{session.kind}|{session.person_id or session.name or ''}")


def keep(uow: Any, session: Session, path: str, fields: list[tuple[str, str]]) -> str:
    """Keep the form `fields` sent to `path` by the ended `session`; the token to resume it with."""
    token = secrets.token_urlsafe(24)
    kept = [(name, value) for name, value in fields if name != "csrf"][:MAX_FIELDS]
    text = json.dumps(kept, ensure_ascii=False)[:MAX_CHARS * 4]
    now = uow.now()
    uow.execute(delete(drafts_t).where(drafts_t.c.expires_at < now))  # the expired ones go as new ones come
    uow.execute(insert(drafts_t).values(id=_hash(token), owner=owner_of(session), path=path[:400], fields=text,
                                        created_at=now, expires_at=now + KEPT_FOR))
    return token


def take(uow: Any, session: Session, token: str) -> tuple[str, list[tuple[str, str]]] | None:
    """The path and fields of the draft `token` if it belongs to `session`'s person and has not expired
    (it is then removed: the page that shows it carries it on); None otherwise."""
    row = uow.execute(select(drafts_t).where(drafts_t.c.id == _hash(token[:100]))).mappings().first()
    if row is None or row["owner"] != owner_of(session):
        return None
    uow.execute(delete(drafts_t).where(drafts_t.c.id == row["id"]))
    expires = row["expires_at"] if row["expires_at"].tzinfo else row["expires_at"].replace(tzinfo=dt.UTC)
    if expires < uow.now():
        return None
    return row["path"], [(str(name), str(value)) for name, value in json.loads(row["fields"])]
