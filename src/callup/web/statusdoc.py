"""Status documents: a person's call-up status signed with Ed25519, as a QR code anyone can check offline.

The QR code holds the check page's address with the document in it (`link`), the document being
`CALLUP-STATUS:2:<payload>.<signature>` (base64url): the payload is canonical
JSON `{"born", "campaign", "holder", "issued", "kid", "pseudonym", "serial", "status",
"valid_until"}`, the signature is Ed25519 over the payload bytes. The holder's name and birth
date are signed into it, so a checker compares them with the id card of the person presenting
it, without any database: another person's document does not pass for its presenter. The serial
names the document (the same for every copy of one day's document). Documents of version 1 named
no holder and are refused. The office's signing key is derived from the store's encryption key `kid` (so every
worker has it and nothing else must be kept); its public key is published at `/status/keys` and
printed by `callup status keys`. `callup status verify` checks a document's text (or a picture
of its QR code) against a saved copy of those public keys, without any network.

The office withdraws a document before it expires when its holder's status changes or it was
issued in error: the revocation list at `/status/revoked` is `{"algorithm": "Ed25519", "kid",
"payload", "signature"}`, where `payload` is the canonical JSON text `{"issued_at", "revoked":
[{"serial", "since", "valid_until", "why"}]}` and `signature` is Ed25519 (base64url) over its
UTF-8 bytes. A checker offline uses the last list it downloaded and is told how old it is.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from callup.crypto.keys import KeyRing
from callup.errors import InputError

PREFIX = "CALLUP-STATUS:2:"
OLD_PREFIX = "CALLUP-STATUS:1:"
VALID_DAYS = 30


@dataclasses.dataclass(frozen=True)
class StatusClaim:
    pseudonym: str
    campaign: str
    status: str
    issued: dt.date
    valid_until: dt.date
    kid: str
    holder: str = ""
    born: dt.date | None = None
    serial: str = ""


@dataclasses.dataclass(frozen=True)
class Checked:
    claim: StatusClaim | None
    valid: bool  # signature good, the document not expired on `on` and not withdrawn
    problem: str | None
    #: The problem as catalogue text with %(name)s placeholders and their values (a page translates it).
    problem_text: str | None = None
    problem_values: dict[str, object] = dataclasses.field(default_factory=dict)


def _refused(claim: StatusClaim | None, text: str, **values: object) -> Checked:
    return Checked(claim, False, text % values, text, values)


@dataclasses.dataclass(frozen=True)
class Revocation:
    serial: str
    since: dt.date
    why: str
    valid_until: dt.date


@dataclasses.dataclass(frozen=True)
class Revocations:
    """A revocation list whose signature was checked."""

    issued_at: dt.datetime
    by_serial: dict[str, Revocation]

    def age(self, now: dt.datetime) -> str:
        """How old the list is, in words ("3 hours", "2 days")."""
        hours = max(0, int((now - self.issued_at).total_seconds() // 3600))
        if hours < 48:
            return f"{hours} hour{'s' if hours != 1 else ''}"
        return f"{hours // 24} days"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signing_key(ring: KeyRing, kid: str | None = None) -> Ed25519PrivateKey:
    kid = kid or ring.current
    seed = hmac.new(ring.keys[kid], b"callup status documents v1 ed25519", hashlib.sha256).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_keys(ring: KeyRing) -> dict[str, str]:
    """Every key id of the ring with its Ed25519 public key (raw 32 bytes, base64url): what offices publish."""
    return {kid: _b64(signing_key(ring, kid).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
            for kid in sorted(ring.keys)}


def _name_key(name: str) -> str:
    return " ".join(name.casefold().split())


def serial_of(ring: KeyRing, *, pseudonym: str, campaign: str, status: str, on: dt.date) -> str:
    """The document's serial: keyed, so it reveals nothing, and the same for the page, its QR code and its PDF."""
    mac = hmac.new(ring.keys[ring.current], f"status serial|{pseudonym}|{campaign}|{status}|{on.isoformat()}".encode(),
                   hashlib.sha256).digest()
    return base64.b32encode(mac[:10]).decode("ascii")


def issue(ring: KeyRing, *, pseudonym: str, campaign: str, status: str, on: dt.date, holder: str, born: dt.date,
          days: int = VALID_DAYS) -> str:
    """The signed QR text of `holder`'s (born `born`) status document issued `on`, valid `days` days."""
    body = {"born": born.isoformat(), "campaign": campaign, "holder": " ".join(holder.split()), "issued": on.isoformat(),
            "kid": ring.current, "pseudonym": pseudonym,
            "serial": serial_of(ring, pseudonym=pseudonym, campaign=campaign, status=status, on=on), "status": status,
            "valid_until": (on + dt.timedelta(days=days)).isoformat()}
    payload = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    signature = signing_key(ring).sign(payload)
    return f"{PREFIX}{_b64(payload)}.{_b64(signature)}"


def load_public_keys(text: str, *, source: str = "keys") -> dict[str, Ed25519PublicKey]:
    """Public keys from the JSON published at /status/keys (`{"keys": {kid: base64url}}`)."""
    try:
        data = json.loads(text)
        keys = data["keys"] if isinstance(data, dict) and "keys" in data else data
        return {str(kid): Ed25519PublicKey.from_public_bytes(_unb64(value)) for kid, value in keys.items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"{source}: not a status keys file ({{\"keys\": {{id: public key}}}}): {exc}", field="keys") from None


def sign_revocations(ring: KeyRing, entries: Sequence[Any], *, at: dt.datetime) -> dict[str, object]:
    """The revocation list of `entries` (each with a serial, since, why and valid_until, like `Revocation`),
    signed with the current key (what /status/revoked serves)."""
    body = {"issued_at": at.astimezone(dt.UTC).isoformat(timespec="seconds"),
            "revoked": [{"serial": e.serial, "since": e.since.isoformat(), "valid_until": e.valid_until.isoformat(),
                         "why": e.why} for e in sorted(entries, key=lambda e: e.serial)]}
    payload = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return {"algorithm": "Ed25519", "kid": ring.current, "payload": payload,
            "signature": _b64(signing_key(ring).sign(payload.encode("utf-8")))}


def load_revocations(text: str, keys: dict[str, Ed25519PublicKey], *, source: str = "revocation list") -> Revocations:
    """A downloaded revocation list, its signature checked against the published `keys`."""
    try:
        data = json.loads(text)
        payload, kid, signature = str(data["payload"]), str(data["kid"]), _unb64(str(data["signature"]))
    except (ValueError, KeyError, TypeError):
        raise InputError(f"{source}: not a status revocation list (saved from /status/revoked)", field="revoked") from None
    key = keys.get(kid)
    if key is None:
        raise InputError(f"{source}: signed with key {kid!r}, which is not among the published keys", field="revoked")
    try:
        key.verify(signature, payload.encode("utf-8"))
    except InvalidSignature:
        raise InputError(f"{source}: the signature does not match: the list was altered or not published by the office",
                         field="revoked") from None
    try:
        body = json.loads(payload)
        entries = [Revocation(serial=str(e["serial"]), since=dt.date.fromisoformat(e["since"]), why=str(e["why"]),
                              valid_until=dt.date.fromisoformat(e["valid_until"])) for e in body["revoked"]]
        issued_at = dt.datetime.fromisoformat(body["issued_at"])
    except (ValueError, KeyError, TypeError):
        raise InputError(f"{source}: the list is damaged (its content cannot be read)", field="revoked") from None
    return Revocations(issued_at, {e.serial: e for e in entries})


def link(public_url: str, text: str) -> str:
    """What the QR code holds: the address of the check page with the signed document in it, so a phone's camera
    opens the check (the text itself still verifies offline: `document_text` takes it out of the address)."""
    return f"{public_url.rstrip('/')}/status/check?document={text}"


def document_text(given: str) -> str:
    """The signed document in `given`: the text itself, or a check-page address (`link`) that carries it."""
    given = "".join(given.split())
    if not given.startswith((PREFIX, OLD_PREFIX)) and "?" in given:
        import urllib.parse

        found = urllib.parse.parse_qs(urllib.parse.urlsplit(given).query).get("document")
        if found:
            return "".join(found[0].split())
    return given


def check(text: str, keys: dict[str, Ed25519PublicKey], *, on: dt.date, holder: str | None = None,
          born: dt.date | None = None, revoked: Revocations | None = None) -> Checked:
    """Verify a status document's QR text with the published `keys` on the date `on`.

    With `holder` and/or `born` (read from the presenter's id card), the document is valid only
    when they are the ones signed into it; with `revoked`, only when it is not on that list."""
    text = document_text(text)
    if text.startswith(OLD_PREFIX):
        return _refused(None, "an old document that does not name its holder: the holder downloads a new one from the portal")
    if not text.startswith(PREFIX) or text.count(".") != 1:
        return _refused(None, "this is not the text of a status document")
    payload_text, signature_text = text[len(PREFIX):].split(".")
    try:
        payload, signature = _unb64(payload_text), _unb64(signature_text)
        body = json.loads(payload)
        claim = StatusClaim(pseudonym=str(body["pseudonym"]), campaign=str(body["campaign"]), status=str(body["status"]),
                            issued=dt.date.fromisoformat(body["issued"]), valid_until=dt.date.fromisoformat(body["valid_until"]),
                            kid=str(body["kid"]), holder=str(body["holder"]), born=dt.date.fromisoformat(body["born"]),
                            serial=str(body["serial"]))
    except (ValueError, KeyError, TypeError):
        return _refused(None, "the document is damaged (its content cannot be read)")
    key = keys.get(claim.kid)
    if key is None:
        return _refused(claim, "signed with key %(kid)s, which is not among the published keys", kid=claim.kid)
    try:
        key.verify(signature, payload)
    except InvalidSignature:
        return _refused(None, "the signature does not match: the document was altered or not issued by the office")
    if on > claim.valid_until:
        return _refused(claim, "the document expired on %(date)s", date=claim.valid_until)
    if on < claim.issued:
        return _refused(claim, "the document is dated %(date)s, after today", date=claim.issued)
    if (holder is not None and _name_key(holder) != _name_key(claim.holder)) or (born is not None and born != claim.born):
        return _refused(claim, "the document belongs to someone else: its holder's name or birth date is not the presenter's")
    if revoked is not None and (withdrawn := revoked.by_serial.get(claim.serial)) is not None:
        return _refused(claim, "the office withdrew the document on %(date)s (%(why)s): the holder downloads a new one from the portal",
                        date=withdrawn.since, why=withdrawn.why)
    return Checked(claim, True, None)


def qr_svg(text: str) -> str:
    import zxingcpp

    code = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    return code.to_svg(add_quiet_zones=True)


def read_qr_image(path: str) -> str:
    """The text of the QR code in a PNG or JPEG picture (a scan or a screenshot of the document)."""
    import zxingcpp
    from matplotlib import image

    try:
        pixels = image.imread(path)
    except (OSError, ValueError, SyntaxError) as exc:
        raise InputError(f"{path}: cannot read the picture ({exc})", field="document") from None
    import numpy as np

    if pixels.dtype != np.uint8:
        pixels = (pixels * 255).clip(0, 255).astype(np.uint8)
    if pixels.ndim == 3:
        pixels = pixels[..., :3].mean(axis=2).astype(np.uint8)
    found = zxingcpp.read_barcodes(np.ascontiguousarray(pixels))
    for barcode in found:
        if PREFIX in barcode.text:
            return document_text(barcode.text)
    raise InputError(f"{path}: no status document QR code found in the picture", field="document")


def document_pdf(text: str, claim: StatusClaim, *, title: str, lines: list[str], language: str = "en",
                 qr_alt: str = "QR code of the status document") -> bytes:
    """A one-page tagged PDF with the status, its validity and the QR code (fonts of the letters): a heading,
    a paragraph per line and the QR code as a figure with `qr_alt`, in `language`, for screen readers."""
    import io

    import numpy as np
    import zxingcpp
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import simpleSplit

    from callup.notices.letters import letter_fonts
    from callup.web.pdftags import Tags, tagged_canvas

    fonts = letter_fonts()
    buffer = io.BytesIO()
    c = tagged_canvas(buffer, pagesize=A4, invariant=1)
    tags = Tags(c, language)
    c.setTitle(title)
    tags.begin("H1")
    c.setFont(fonts["Sans-Bold"], 16)
    c.drawString(20 * mm, 270 * mm, title)
    tags.end()
    c.setFont(fonts["Sans"], 11)
    y = 255
    for line in lines:
        tags.begin("P")
        for part in simpleSplit(line, fonts["Sans"], 11, 170 * mm):  # a long line (the check address) wraps on the page
            c.drawString(20 * mm, y * mm, part)
            y -= 7
        tags.end()
    code = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    modules = np.asarray(code.to_image(scale=1, add_quiet_zones=False))
    n = modules.shape[0]
    size, x0, y0 = 70 * mm, 20 * mm, (y - 80) * mm
    cell = size / n
    tags.begin("Figure", alt=qr_alt)
    c.setFillColorRGB(0, 0, 0)
    for row in range(n):
        for col in range(n):
            if modules[row, col] < 128:
                c.rect(x0 + col * cell, y0 + (n - 1 - row) * cell, cell, cell, stroke=0, fill=1)
    tags.end()
    tags.finish()
    c.showPage()
    c.save()
    return buffer.getvalue()
