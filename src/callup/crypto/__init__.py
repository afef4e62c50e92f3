"""Encryption at rest of sensitive fields (AES-256-GCM), with key ids and key rotation.

Use `Encrypted` (bytes) or `EncryptedText` (str) as the type of a column::

    from callup.crypto import Encrypted, EncryptedText

    salt: Mapped[bytes] = mapped_column(Encrypted("campaigns.salt"))
    note: Mapped[str] = mapped_column(EncryptedText("person_notes.note"))

The argument is the associated data, by convention "table.column": a value copied into another
column does not decrypt. Keys (`CALLUP_KEY_FILE` or `CALLUP_KEYS`) are loaded at the edge into the
context and are active inside a unit of work or bulk job (see `keys`);
`callup keys rotate` re-encrypts every such column to the current key. See docs/encryption.md.
"""

from callup.crypto.keys import CryptoError, KeyRing, generate_key_file, keyring
from callup.crypto.types import Encrypted, EncryptedText, decrypt, encrypt

__all__ = ["CryptoError", "Encrypted", "EncryptedText", "KeyRing", "decrypt", "encrypt", "generate_key_file", "keyring"]
