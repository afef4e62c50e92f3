"""The commitment document and the draw record: what is published, before and after the draw.

`Commitment` is published before the beacon round exists; `DrawRecord` after the draw. The
record repeats the commitment document, reveals the salt, and states the beacon value, the
seed and, per region, the counts, the region's pool fingerprint, the rank key of the last
person called by lot, and the called pseudonyms in call order. Together with the pool file it
is everything a third party needs to re-run the draw (`verify`), and it holds no personal data.

Files are JSON with keys sorted and two-space indentation (`to_json`), so two exports of the
same record are byte-identical.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
from collections.abc import Mapping
from typing import Annotated, Literal

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from callup.lottery.commitment import RandomSource, commitment_hash, derive_seed, new_salt, normalise_beacon, salt_hash, secure_random
from callup.lottery.draw import DrawResult, check_numbers, draw
from callup.lottery.errors import LotteryError, NotCommitted, RecordError
from callup.lottery.pool import fingerprint
from callup.lottery.pseudonyms import to_hex

Hex64 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Hex32 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]

COMMITMENT_FORMAT = "callup-commitment/1"
RECORD_FORMAT = "callup-draw-record/1"


class Commitment(BaseModel):
    """The commitment document. Its hash (`digest`) is published before the beacon round.

    `numbers` is how many people each region calls (after over-call); `beacon_source` names
    the future beacon round whose value will be used (fixing it here stops anyone from
    choosing among rounds); `parameters` carries anything else the campaign wants bound
    (national quota, allocation method, over-call rate as a string...), strings/ints only.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["callup-commitment/1"] = COMMITMENT_FORMAT
    campaign: str = Field(min_length=1)
    policy_version: str
    pool_fingerprint: Hex64
    pool_size: int = Field(ge=0)
    numbers: dict[str, Annotated[int, Field(ge=0)]]
    beacon_source: str = Field(min_length=1)
    parameters: dict[str, str | int] = Field(default_factory=dict)
    salt_hash: Hex64

    def document(self) -> dict:
        """The document as plain JSON values (what is hashed)."""
        return self.model_dump(mode="json")

    @property
    def digest(self) -> str:
        """The commitment: SHA-256 of the canonical JSON of `document()`, hex."""
        return commitment_hash(self.document())


class RegionResult(BaseModel):
    """One region's outcome in the record."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pool: int = Field(ge=0)
    volunteers: int = Field(ge=0)
    number: int = Field(ge=0)
    called: int = Field(ge=0)
    volunteers_called: int = Field(ge=0)
    drawn: int = Field(ge=0)
    shortfall: int = Field(ge=0)
    pool_fingerprint: Hex64 | None
    cutoff_key: Hex32 | None
    called_pseudonyms: list[Hex32]


class DrawRecord(BaseModel):
    """The published draw record (format `callup-draw-record/1`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["callup-draw-record/1"] = RECORD_FORMAT
    commitment: Commitment
    commitment_hash: Hex64
    salt: Hex64
    beacon_value: str
    seed: Hex64
    pool_size: int = Field(ge=0)
    called_total: int = Field(ge=0)
    shortfall_total: int = Field(ge=0)
    regions: dict[str, RegionResult]
    results_fingerprint: Hex64

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str, *, source: str = "draw record") -> DrawRecord:
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(top level)"
            raise RecordError(f"{source}: {where}: {first['msg']}") from exc


def load_record(path: str | pathlib.Path) -> DrawRecord:
    """Read a draw record file; errors name the file, the key and the problem."""
    path = pathlib.Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise RecordError(f"{path}: no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordError(f"{path}: cannot read: {exc}") from exc
    return DrawRecord.from_json(text, source=str(path))


def commit(
    *,
    campaign: str,
    policy_version: str,
    pool: pa.Table,
    numbers: Mapping[str, int],
    beacon_source: str,
    parameters: Mapping[str, str | int] | None = None,
    random: RandomSource = secure_random,
) -> tuple[Commitment, bytes]:
    """Fingerprint the pool and build the commitment; returns it with the secret salt.

    The caller publishes `commitment.digest` (and may publish the document), keeps the salt
    secret until the draw, and stores both. All randomness comes from `random`.
    """
    fp = fingerprint(pool)
    salt = new_salt(random)
    commitment = Commitment(
        campaign=campaign,
        policy_version=policy_version,
        pool_fingerprint=fp.fingerprint,
        pool_size=fp.size,
        numbers=dict(sorted(check_numbers(numbers).items(), key=lambda kv: kv[0].encode("utf-8"))),
        beacon_source=beacon_source,
        parameters=dict(parameters or {}),
        salt_hash=salt_hash(salt),
    )
    return commitment, salt


def results_fingerprint(regions: Mapping[str, list[str]]) -> str:
    """SHA-256 over, per region in canonical order, each called person in call order:
    region UTF-8 || 0x1F || pseudonym (16 bytes) || 0x1E."""
    h = hashlib.sha256()
    for name in sorted(regions, key=lambda s: s.encode("utf-8")):
        prefix = name.encode("utf-8") + b"\x1f"
        for pseud in regions[name]:
            h.update(prefix + bytes.fromhex(pseud) + b"\x1e")
    return h.hexdigest()


def run_draw(commitment: Commitment | None, salt: bytes, beacon_value: str, pool: pa.Table, *, threads: int = 2) -> tuple[DrawResult, DrawRecord]:
    """Run the committed draw and build its record.

    Refuses (NotCommitted) without a commitment, and refuses (LotteryError) if the salt or the
    pool is not the one committed to. `DrawResult` rows are aligned with `pool`'s rows as given.
    """
    if commitment is None:
        raise NotCommitted("no commitment exists: commit the campaign before drawing")
    if salt_hash(salt) != commitment.salt_hash:
        raise LotteryError("the salt does not match the commitment's salt_hash")
    fp = fingerprint(pool)
    if fp.fingerprint != commitment.pool_fingerprint or fp.size != commitment.pool_size:
        raise LotteryError("the pool differs from the committed pool (fingerprint mismatch)")
    beacon_value = normalise_beacon(beacon_value)
    digest = commitment.digest
    seed = derive_seed(digest, salt, beacon_value)
    result, report = draw(pool, seed, commitment.numbers, threads=threads)
    pseud_hex = None
    regions: dict[str, RegionResult] = {}
    called_lists: dict[str, list[str]] = {}
    for name, rd in report.regions.items():
        rows = result.called_rows(name) if rd.pool else []
        if len(rows):
            if pseud_hex is None:
                pseud_hex = _pseudonym_column(pool)
            called_lists[name] = to_hex(pseud_hex.take(pa.array(rows))).to_pylist()
        else:
            called_lists[name] = []
        regions[name] = RegionResult(
            pool=rd.pool,
            volunteers=rd.volunteers,
            number=rd.number,
            called=rd.called,
            volunteers_called=rd.volunteers_called,
            drawn=rd.drawn,
            shortfall=rd.shortfall,
            pool_fingerprint=fp.regions[name].fingerprint if name in fp.regions else None,
            cutoff_key=rd.cutoff_key,
            called_pseudonyms=called_lists[name],
        )
    record = DrawRecord(
        commitment=commitment,
        commitment_hash=digest,
        salt=salt.hex(),
        beacon_value=beacon_value,
        seed=seed.hex(),
        pool_size=fp.size,
        called_total=report.called,
        shortfall_total=report.shortfall,
        regions=regions,
        results_fingerprint=results_fingerprint(called_lists),
    )
    return result, record


def _pseudonym_column(pool: pa.Table) -> pa.FixedSizeBinaryArray:
    from callup.lottery.pool import normalise_table

    return normalise_table(pool).column("pseudonym").combine_chunks()
