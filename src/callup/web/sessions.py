"""Sealed session tokens and session-bound CSRF tokens, with keys derived from the store's keyring.

A session is a small JSON object sealed with AES-256-GCM (so it is both secret and tamper-proof)
under a key derived from the keyring's current key; every key of the ring opens it, so rotating
the encryption keys does not sign anyone out. The same token is the browser's cookie and, for
systems, the API's bearer token. Nothing is kept on the server: any worker opens any session.

Every form carries a CSRF token, an HMAC of the session's random id: a page of another site
cannot read it, and the browser's cookie alone does not make a valid form. Signing in starts a
new session id, so a token planted before sign-in is worthless after.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from callup.context import Actor, Role
from callup.crypto.keys import KeyRing

ANONYMOUS, OFFICER, CITIZEN = "anonymous", "officer", "citizen"
#: How long a session lasts without a request: each request while it is in use moves its end (a sliding session).
LIFETIME = {ANONYMOUS: 2 * 3600, OFFICER: 8 * 3600, CITIZEN: 3600}
#: However active, a signed-in session ends this long after sign-in.
MAX_LIFETIME = {OFFICER: 12 * 3600, CITIZEN: 8 * 3600}
#: A request renews the session when it was last renewed at least this long ago (not a new cookie every request).
RENEW_AFTER = 60


@dataclasses.dataclass(frozen=True)
class Session:
    sid: str
    kind: str
    expires: int
    name: str | None = None
    role: str | None = None
    regions: tuple[str, ...] | None = None
    office: str | None = None
    person_id: str | None = None
    reference: str | None = None
    language: str | None = None  # a citizen's language from the register: their pages' language unless they switch
    signed_in_at: int | None = None  # when the person signed in: the end of a sliding session is capped from it

    @property
    def signed_in(self) -> bool:
        return self.kind in (OFFICER, CITIZEN)

    def actor(self) -> Actor | None:
        """The actor this session acts as (None for an anonymous session)."""
        if self.kind == CITIZEN:
            return Actor(name="citizen (portal)", role=Role.citizen, person_id=self.person_id)
        if self.kind == OFFICER:
            return Actor(name=self.name or "?", role=Role(self.role), regions=frozenset(self.regions) if self.regions is not None else None,
                         office=self.office)
        return None


def new_session(kind: str = ANONYMOUS, *, now: float | None = None, **values: Any) -> Session:
    now = time.time() if now is None else now
    started = int(now) if kind in MAX_LIFETIME else None
    return Session(sid=secrets.token_urlsafe(18), kind=kind, expires=int(now) + LIFETIME[kind], signed_in_at=started, **values)


def renewed(session: Session, *, now: float | None = None, force: bool = False) -> Session | None:
    """`session` with its end moved to a full lifetime from `now` (capped at its maximum from sign-in), or None
    when it needs no renewal yet (renewed less than `RENEW_AFTER` seconds ago, unless `force`) or cannot be renewed."""
    now = time.time() if now is None else now
    if not session.signed_in:
        return None
    end = int(now) + LIFETIME[session.kind]
    if session.signed_in_at is not None:
        end = min(end, session.signed_in_at + MAX_LIFETIME[session.kind])
    if end <= session.expires or (not force and end - session.expires < RENEW_AFTER):
        return None
    return dataclasses.replace(session, expires=end)


def for_actor(actor: Actor, *, reference: str | None = None, now: float | None = None, language: str | None = None) -> Session:
    if actor.role is Role.citizen:
        return new_session(CITIZEN, now=now, person_id=actor.person_id, reference=reference, language=language)
    return new_session(OFFICER, now=now, name=actor.name, role=actor.role.value,
                       regions=tuple(sorted(actor.regions)) if actor.regions is not None else None, office=actor.office)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Sealer:
    """Seals and opens sessions, and makes CSRF tokens, with keys derived from `ring`."""

    def __init__(self, ring: KeyRing) -> None:
        self._current = ring.current
        self._keys = {kid: hmac.new(key, b"callup web sessions v1", hashlib.sha256).digest() for kid, key in ring.keys.items()}
        self._csrf = {kid: hmac.new(key, b"callup web csrf v1", hashlib.sha256).digest() for kid, key in ring.keys.items()}
        self._aead = {kid: AESGCM(key) for kid, key in self._keys.items()}

    def seal(self, session: Session) -> str:
        body = json.dumps(dataclasses.asdict(session), separators=(",", ":")).encode()
        nonce = secrets.token_bytes(12)
        sealed = self._aead[self._current].encrypt(nonce, body, self._current.encode())
        return f"{self._current}.{_b64(nonce + sealed)}"

    def open(self, token: str | None, *, now: float | None = None, expired: bool = False) -> Session | None:
        """The session in `token`, or None when it is missing, altered, sealed with an unknown key or (unless
        `expired`, which opens an authentic but ended session to keep its form) expired."""
        if not token or "." not in token or len(token) > 4096:
            return None
        kid, _, data = token.partition(".")
        aead = self._aead.get(kid)
        if aead is None:
            return None
        try:
            raw = _unb64(data)
            body = json.loads(aead.decrypt(raw[:12], raw[12:], kid.encode()))
            if body.get("regions") is not None:
                body["regions"] = tuple(body["regions"])
            session = Session(**body)
        except (InvalidTag, ValueError, TypeError):
            return None
        if session.expires < (time.time() if now is None else now) and not expired:
            return None
        return session

    def csrf_token(self, session: Session) -> str:
        return _b64(hmac.new(self._csrf[self._current], session.sid.encode(), hashlib.sha256).digest()[:18])

    def csrf_ok(self, session: Session | None, token: str | None) -> bool:
        if session is None or not token:
            return False
        return any(hmac.compare_digest(_b64(hmac.new(key, session.sid.encode(), hashlib.sha256).digest()[:18]), token)
                   for key in self._csrf.values())
