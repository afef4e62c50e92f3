"""The public beacon: a drand round checked by its BLS signature, or a labelled unverified value.

The League of Entropy runs drand networks that publish, every `period` seconds, a round
signed with a threshold BLS key nobody holds whole. A round's value cannot be predicted before
its time and cannot be chosen by anyone, and anyone can check it offline against the chain's
public key. Two chains are known here (their parameters are public and fixed for the chain's
life; `chain_hash` is SHA-256 over period, genesis time, public key, genesis seed and beacon id,
recomputed by `DrandChain.computed_hash`):

- `default` (mainnet): scheme `pedersen-bls-chained`, 30 s; public key on G1 (48 bytes),
  signatures on G2 (96 bytes), hash to G2 with DST `BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_`;
  message = SHA-256(previous_signature || round as 8-byte big-endian).
- `quicknet`: scheme `bls-unchained-g1-rfc9380`, 3 s; public key on G2 (96 bytes), signatures
  on G1 (48 bytes), hash to G1 with DST `BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_` (RFC 9380);
  message = SHA-256(round as 8-byte big-endian).

A signature verifies when e(g1, signature) = e(public key, H(message)) (chained, signature on
G2) or e(signature, g2) = e(H(message), public key) (unchained, signature on G1). The round's
value ("randomness") is SHA-256(signature); round r is published at
genesis_time + period x (r - 1) (UNIX seconds).

Pure: no network. The round's JSON is fetched by whoever draws (from any drand relay) and
passed in; verification uses `py_arkworks_bls12381` (arkworks, Rust).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from callup.lottery.errors import BeaconError

DST_G1 = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"
DST_G2 = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_"
MAX_ROUND = 2**63 - 1

_HEX = re.compile(r"[0-9a-f]*")


@dataclass(frozen=True)
class DrandChain:
    """A drand chain: everything needed to verify its rounds and to time them, offline."""

    name: str
    chain_hash: str
    public_key: str
    scheme: str
    genesis_time: int
    period: int
    genesis_seed: str
    beacon_id: str

    @property
    def chained(self) -> bool:
        """Chained schemes sign the previous signature too; unchained ones sign the round alone."""
        return self.scheme == "pedersen-bls-chained"

    @property
    def signature_bytes(self) -> int:
        return 96 if self.chained else 48

    def computed_hash(self) -> str:
        """SHA-256(period u32 BE || genesis_time i64 BE || public key || genesis seed || beacon id unless "default")."""
        h = hashlib.sha256(struct.pack(">I", self.period) + struct.pack(">q", self.genesis_time))
        h.update(bytes.fromhex(self.public_key) + bytes.fromhex(self.genesis_seed))
        if self.beacon_id not in ("", "default"):
            h.update(self.beacon_id.encode("utf-8"))
        return h.hexdigest()

    def round_time(self, round_number: int) -> int:
        """UNIX time (seconds) at which round `round_number` is published: genesis + period x (round - 1)."""
        _check_round(round_number)
        return self.genesis_time + self.period * (round_number - 1)

    def round_datetime(self, round_number: int) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.round_time(round_number), tz=dt.UTC)

    def round_at(self, when: dt.datetime | int) -> int:
        """The latest round published at `when` (0 before genesis)."""
        seconds = int(when.timestamp()) if isinstance(when, dt.datetime) else int(when)
        if seconds < self.genesis_time:
            return 0
        return (seconds - self.genesis_time) // self.period + 1

    def first_round_after(self, when: dt.datetime, *, margin: dt.timedelta = dt.timedelta(0)) -> int:
        """The first round published strictly after `when + margin`: a round nobody can know at `when`."""
        return self.round_at(when + margin) + 1

    def document(self) -> dict[str, Any]:
        """The chain as it is written into a commitment (format 2)."""
        return {"chain": self.name, "chain_hash": self.chain_hash, "public_key": self.public_key, "scheme": self.scheme,
                "genesis_time": self.genesis_time, "period": self.period}


MAINNET = DrandChain(
    name="default",
    chain_hash="8990e7a9aaed2ffed73dbd7092123d6f289930540d7651336225dc172e51b2ce",
    public_key="868f005eb8e6e4ca0a47c8a77ceaa5309a47978a7c71bc5cce96366b5d7a569937c529eeda66c7293784a9402801af31",
    scheme="pedersen-bls-chained",
    genesis_time=1595431050,
    period=30,
    genesis_seed="176f93498eac9ca337150b46d21dd58673ea4e3581185f869672e59fa4cb390a",
    beacon_id="default",
)

QUICKNET = DrandChain(
    name="quicknet",
    chain_hash="52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971",
    public_key="83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d"
    "1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a",
    scheme="bls-unchained-g1-rfc9380",
    genesis_time=1692803367,
    period=3,
    genesis_seed="f477d5c89f21a17c863a7f937c6a6d15859414d2be09cd448d4279af331c5d3e",
    beacon_id="quicknet",
)

#: The chains this verifier trusts, by name; `mainnet` is another name of `default`.
CHAINS: dict[str, DrandChain] = {"default": MAINNET, "mainnet": MAINNET, "quicknet": QUICKNET}


def chain(name_or_hash: str) -> DrandChain:
    """A known chain by name (`quicknet`, `default`/`mainnet`) or by its chain hash."""
    key = name_or_hash.strip().lower()
    if key in CHAINS:
        return CHAINS[key]
    for known in (MAINNET, QUICKNET):
        if key == known.chain_hash:
            return known
    raise BeaconError(f"unknown drand chain {name_or_hash!r}: use quicknet or default (mainnet), or their chain hash",
                      field="beacon_chain")


def known_chain(document: Mapping[str, Any]) -> DrandChain:
    """The built-in chain a commitment names, refusing any parameter that differs from it.

    A commitment carries the chain's parameters so that a reader sees them, but a verifier must
    not take the public key from the office: it compares every parameter with the League of
    Entropy chain it knows.
    """
    known = chain(str(document.get("chain_hash") or document.get("chain") or ""))
    mine = known.document()
    for key in ("chain_hash", "public_key", "scheme", "genesis_time", "period"):
        if document.get(key) != mine[key]:
            raise BeaconError(f"the commitment's drand {key} {document.get(key)!r} is not that of the League of Entropy "
                              f"chain {known.name} ({mine[key]!r})")
    return known


@dataclass(frozen=True)
class DrandRound:
    """One published round whose signature has been verified against its chain."""

    chain: DrandChain
    round: int
    signature: str
    previous_signature: str | None
    randomness: str

    @property
    def published(self) -> dt.datetime:
        return self.chain.round_datetime(self.round)

    def document(self) -> dict[str, Any]:
        """The round as the draw record carries it."""
        return {"round": self.round, "signature": self.signature, "previous_signature": self.previous_signature,
                "randomness": self.randomness}


def parse_round(data: str | bytes | Mapping[str, Any]) -> dict[str, Any]:
    """A round's published JSON (text or parsed) as {round, signature, previous_signature, randomness}.

    Accepts what drand relays serve (`round`, `signature`, `previous_signature` where chained,
    `randomness` in the v1 API). Hex may be upper or lower case; it is returned lowercase.
    """
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BeaconError(f"the drand round is not JSON: {exc}", field="beacon_round") from None
    if not isinstance(data, Mapping):
        raise BeaconError("the drand round must be a JSON object with round and signature", field="beacon_round")
    number = data.get("round")
    if isinstance(number, bool) or not isinstance(number, int):
        raise BeaconError(f"the drand round's 'round' must be a whole number, got {number!r}", field="beacon_round")
    _check_round(number)
    return {
        "round": number,
        "signature": _hex(data.get("signature"), "signature", required=True),
        "previous_signature": _hex(data.get("previous_signature"), "previous_signature"),
        "randomness": _hex(data.get("randomness"), "randomness"),
    }


def _hex(value: Any, name: str, *, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise BeaconError(f"the drand round has no {name}", field="beacon_round")
        return None
    if not isinstance(value, str) or len(value) % 2 or not _HEX.fullmatch(value.lower()):
        raise BeaconError(f"the drand round's {name} must be hex digits", field="beacon_round")
    return value.lower()


def _check_round(number: int) -> None:
    if not 1 <= number <= MAX_ROUND:
        raise BeaconError(f"a drand round number is between 1 and {MAX_ROUND}, got {number}", field="beacon_round")


def message(drand_chain: DrandChain, round_number: int, previous_signature: str | None) -> bytes:
    """The 32 bytes a round's signature signs."""
    if not drand_chain.chained:
        prefix = b""
    elif previous_signature is None:
        raise BeaconError("a round of a chained beacon signs the previous round's signature, which is missing",
                          field="previous_signature")
    else:
        prefix = bytes.fromhex(previous_signature)
    return hashlib.sha256(prefix + round_number.to_bytes(8, "big")).digest()


def randomness(signature: str) -> str:
    """A round's value: SHA-256 of its signature bytes, 64 lowercase hex digits."""
    return hashlib.sha256(bytes.fromhex(signature)).hexdigest()


def signature_valid(drand_chain: DrandChain, round_number: int, signature: str, previous_signature: str | None = None) -> bool:
    """Whether `signature` is the chain's BLS signature of round `round_number` (False for any malformed point)."""
    from py_arkworks_bls12381 import GT, G1Point, G2Point

    if drand_chain.chained and not previous_signature:
        return False
    if drand_chain.chained and round_number == 1 and previous_signature != drand_chain.genesis_seed:
        return False  # round 1 chains from the genesis seed itself
    try:
        sig = bytes.fromhex(signature)
        if len(sig) != drand_chain.signature_bytes:
            return False
        msg = message(drand_chain, round_number, previous_signature)
        key = bytes.fromhex(drand_chain.public_key)
        if drand_chain.chained:
            # e(g1, sig) == e(pk, H(m))  <=>  e(-g1, sig) . e(pk, H(m)) == 1
            return GT.pairing_check([-G1Point(), G1Point.from_compressed_bytes(key)],
                                    [G2Point.from_compressed_bytes(sig), G2Point.hash_to_curve(msg, DST_G2)])
        # e(sig, g2) == e(H(m), pk)  <=>  e(sig, g2) . e(-H(m), pk) == 1
        return GT.pairing_check([G1Point.from_compressed_bytes(sig), -G1Point.hash_to_curve(msg, DST_G1)],
                                [G2Point(), G2Point.from_compressed_bytes(key)])
    except ValueError:  # not hex, or not a point of the right subgroup (the binding raises ValueError)
        return False


def verify_round(drand_chain: DrandChain, data: str | bytes | Mapping[str, Any], *, expected_round: int | None = None) -> DrandRound:
    """Parse a round's JSON and check it: the committed round, a valid signature, the stated randomness.

    Raises `BeaconError` naming what is wrong; a forged or foreign signature is refused.
    """
    parsed = parse_round(data)
    number = parsed["round"]
    if expected_round is not None and number != expected_round:
        raise BeaconError(f"this is drand round {number}, but the commitment names round {expected_round}: only the "
                          "committed round may be used", field="beacon_round")
    sig, prev = parsed["signature"], parsed["previous_signature"]
    if len(sig) != 2 * drand_chain.signature_bytes:
        raise BeaconError(f"a {drand_chain.name} signature is {drand_chain.signature_bytes} bytes, this one is {len(sig) // 2}: "
                          "is the round from another chain?", field="beacon_round")
    if drand_chain.chained and prev is None:
        raise BeaconError(f"{drand_chain.name} is a chained network: the round must carry its previous_signature",
                          field="beacon_round")
    if not drand_chain.chained and prev is not None:
        raise BeaconError(f"{drand_chain.name} is an unchained network: a round has no previous_signature",
                          field="beacon_round")
    if not signature_valid(drand_chain, number, sig, prev):
        raise BeaconError(f"the signature of drand round {number} does not verify against the {drand_chain.name} public key: "
                          "the round is forged, altered, or from another chain", field="beacon_round")
    value = randomness(sig)
    if parsed["randomness"] is not None and parsed["randomness"] != value:
        raise BeaconError(f"drand round {number}: its randomness is not SHA-256 of its signature", field="beacon_round")
    return DrandRound(drand_chain, number, sig, prev, value)


__all__ = [
    "CHAINS",
    "DST_G1",
    "DST_G2",
    "MAINNET",
    "QUICKNET",
    "DrandChain",
    "DrandRound",
    "chain",
    "known_chain",
    "message",
    "parse_round",
    "randomness",
    "signature_valid",
    "verify_round",
]
