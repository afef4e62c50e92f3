"""Encryption keys: a key file (`CALLUP_KEY_FILE`) or the environment (`CALLUP_KEYS`).

Both hold the same JSON document::

    {"current": "k-20270101-1a2b", "keys": {"k-20270101-1a2b": "<base64 of 32 random bytes>", ...}}

`current` names the key new values are encrypted with; every other key is kept to decrypt
values written before a rotation (`callup keys rotate` re-encrypts them, after which the old
key may be removed). A TOML file with the same two entries is accepted too (`.toml`).
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import dataclasses
import datetime as dt
import json
import pathlib
import re
import secrets
import tomllib
from collections.abc import Iterator, Mapping

from callup.errors import CallupError

KEY_FILE_ENV = "CALLUP_KEY_FILE"
KEYS_ENV = "CALLUP_KEYS"
# With neither variable set, a key file beside the default store: enough for a single machine
# and the demo (it protects copies and backups of the database that travel without it).
DEFAULT_KEY_FILE = "callup-keys.json"
KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class CryptoError(CallupError):
    """Keys are missing or wrong, or an encrypted value cannot be decrypted."""


@dataclasses.dataclass(frozen=True)
class KeyRing:
    current: str
    keys: dict[str, bytes]
    source: str

    def key(self, key_id: str, *, where: str = "") -> bytes:
        try:
            return self.keys[key_id]
        except KeyError:
            place = f"{where}: " if where else ""
            raise CryptoError(f"{place}value was encrypted with key {key_id!r}, which is not in {self.source} "
                              f"(keys there: {', '.join(sorted(self.keys))}); restore that key to read it") from None


def parse_keys(text: str, *, source: str, toml: bool = False) -> KeyRing:
    """Parse a key document; every problem is a `CryptoError` naming `source`."""
    try:
        data = tomllib.loads(text) if toml else json.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise CryptoError(f"{source}: not valid {'TOML' if toml else 'JSON'}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("keys"), dict) or not data["keys"]:
        raise CryptoError(f"{source}: expected {{\"current\": ID, \"keys\": {{ID: base64 key, ...}}}}")
    keys: dict[str, bytes] = {}
    for key_id, value in data["keys"].items():
        if not KEY_ID.match(key_id):
            raise CryptoError(f"{source}: keys.{key_id}: key ids are 1-64 letters, digits, '_', '.' or '-'")
        try:
            raw = base64.b64decode(value, validate=True) if isinstance(value, str) else b""
        except ValueError:
            raw = b""
        if len(raw) != 32:
            raise CryptoError(f"{source}: keys.{key_id}: must be the base64 text of exactly 32 bytes (AES-256)")
        keys[key_id] = raw
    current = data.get("current")
    if current not in keys:
        raise CryptoError(f"{source}: current: must name one of the keys ({', '.join(sorted(keys))}), got {current!r}")
    return KeyRing(current=current, keys=keys, source=source)


_cache: dict[tuple, KeyRing] = {}
_active: contextvars.ContextVar[KeyRing | None] = contextvars.ContextVar("callup_keys", default=None)


@contextlib.contextmanager
def use_keys(ring: KeyRing | None) -> Iterator[None]:
    """Make `ring` the keys that encrypted columns use inside the block (a unit of work, a job)."""
    token = _active.set(ring)
    try:
        yield
    finally:
        _active.reset(token)


def keyring() -> KeyRing:
    """The keys active in this unit of work (see `use_keys`); a `CryptoError` when none are."""
    ring = _active.get()
    if ring is None:
        raise CryptoError("no encryption keys are active: load them at the edge (`load_keyring`) and pass them in the "
                          "context")
    return ring


def load_keyring(environ: Mapping[str, str], *, default_file: pathlib.Path | None = None,
                 create_default: bool = False) -> KeyRing | None:
    """Load the configured keys once, at the edge: `CALLUP_KEY_FILE`, else `CALLUP_KEYS`, else `default_file`.

    `default_file` is the single-machine default beside the SQLite store; it is created (mode
    0600, its path printed on stderr) only when `create_default` says this is the store's first
    use. A default file that is missing for a store already in use is an error, never silently
    replaced: values encrypted under the lost key would be unreadable. Returns None when no keys
    are configured and none may be created (commands that need keys then fail naming the fix).
    """
    path, inline = environ.get(KEY_FILE_ENV), environ.get(KEYS_ENV)
    if not path and not inline and default_file is not None:
        if default_file.exists():
            path = str(default_file)
        elif create_default:
            generate_key_file(default_file)
            import sys

            print(f"note: created the encryption key file {default_file} (owner-only); keep it safe and out of "
                  f"backups of the database, or set {KEY_FILE_ENV}", file=sys.stderr)
            path = str(default_file)
        else:
            raise CryptoError(f"the encryption key file {default_file} is missing but the store beside it is in use: "
                              f"restore the key file from its safe copy, or set {KEY_FILE_ENV}")
    if path:
        file = pathlib.Path(path)
        try:
            stat = file.stat()
        except OSError as exc:
            raise CryptoError(f"{KEY_FILE_ENV}={path}: cannot read key file ({exc.strerror or exc})") from None
        if file.is_dir():
            raise CryptoError(f"{KEY_FILE_ENV}={path}: is a directory, not a key file")
        cache_key = ("file", path, stat.st_mtime_ns, stat.st_size)
        if cache_key not in _cache:
            try:
                text = file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise CryptoError(f"{path}: cannot read key file ({exc})") from None
            _cache[cache_key] = parse_keys(text, source=str(path), toml=file.suffix.lower() == ".toml")
        return _cache[cache_key]
    if inline:
        env_key = ("env", inline)
        if env_key not in _cache:
            _cache[env_key] = parse_keys(inline, source=KEYS_ENV)
        return _cache[env_key]
    return None


def new_key_id() -> str:
    return f"k-{dt.datetime.now(dt.UTC):%Y%m%d}-{secrets.token_hex(3)}"


def generate_key_file(path: pathlib.Path) -> tuple[str, int]:
    """Add a new random key to `path` (created if absent, mode 0600) and make it current; returns (key id, keys in file).

    An existing file must be a key file (JSON, or TOML for a .toml name): anything else is refused,
    never overwritten. The file is replaced atomically, in the same format.
    """
    from callup.errors import InputError
    from callup.file_output import check_file, write_text

    path = check_file(pathlib.Path(path), field="out")
    toml = path.suffix.lower() == ".toml"
    if path.exists():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{path}: exists and is not a key file (not UTF-8 text); give a new file name or a key file",
                             field="out") from None
        except OSError as exc:
            raise InputError(f"{path}: cannot read ({exc.strerror or exc})", field="out") from None
        try:
            ring = parse_keys(text, source=str(path), toml=toml)
        except CryptoError as exc:
            raise InputError(f"{exc} (it exists and is not a key file: give a new file name or a key file)", field="out") from None
        keys = {k: base64.b64encode(v).decode() for k, v in ring.keys.items()}
    else:
        keys = {}
    key_id = new_key_id()
    while key_id in keys:
        key_id = new_key_id()
    keys[key_id] = base64.b64encode(secrets.token_bytes(32)).decode()
    if toml:
        text = f"current = {json.dumps(key_id)}\n\n[keys]\n" + "".join(f"{json.dumps(k)} = {json.dumps(v)}\n" for k, v in keys.items())
    else:
        text = json.dumps({"current": key_id, "keys": keys}, indent=2) + "\n"
    write_text(path, text, field="out", private=True)
    return key_id, len(keys)
