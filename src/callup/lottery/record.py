"""The commitment document and the draw record: what is published, before and after the draw.

`Commitment` is published before the beacon round exists; `DrawRecord` after the draw. The
record repeats the commitment document, reveals the salt, and states the beacon, the seed and,
per region, the counts, the region's pool fingerprint, the rank key of the last person called
by lot, and the called pseudonyms in call order. Together with the pool file it is everything a
third party needs to re-run the draw (`verify`), and it holds no personal data.

Two formats:

- format 2 (`callup-commitment/2`, `callup-draw-record/2`, what `commit` makes unless given
  format 1's arguments): RFC 8785 canonical JSON; the commitment binds the policy file's
  SHA-256, the allocation (a method and national quota, or an explicit quota table by its hash)
  and the beacon (a drand chain and round, or an explicitly unverified value); the record
  carries the drand round's signature, quota and shortfall per region and in total;
- format 1 (`callup-commitment/1`, `callup-draw-record/1`): kept so that campaigns committed
  or drawn before format 2 still draw and verify exactly as they did.

Files are JSON with keys sorted and two-space indentation (`to_json`), so two exports of the
same record are byte-identical; `commitment_file` is the exact bytes of `commitment.json`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import pathlib
from collections.abc import Mapping
from typing import Annotated, Any, Final, Literal

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from callup.lottery.allocation import Allocated, ExplicitAllocation, MethodAllocation, allocate, csv_field
from callup.lottery.beacon import DrandChain, DrandRound, known_chain, verify_round
from callup.lottery.commitment import (
    RandomSource,
    commitment_bytes,
    commitment_hash,
    derive_seed,
    new_salt,
    normalise_beacon,
    salt_hash,
    secure_random,
)
from callup.lottery.draw import DrawReport, DrawResult, check_numbers, draw
from callup.lottery.errors import BeaconError, LotteryError, NotCommitted, PoolError, RecordError
from callup.lottery.pool import EMPTY_FINGERPRINT, PoolFingerprint, check_region_name, fingerprint
from callup.lottery.pseudonyms import to_hex

Hex64 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Hex32 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
HexBytes = Annotated[str, StringConstraints(pattern=r"^([0-9a-f]{2})+$")]
Count = Annotated[int, Field(ge=0, le=2**53 - 1)]
UtcTime = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")]

COMMITMENT_FORMAT: Final = "callup-commitment/1"
RECORD_FORMAT: Final = "callup-draw-record/1"
COMMITMENT_FORMAT_2: Final = "callup-commitment/2"
RECORD_FORMAT_2: Final = "callup-draw-record/2"


def _region_names(value: dict[str, Any]) -> dict[str, Any]:
    for name in value:
        try:
            check_region_name(name)
        except PoolError as exc:
            raise ValueError(str(exc)) from None
    return value


# --- format 1 -----------------------------------------------------------------------------


class Commitment(BaseModel):
    """The format-1 commitment document. Its hash (`digest`) is published before the beacon round.

    `numbers` is how many people each region calls (after over-call); `beacon_source` names
    the future beacon round whose value will be used; `parameters` carries anything else the
    campaign wants bound (national quota, allocation method, over-call rate as a string...).
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

    def document(self) -> dict[str, Any]:
        """The document as plain JSON values (what is hashed)."""
        return self.model_dump(mode="json")

    @property
    def digest(self) -> str:
        """The commitment: SHA-256 of the canonical JSON of `document()`, hex."""
        return commitment_hash(self.document())

    @property
    def version(self) -> int:
        return 1

    def describe_beacon(self) -> str:
        return self.beacon_source


class RegionResult(BaseModel):
    """One region's outcome in a format-1 record."""

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


class _Record(BaseModel):
    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str, *, source: str = "draw record") -> AnyRecord:
        """A record of either format (dispatched on its `format`)."""
        return record_from_json(text, source=source)


class DrawRecord(_Record):
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

    @property
    def version(self) -> int:
        return 1


# --- format 2 -----------------------------------------------------------------------------


class DrandBeaconSpec(BaseModel):
    """A future round of a League of Entropy drand chain, with the chain's parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["drand"] = "drand"
    chain: str = Field(min_length=1)
    chain_hash: Hex64
    public_key: HexBytes
    scheme: str = Field(min_length=1)
    genesis_time: Count
    period: int = Field(ge=1, le=2**32 - 1)
    round: int = Field(ge=1, le=2**53 - 1)

    @property
    def drand_chain(self) -> DrandChain:
        """The built-in chain this names (refusing any parameter that differs from it)."""
        return known_chain(self.model_dump())

    def describe(self) -> str:
        return f"drand {self.chain} round {self.round}"


class UnverifiedBeaconSpec(BaseModel):
    """A value typed in by the office: not signed by anyone, for rehearsals only."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["unverified"] = "unverified"
    source: str = Field(min_length=1)

    def describe(self) -> str:
        return f"UNVERIFIED beacon ({self.source})"


BeaconSpec = Annotated[DrandBeaconSpec | UnverifiedBeaconSpec, Field(discriminator="kind")]


def drand_beacon(chain_name: str, round_number: int, *, now: dt.datetime | None = None) -> DrandBeaconSpec:
    """The beacon spec of a drand round; with `now`, refuse a round already published (or due within a minute)."""
    from callup.lottery.beacon import chain

    drand_chain = chain(chain_name)
    if isinstance(round_number, bool) or not isinstance(round_number, int) or round_number < 1:
        raise BeaconError(f"a drand round is a whole number >= 1, got {round_number!r}", field="beacon_round")
    if now is not None:
        published = drand_chain.round_datetime(round_number)
        if published <= now + dt.timedelta(minutes=1):
            suggestion = drand_chain.first_round_after(now, margin=dt.timedelta(hours=1))
            raise BeaconError(f"drand {drand_chain.name} round {round_number} is published at {published:%Y-%m-%d %H:%M:%S} UTC, "
                              f"not in the future: commit to a round nobody knows yet, e.g. {suggestion} "
                              f"({drand_chain.round_datetime(suggestion):%Y-%m-%d %H:%M:%S} UTC)", field="beacon_round")
    return DrandBeaconSpec(**drand_chain.document(), round=round_number)


def unverified_beacon(source: str) -> UnverifiedBeaconSpec:
    if not source.strip():
        raise LotteryError("name the unverified beacon (e.g. 'rehearsal: value read out at the ceremony')", field="beacon")
    return UnverifiedBeaconSpec(source=source.strip())


class CommitmentV2(BaseModel):
    """The format-2 commitment document; `digest` = SHA-256 of its RFC 8785 canonical JSON."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["callup-commitment/2"] = COMMITMENT_FORMAT_2
    campaign: str = Field(min_length=1)
    policy_version: str
    policy_sha256: Hex64
    pool_fingerprint: Hex64
    pool_size: Count
    allocation: MethodAllocation | ExplicitAllocation
    numbers: dict[str, Count]
    beacon: BeaconSpec
    parameters: dict[str, str | Count] = Field(default_factory=dict)
    salt_hash: Hex64

    @field_validator("numbers")
    @classmethod
    def _names(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _region_names(value)

    def document(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @property
    def digest(self) -> str:
        return commitment_hash(self.document())

    @property
    def version(self) -> int:
        return 2

    def describe_beacon(self) -> str:
        return self.beacon.describe()


class RegionResultV2(BaseModel):
    """One region's outcome in a format-2 record (every region of `numbers`, even with an empty pool)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pool: Count
    volunteers: Count
    quota: Count
    number: Count
    called: Count
    volunteers_called: Count
    drawn: Count
    shortfall: Count
    quota_shortfall: Count
    pool_fingerprint: Hex64
    cutoff_key: Hex32 | None
    called_pseudonyms: list[Hex32]


class DrandBeaconUsed(BaseModel):
    """The drand round the draw used, as published (its signature is re-checked by `verify`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["drand"] = "drand"
    round: int = Field(ge=1, le=2**53 - 1)
    signature: HexBytes
    previous_signature: HexBytes | None
    randomness: Hex64


class UnverifiedBeaconUsed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["unverified"] = "unverified"


class DrawRecordV2(_Record):
    """The published draw record (format `callup-draw-record/2`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["callup-draw-record/2"] = RECORD_FORMAT_2
    commitment: CommitmentV2
    commitment_hash: Hex64
    committed_at: UtcTime | None = None
    salt: Hex64
    beacon: Annotated[DrandBeaconUsed | UnverifiedBeaconUsed, Field(discriminator="kind")]
    beacon_value: str = Field(min_length=1)
    seed: Hex64
    pool_size: Count
    quota_total: Count
    number_total: Count
    called_total: Count
    shortfall_total: Count
    quota_shortfall_total: Count
    regions: dict[str, RegionResultV2]
    results_fingerprint: Hex64

    @property
    def version(self) -> int:
        return 2


AnyCommitment = Commitment | CommitmentV2
AnyRecord = DrawRecord | DrawRecordV2
_RECORDS: dict[str, type[DrawRecord] | type[DrawRecordV2]] = {RECORD_FORMAT: DrawRecord, RECORD_FORMAT_2: DrawRecordV2}


def record_from_json(text: str | bytes, *, source: str = "draw record") -> AnyRecord:
    """A draw record of either format from its JSON; errors name the source, the key and the problem."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RecordError(f"{source}: not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise RecordError(f"{source}: a draw record is a JSON object")
    form = data.get("format")
    cls = _RECORDS.get(form) if isinstance(form, str) else None
    if cls is None:
        raise RecordError(f"{source}: format: unknown record format {data.get('format')!r}; this verifier reads "
                          f"{' and '.join(_RECORDS)}")
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise RecordError(f"{source}: {where}: {first['msg']}") from None


def load_record(path: str | pathlib.Path) -> AnyRecord:
    """Read a draw record file of either format; errors name the file, the key and the problem."""
    path = pathlib.Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise RecordError(f"{path}: no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordError(f"{path}: cannot read: {exc}") from exc
    return record_from_json(text, source=str(path))


def load_commitment(document: Mapping[str, Any] | str, *, source: str = "commitment") -> AnyCommitment:
    """A commitment document of either format (as stored or published)."""
    try:
        data = json.loads(document) if isinstance(document, str) else dict(document)
        if isinstance(data, dict) and "commitment" in data and "format" not in data:  # a commitment.json of format 1
            data = data["commitment"]
        cls = CommitmentV2 if data.get("format") == COMMITMENT_FORMAT_2 else Commitment
        return cls.model_validate(data)
    except ValueError as exc:  # JSON or validation
        raise RecordError(f"{source}: not a commitment document: {exc}") from None


def commitment_file(commitment: AnyCommitment) -> bytes:
    """The bytes of `commitment.json`. Format 2: exactly the canonical JSON that is hashed, so
    `sha256sum commitment.json` prints the commitment. Format 1: {"commitment", "commitment_hash"}."""
    if isinstance(commitment, CommitmentV2):
        return commitment_bytes(commitment.document())
    return (json.dumps({"commitment": commitment.document(), "commitment_hash": commitment.digest}, indent=2,
                       sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def allocation_csv(commitment: CommitmentV2, pool: pa.Table | PoolFingerprint) -> bytes:
    """`allocation.csv`: `region,pool,volunteers,quota,number`, one line per region of `numbers` in UTF-8 byte order."""
    fp = pool if isinstance(pool, PoolFingerprint) else fingerprint(pool)
    allocated = allocate(commitment.allocation, {name: r.size for name, r in fp.regions.items()})
    lines = ["region,pool,volunteers,quota,number\n"]
    for name in sorted(commitment.numbers, key=lambda s: s.encode("utf-8")):
        region = fp.regions.get(name)
        lines.append(f"{csv_field(name)},{region.size if region else 0},{region.volunteers if region else 0},"
                     f"{allocated.quotas.get(name, 0)},{commitment.numbers[name]}\n")
    return "".join(lines).encode("utf-8")


# --- commit ---------------------------------------------------------------------------------


def commit(
    *,
    campaign: str,
    policy_version: str,
    pool: pa.Table,
    policy_sha256: str | None = None,
    allocation: MethodAllocation | ExplicitAllocation | None = None,
    beacon: DrandBeaconSpec | UnverifiedBeaconSpec | None = None,
    parameters: Mapping[str, str | int] | None = None,
    numbers: Mapping[str, int] | None = None,
    beacon_source: str | None = None,
    random: RandomSource = secure_random,
) -> tuple[AnyCommitment, bytes]:
    """Fingerprint the pool and build the commitment; returns it with the secret salt.

    Format 2 (give `policy_sha256`, `allocation` and `beacon`): the numbers per region follow
    from the allocation over the pool. Format 1 (give `numbers` and `beacon_source`) is kept for
    campaigns frozen before format 2. The caller publishes `commitment.digest` (and
    `commitment_file`), keeps the salt secret until the draw, and stores both. All randomness
    comes from `random`.
    """
    fp = fingerprint(pool)
    if numbers is not None or beacon_source is not None:
        if numbers is None or beacon_source is None or allocation is not None or beacon is not None:
            raise LotteryError("a format-1 commitment takes numbers and beacon_source (and no allocation or beacon)")
        salt = new_salt(random)
        return Commitment(
            campaign=campaign,
            policy_version=policy_version,
            pool_fingerprint=fp.fingerprint,
            pool_size=fp.size,
            numbers=dict(sorted(check_numbers(numbers).items(), key=lambda kv: kv[0].encode("utf-8"))),
            beacon_source=beacon_source,
            parameters=dict(parameters or {}),
            salt_hash=salt_hash(salt),
        ), salt
    if allocation is None or beacon is None or policy_sha256 is None:
        raise LotteryError("a commitment needs the policy file's SHA-256, an allocation and a beacon")
    allocated = allocate(allocation, {name: r.size for name, r in fp.regions.items()})
    salt = new_salt(random)
    try:
        commitment = CommitmentV2(
            campaign=campaign,
            policy_version=policy_version,
            policy_sha256=policy_sha256,
            pool_fingerprint=fp.fingerprint,
            pool_size=fp.size,
            allocation=allocation,
            numbers=allocated.numbers,
            beacon=beacon,
            parameters=dict(parameters or {}),
            salt_hash=salt_hash(salt),
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise LotteryError(f"commitment: {'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None
    commitment.digest  # noqa: B018 - refuse now what canonical JSON cannot hold, not at the draw
    return commitment, salt


# --- draw -----------------------------------------------------------------------------------


def results_fingerprint(regions: Mapping[str, list[str]]) -> str:
    """SHA-256 over, per region in canonical order, each called person in call order:
    region UTF-8 || 0x1F || pseudonym (16 bytes) || 0x1E."""
    h = hashlib.sha256()
    for name in sorted(regions, key=lambda s: s.encode("utf-8")):
        prefix = name.encode("utf-8") + b"\x1f"
        for pseud in regions[name]:
            h.update(prefix + bytes.fromhex(pseud) + b"\x1e")
    return h.hexdigest()


def resolve_beacon(commitment: CommitmentV2, beacon: str | bytes | Mapping[str, Any] | DrandRound) -> tuple[str, DrandBeaconUsed | UnverifiedBeaconUsed]:
    """The beacon value to seed with, checked against what the commitment named.

    A drand commitment takes the named round's published JSON (or a `DrandRound`): its
    signature must verify against the chain's public key and its round must be the committed
    one. An unverified commitment takes the typed value; nothing else is accepted for either.
    """
    spec = commitment.beacon
    if isinstance(spec, DrandBeaconSpec):
        drand_chain = spec.drand_chain
        if isinstance(beacon, DrandRound):
            if beacon.chain.chain_hash != drand_chain.chain_hash or beacon.round != spec.round:
                raise BeaconError(f"the commitment names drand {spec.chain} round {spec.round}, not {beacon.chain.name} "
                                  f"round {beacon.round}", field="beacon_round")
            checked = beacon
        else:
            if isinstance(beacon, str) and not beacon.lstrip().startswith("{"):
                raise BeaconError(f"the commitment names drand {spec.chain} round {spec.round}: give that round's published "
                                  "JSON (round, signature), not a plain value", field="beacon_round")
            checked = verify_round(drand_chain, beacon, expected_round=spec.round)
        return checked.randomness, DrandBeaconUsed(round=checked.round, signature=checked.signature,
                                                    previous_signature=checked.previous_signature, randomness=checked.randomness)
    if not isinstance(beacon, str):
        raise BeaconError(f"the commitment names an unverified beacon ({spec.source}): give the value as text",
                          field="beacon")
    return normalise_beacon(beacon), UnverifiedBeaconUsed()


def run_draw(
    commitment: AnyCommitment | None,
    salt: bytes,
    beacon: str | bytes | Mapping[str, Any] | DrandRound,
    pool: pa.Table,
    *,
    committed_at: dt.datetime | str | None = None,
    threads: int = 2,
) -> tuple[DrawResult, AnyRecord]:
    """Run the committed draw and build its record (in the commitment's format).

    Refuses (NotCommitted) without a commitment; refuses (LotteryError) if the salt or the pool
    is not the one committed to, and (BeaconError) a beacon other than the committed one or a
    drand round whose signature does not verify. `committed_at` (format 2) is when the office
    recorded the commitment, shown next to the beacon's publication time. `DrawResult` rows are
    aligned with `pool`'s rows as given.
    """
    if commitment is None:
        raise NotCommitted("no commitment exists: commit the campaign before drawing")
    if salt_hash(salt) != commitment.salt_hash:
        raise LotteryError("the salt does not match the commitment's salt_hash")
    fp = fingerprint(pool)
    if fp.fingerprint != commitment.pool_fingerprint or fp.size != commitment.pool_size:
        raise LotteryError("the pool differs from the committed pool (fingerprint mismatch)")
    if isinstance(commitment, CommitmentV2):
        value, used = resolve_beacon(commitment, beacon)
        allocated = allocate(commitment.allocation, {name: r.size for name, r in fp.regions.items()})
        if allocated.numbers != commitment.numbers:
            raise LotteryError("the commitment's numbers do not follow from its allocation over the pool")
        digest = commitment.digest
        seed, result, report, called_lists = _draw_called(digest, salt, value, pool, commitment.numbers, threads)
        regions2 = region_results(report, allocated, fp, called_lists)
        return result, DrawRecordV2(
            commitment=commitment,
            commitment_hash=digest,
            committed_at=_utc_text(committed_at),
            salt=salt.hex(),
            beacon=used,
            beacon_value=value,
            seed=seed.hex(),
            pool_size=fp.size,
            quota_total=allocated.quota_total,
            number_total=sum(commitment.numbers.values()),
            called_total=report.called,
            shortfall_total=report.shortfall,
            quota_shortfall_total=sum(r.quota_shortfall for r in regions2.values()) + allocated.unallocated,
            regions=regions2,
            results_fingerprint=results_fingerprint(called_lists),
        )
    if not isinstance(beacon, str):
        raise BeaconError("a format-1 commitment takes the beacon value as text", field="beacon")
    value = normalise_beacon(beacon, format_version=1)
    digest = commitment.digest
    seed, result, report, called_lists = _draw_called(digest, salt, value, pool, commitment.numbers, threads)
    regions = {name: RegionResult(
        pool=rd.pool, volunteers=rd.volunteers, number=rd.number, called=rd.called, volunteers_called=rd.volunteers_called,
        drawn=rd.drawn, shortfall=rd.shortfall, pool_fingerprint=fp.regions[name].fingerprint if name in fp.regions else None,
        cutoff_key=rd.cutoff_key, called_pseudonyms=called_lists[name]) for name, rd in report.regions.items()}
    return result, DrawRecord(
        commitment=commitment, commitment_hash=digest, salt=salt.hex(), beacon_value=value, seed=seed.hex(),
        pool_size=fp.size, called_total=report.called, shortfall_total=report.shortfall, regions=regions,
        results_fingerprint=results_fingerprint(called_lists))


def _draw_called(digest: str, salt: bytes, value: str, pool: pa.Table, numbers: Mapping[str, int],
                 threads: int) -> tuple[bytes, DrawResult, DrawReport, dict[str, list[str]]]:
    """The seed, the draw and each region's called pseudonyms (hex, in call order)."""
    seed = derive_seed(digest, salt, value)
    result, report = draw(pool, seed, numbers, threads=threads)
    pseud = None
    called_lists: dict[str, list[str]] = {}
    for name, rd in report.regions.items():
        rows = result.called_rows(name) if rd.pool else None
        if rows is not None and len(rows):
            if pseud is None:
                pseud = _pseudonym_column(pool)
            called_lists[name] = to_hex(pseud.take(pa.array(rows))).to_pylist()
        else:
            called_lists[name] = []
    return seed, result, report, called_lists


def region_results(report: DrawReport, allocated: Allocated, fp: PoolFingerprint, called_lists: Mapping[str, list[str]]) -> dict[str, RegionResultV2]:
    """Format-2 region entries: one per region of the allocation, in UTF-8 byte order."""
    out = {}
    for name in sorted(allocated.numbers, key=lambda s: s.encode("utf-8")):
        rd = report.regions[name]
        quota = allocated.quotas[name]
        out[name] = RegionResultV2(
            pool=rd.pool, volunteers=rd.volunteers, quota=quota, number=rd.number, called=rd.called,
            volunteers_called=rd.volunteers_called, drawn=rd.drawn, shortfall=rd.shortfall,
            quota_shortfall=max(0, quota - rd.called),
            pool_fingerprint=fp.regions[name].fingerprint if name in fp.regions else EMPTY_FINGERPRINT,
            cutoff_key=rd.cutoff_key, called_pseudonyms=list(called_lists.get(name, [])))
    return out


def _utc_text(when: dt.datetime | str | None) -> str | None:
    if when is None or isinstance(when, str):
        return when
    if when.tzinfo is None:
        raise LotteryError("committed_at must be an aware datetime (UTC)")
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _pseudonym_column(pool: pa.Table) -> pa.FixedSizeBinaryArray:
    from callup.lottery.pool import normalise_table

    return normalise_table(pool).column("pseudonym").combine_chunks()
