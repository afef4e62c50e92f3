"""Tables of the web edge: accounts of the administration's users, sign-in attempt counters
(kept in the store so that limits hold across workers), and the documents citizens upload with
their applications (citizens' contact-change requests are the register's: `callup.register.tables`).

Imported by `callup.store.registry` (no web framework is imported here)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from callup.crypto.types import Encrypted, EncryptedText
from callup.store.base import Base


class WebUser(Base):
    """A person of the administration who signs in with a password and a TOTP second factor."""

    __tablename__ = "web_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True, comment="sign-in name; the audit log's actor")
    role: Mapped[str] = mapped_column(String(16), comment="administrator, officer, medical, auditor or system")
    regions: Mapped[str | None] = mapped_column(String(400), comment="comma-separated regions of a regional role; empty = national")
    office: Mapped[str | None] = mapped_column(String(128), comment="the office shown to citizens instead of the name")
    password_hash: Mapped[str] = mapped_column(Text, comment="argon2id")
    totp_secret: Mapped[str] = mapped_column(EncryptedText("web_users.totp_secret"), comment="base32 TOTP secret, encrypted")
    totp_last: Mapped[int | None] = mapped_column(BigInteger, comment="last accepted TOTP time step (no replay)")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class SignInLimit(Base):
    """Failed sign-in attempts of one key (an account, a summons reference, a client address hash) in a window."""

    __tablename__ = "web_limits"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class WebSession(Base):
    """A signed-in session (browser cookie or API bearer token): checked on every request (or remembered until
    the store's notice of a change: web/session_marks.py), so it can be ended.

    Keyed by a hash of the session's random id (the store never holds a usable token); anonymous
    sessions, which grant nothing, are not recorded."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, comment="sha256 of the session id")
    kind: Mapped[str] = mapped_column(String(16), comment="officer or citizen")
    user_name: Mapped[str | None] = mapped_column(String(128), index=True, comment="the account of an officer's session")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_why: Mapped[str | None] = mapped_column(String(32), comment="sign-out, disabled, role change, reset, revoked")


class WebDocument(Base):
    """A document a citizen uploaded with an application: content-checked PDF, JPEG or PNG, encrypted at rest,
    named by a random id (never a guessable path), read only by its owner and the officers of their region."""

    __tablename__ = "web_documents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, comment="128 random bits, base32")
    national_id: Mapped[str] = mapped_column(String(32), index=True)
    region: Mapped[str] = mapped_column(String(16))
    media_type: Mapped[str] = mapped_column(String(32), comment="application/pdf, image/jpeg or image/png, from the content")
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(Encrypted("web_documents.content"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))



class WebDraft(Base):
    """A form that arrived after its session had ended, kept (encrypted) until its person signs in again.

    Nothing typed is lost to an expired session: the form's fields wait here for at most a day, for
    the person (or officer) whose session sent it, and are shown again, to be sent, after sign-in."""

    __tablename__ = "web_drafts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, comment="sha256 of the draft's random token")
    owner: Mapped[str] = mapped_column(String(64), comment="sha256 of the session's kind and person or account")
    path: Mapped[str] = mapped_column(String(400), comment="where the form was sent")
    fields: Mapped[str] = mapped_column(EncryptedText("web_drafts.fields"), comment="JSON [[name, value], ...], encrypted")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
