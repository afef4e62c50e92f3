"""AES-256-GCM encryption of single values, and SQLAlchemy column types that apply it.

Stored form (bytes): version byte 1, key id length, key id (ASCII), 12-byte nonce, ciphertext
with its 16-byte tag. `EncryptedText` stores the same bytes as text, "v1:<key id>:<base64>", so
a text column can hold it. The associated data is the column's name ("table.column").
"""

from __future__ import annotations

import base64
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import LargeBinary, Text
from sqlalchemy.types import TypeDecorator

from callup.crypto.keys import CryptoError, KeyRing, keyring

VERSION = 1
NONCE = 12


def encrypt(plaintext: bytes, ad: str, ring: KeyRing | None = None) -> bytes:
    ring = ring or keyring()
    key_id = ring.current.encode("ascii")
    nonce = secrets.token_bytes(NONCE)
    sealed = AESGCM(ring.keys[ring.current]).encrypt(nonce, plaintext, ad.encode("utf-8"))
    return bytes([VERSION, len(key_id)]) + key_id + nonce + sealed


def key_id_of(blob: bytes, *, where: str = "") -> str:
    if len(blob) < 2 + NONCE + 16 or blob[0] != VERSION or len(blob) < 2 + blob[1] + NONCE + 16:
        raise CryptoError(f"{where or 'value'}: not an encrypted value of a known format (corrupted?)")
    try:
        return blob[2 : 2 + blob[1]].decode("ascii")
    except UnicodeDecodeError:
        raise CryptoError(f"{where or 'value'}: not an encrypted value of a known format (corrupted?)") from None


def decrypt(blob: bytes, ad: str, ring: KeyRing | None = None) -> bytes:
    ring = ring or keyring()
    key_id = key_id_of(blob, where=ad)
    start = 2 + blob[1]
    nonce, sealed = blob[start : start + NONCE], blob[start + NONCE :]
    try:
        return AESGCM(ring.key(key_id, where=ad)).decrypt(nonce, sealed, ad.encode("utf-8"))
    except InvalidTag:
        raise CryptoError(f"{ad}: value does not decrypt with key {key_id!r} from {ring.source}: the key is wrong "
                          "(same id, different bytes) or the value was altered or copied from another column") from None


def text_to_blob(text: str, *, where: str = "") -> bytes:
    try:
        version, _key_id, data = text.split(":", 2)
        if version != f"v{VERSION}":
            raise ValueError
        return base64.b64decode(data, validate=True)
    except ValueError:
        raise CryptoError(f"{where or 'value'}: not an encrypted value of a known format (corrupted?)") from None


def blob_to_text(blob: bytes) -> str:
    return f"v{VERSION}:{key_id_of(blob)}:{base64.b64encode(blob).decode('ascii')}"


class Encrypted(TypeDecorator):
    """A bytes value stored encrypted (AES-256-GCM); `ad` is the column's name, "table.column"."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, ad: str) -> None:
        super().__init__()
        self.ad = ad

    def process_bind_param(self, value: bytes | None, dialect) -> bytes | None:  # noqa: ANN001
        if value is None:
            return None
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise TypeError(f"{self.ad}: Encrypted columns hold bytes, got {type(value).__name__}")
        return encrypt(bytes(value), self.ad)

    def process_result_value(self, value: bytes | None, dialect) -> bytes | None:  # noqa: ANN001
        return None if value is None else decrypt(bytes(value), self.ad)

    # Raw stored form, for key rotation.
    def stored_key_id(self, stored: bytes | memoryview) -> str:
        return key_id_of(bytes(stored), where=self.ad)

    def reencrypt(self, stored: bytes | memoryview, ring: KeyRing) -> bytes:
        return encrypt(decrypt(bytes(stored), self.ad, ring), self.ad, ring)


class EncryptedText(TypeDecorator):
    """A text value stored encrypted (AES-256-GCM) as text; `ad` is the column's name, "table.column"."""

    impl = Text
    cache_ok = True

    def __init__(self, ad: str) -> None:
        super().__init__()
        self.ad = ad

    def process_bind_param(self, value: str | None, dialect) -> str | None:  # noqa: ANN001
        if value is None:
            return None
        if not isinstance(value, str):
            raise TypeError(f"{self.ad}: EncryptedText columns hold text, got {type(value).__name__}")
        return blob_to_text(encrypt(value.encode("utf-8"), self.ad))

    def process_result_value(self, value: str | None, dialect) -> str | None:  # noqa: ANN001
        return None if value is None else decrypt(text_to_blob(value, where=self.ad), self.ad).decode("utf-8")

    def stored_key_id(self, stored: str) -> str:
        return key_id_of(text_to_blob(str(stored), where=self.ad), where=self.ad)

    def reencrypt(self, stored: str, ring: KeyRing) -> str:
        plain = decrypt(text_to_blob(str(stored), where=self.ad), self.ad, ring)
        return blob_to_text(encrypt(plain, self.ad, ring))
