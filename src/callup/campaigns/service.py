"""Campaign use cases: one function per step, called by the command line, the web API and jobs.

create -> freeze (snapshot the eligible pool, pseudonymise, allocate) -> commit (publish the
commitment) -> draw (with the public beacon value) -> export (the public record); the allowed
order is the `CAMPAIGN` transition table in `campaigns.tables`.

Small steps take a `UnitOfWork` (the caller owns the transaction). Steps that touch the whole
pool take the `Context` and run as bulk jobs in one transaction each: interrupted, they leave
no trace and can be run again. A step re-run after it succeeded reports what it did
(`already_done`), unless it asks for something else (another beacon round or value), which is
refused: the commitment and the draw happen once. Steps run out of order change nothing.
Campaign steps are national: only an administrator (or the system) runs them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import pathlib
from collections.abc import Mapping
from typing import Any, cast

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Table, delete, select

from callup import csv_output
from callup.audit import PersonRead, bulk_record, person
from callup.campaigns import events, replacements
from callup.campaigns.errors import CampaignNotFound, CampaignStateError, PolicyChanged
from callup.campaigns.pool_store import read_pool_rows, write_pool_rows
from callup.campaigns.tables import CAMPAIGN, Call, Campaign, CampaignRegion, CampaignStatus, OrderEntry, PoolEntry
from callup.context import Context, Role
from callup.crypto import decrypt, encrypt
from callup.errors import InputError, NotFound
from callup.file_output import make_folder
from callup.lottery import DrawRecord, commit, fingerprint, pseudonymise, run_draw, write_pool
from callup.lottery.allocation import ExplicitAllocation, allocate, by_method, explicit, quotas_csv
from callup.lottery.apportionment import Method, Shortfall, apportion, over_call_regions, parse_rate, shortfall
from callup.lottery.beacon import parse_round
from callup.lottery.commitment import normalise_beacon
from callup.lottery.record import (
    AnyRecord,
    CommitmentV2,
    DrawRecordV2,
    allocation_csv,
    commitment_file,
    drand_beacon,
    load_commitment,
    unverified_beacon,
)
from callup.policy import Jurisdiction
from callup.questionnaire.service import left_out_of_pool
from callup.register.eligibility import eligible_pool_query
from callup.store.bulk import BulkSession
from callup.store.columns import as_date, enum_value as _status
from callup.store.isolation import Advance, run_job
from callup.uow import UnitOfWork

campaigns_t = cast(Table, Campaign.__table__)
regions_t = cast(Table, CampaignRegion.__table__)
METHODS = ("largest_remainder", "sainte_lague")
SALT_COLUMN = "campaigns.salt"  # associated data of the encrypted salt (see callup.crypto)
STEPS = (Role.administrator, Role.system)


# --- results ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Decree:
    """What a decree fixes: the campaign's name, window, national quota and how it is shared."""

    name: str
    window: tuple[dt.date, dt.date]
    quota: int
    over_call: str = "0"
    method: str = "largest_remainder"
    eligibility_date: dt.date | None = None


@dataclasses.dataclass(frozen=True)
class FreezeResult:
    campaign: str
    pool_size: int
    pool_fingerprint: str
    quota: int | None = None
    called_number: int | None = None
    volunteers: int | None = None
    already_done: bool = False
    left_out_by_questionnaire: int = 0


@dataclasses.dataclass(frozen=True)
class CommitResult:
    campaign: str
    commitment_hash: str
    commitment: dict[str, Any]
    already_done: bool


@dataclasses.dataclass(frozen=True)
class DrawResult:
    campaign: str
    seed: str
    called: int
    shortfall: int
    results_fingerprint: str
    already_done: bool


@dataclasses.dataclass(frozen=True)
class RegionSummary:
    region: str
    pool: int
    volunteers: int
    quota: int
    number: int
    called: int
    released: int


@dataclasses.dataclass(frozen=True)
class CampaignSummary:
    name: str
    status: str
    jurisdiction: str
    policy_version: str
    window: tuple[dt.date, dt.date]
    eligibility_date: dt.date
    quota: int
    over_call_rate: str
    allocation_method: str
    pool_size: int | None
    pool_fingerprint: str | None
    commitment_hash: str | None
    beacon_value: str | None
    seed: str | None
    regions: list[RegionSummary]
    called: int
    released: int
    shortfall: Shortfall | None = None  # once frozen: what the pools cannot fill of the quotas


@dataclasses.dataclass(frozen=True)
class CampaignListing:
    name: str
    status: str
    quota: int
    window_start: dt.date
    window_end: dt.date
    pool_size: int | None


@dataclasses.dataclass(frozen=True)
class PersonPlace:
    """What the summons and the portal show a person about the draw."""

    campaign: str
    national_id: str
    pseudonym: str
    region: str
    volunteer: bool
    region_pool: int | None
    region_number: int | None
    rank: int | None
    position: int | None
    status: str
    check: str


# --- helpers ------------------------------------------------------------------------------


_COLUMNS = ("id", "name", "status", "jurisdiction", "policy_sha256", "policy_version", "eligibility_date", "quota",
            "over_call_rate", "allocation_method", "commitment", "commitment_hash", "salt", "window_start", "window_end",
            "pool_size", "pool_fingerprint", "beacon_value", "seed", "record", "committed_at")


def _load(conn_or_bulk: Any, name: str) -> dict[str, Any]:
    """The campaign row as a dict; `CampaignNotFound` when there is none."""
    if isinstance(conn_or_bulk, BulkSession):
        rows = conn_or_bulk.fetch(f"SELECT {', '.join(_COLUMNS)} FROM campaigns WHERE name = ?", (name,))
        if not rows:
            raise CampaignNotFound(f"no campaign named {name!r}", field="name")
        return dict(zip(_COLUMNS, rows[0]))
    row = conn_or_bulk.execute(select(campaigns_t).where(campaigns_t.c.name == name)).mappings().first()
    if row is None:
        raise CampaignNotFound(f"no campaign named {name!r}", field="name")
    return dict(row)


def _subject(name: str) -> str:
    return f"campaign {name!r}"


def _locked_status(bulk: BulkSession, campaign_id: int) -> str:
    """The campaign's status, locked until the transaction ends, so a step started twice runs once.

    SQLite's immediate transactions already serialise writers; PostgreSQL needs the row lock.
    """
    lock = " FOR UPDATE" if bulk.dialect == "postgresql" else ""
    return bulk.fetch(f"SELECT status FROM campaigns WHERE id = ?{lock}", (campaign_id,))[0][0]


def _read_campaign(ctx: Context, name: str) -> dict[str, Any]:
    with UnitOfWork(ctx, write=False) as uow:
        return _load(uow.conn, name)


def _policy_for(ctx: Context, campaign: dict[str, Any], name: str) -> Jurisdiction:
    """The context's policy, refused unless it is byte for byte the file the campaign was created under."""
    jurisdiction = ctx.policy()
    if jurisdiction.sha256 != campaign["policy_sha256"]:
        raise PolicyChanged(f"{_subject(name)} was created under the policy file with SHA-256 "
                            f"{campaign['policy_sha256'][:16]}..., but {jurisdiction.source} has SHA-256 "
                            f"{jurisdiction.sha256[:16]}...: use the original policy file (--policy) so the same rules "
                            "decide the pool", field="policy")
    return jurisdiction


def _policy_bytes(jurisdiction: Jurisdiction) -> bytes:
    """The policy file's bytes, published with the campaign; refused if the file changed since it was read."""
    try:
        data = pathlib.Path(jurisdiction.source).read_bytes()
    except OSError as exc:
        raise PolicyChanged(f"{jurisdiction.source}: cannot read the policy file again to keep it with the campaign "
                            f"({exc.strerror or exc})", field="policy") from None
    if hashlib.sha256(data).hexdigest() != jurisdiction.sha256:
        raise PolicyChanged(f"{jurisdiction.source} changed while callup ran: run the command again", field="policy")
    return data


# --- create -------------------------------------------------------------------------------


def create_campaign(uow: UnitOfWork, decree: Decree) -> int:
    """Record the decree; returns the campaign id. Re-running with the same parameters is a no-op.

    Raises `InputError` naming the field for an impossible decree, `CampaignStateError` when a
    campaign of that name exists with other parameters.
    """
    uow.ctx.require(*STEPS, doing="creating a campaign")
    name = decree.name.strip()
    if not name:
        raise InputError("the campaign name must not be empty", field="name")
    if len(name) > 100:
        raise InputError(f"the campaign name has {len(name)} characters, at most 100 are allowed", field="name")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise InputError("the campaign name must not contain control characters", field="name")
    start, end = decree.window
    if end < start:
        raise InputError(f"the window ends ({end}) before it starts ({start})", field="window")
    if decree.quota < 0:
        raise InputError(f"the quota must be zero or more, got {decree.quota}", field="quota")
    if decree.method not in METHODS:
        raise InputError(f"{decree.method!r} is not one of {', '.join(METHODS)}", field="method")
    jurisdiction = uow.ctx.policy()
    on = decree.eligibility_date or start
    version = jurisdiction.in_force(on)
    limit = getattr(version.conscription, "max_over_call_rate", None)  # the policy's bound, when it sets one
    parse_rate(decree.over_call, maximum=None if limit is None else str(limit))
    values = dict(name=name, jurisdiction=jurisdiction.code, policy_sha256=jurisdiction.sha256, policy_version=version.version,
                  window_start=start, window_end=end, eligibility_date=on, quota=decree.quota,
                  over_call_rate=str(decree.over_call), allocation_method=decree.method)
    existing = uow.execute(select(campaigns_t).where(campaigns_t.c.name == name)).mappings().first()
    if existing is not None:
        differs = [k for k, v in values.items() if existing[k] != v]
        if differs:
            raise CampaignStateError(f"{_subject(name)} already exists with other {', '.join(differs)}")
        return existing["id"]
    if end < uow.ctx.today():  # its appointments could only lie in the past
        raise InputError(f"the window ended on {end}, before today ({uow.ctx.today()}): a campaign needs a window still to come",
                         field="window")
    campaign_id = uow.execute(campaigns_t.insert().values(**values, policy_file=_policy_bytes(jurisdiction), status=CampaignStatus.created,
                                                          created_at=uow.now())).inserted_primary_key[0]
    uow.record(events.CampaignCreated(
        target=events.campaign(name), quota=decree.quota, window=f"{start}/{end}", policy_version=version.version,
        policy_sha256=jurisdiction.sha256, over_call_rate=str(decree.over_call), allocation_method=decree.method))
    return campaign_id


def delete_campaign(uow: UnitOfWork, name: str) -> None:
    """Delete a campaign that was created but never frozen (e.g. its freeze failed); audited."""
    uow.ctx.require(*STEPS, doing="deleting a campaign")
    campaign = _load(uow.conn, name)
    CAMPAIGN.step(campaign["status"], "delete", subject=_subject(name))
    uow.execute(delete(campaigns_t).where(campaigns_t.c.id == campaign["id"]))
    uow.record(events.CampaignDeleted(target=events.campaign(name)))


def open_campaign(ctx: Context, decree: Decree, *, regional_quotas: Mapping[str, int] | None = None,
                  volunteers: list[str] | None = None, freeze: bool = True, advance: Advance = lambda n: None) -> FreezeResult | None:
    """Create the campaign (its own transaction) and, with `freeze`, freeze its pool (a bulk job).
    Explicit regional quotas are checked before anything is written."""
    check_regional_quotas(regional_quotas, decree.quota)
    with UnitOfWork(ctx) as uow:
        create_campaign(uow, decree)
    if not freeze:
        return None
    return freeze_campaign(ctx, decree.name.strip(), regional_quotas=regional_quotas, volunteers=volunteers, advance=advance)


def check_regional_quotas(quotas: Mapping[str, int] | None, national: int) -> None:
    """Explicit regional quotas must add up to the decree's national quota (`InputError` otherwise)."""
    if quotas is not None and sum(quotas.values()) != national:
        total = sum(quotas.values())
        raise InputError(f"the regional quotas add up to {total:,}, {'less' if total < national else 'more'} than "
                         f"the national quota {national:,} of the decree: they must be equal", field="regional_quotas")


def over_call_from_outcomes(outcomes: pathlib.Path) -> str:
    """The over-call that past yields imply: call 1/yield people per inductee, i.e. 1/yield - 1 extra."""
    from callup.planning.calibration import calibrate

    calibration = calibrate(outcomes)
    if calibration.induction_yield <= 0:
        raise InputError(f"{outcomes}: nobody was inducted in these outcomes, so no over-call follows from them",
                         field="over_call_from")
    return f"{calibration.called_per_inductee - 1:.4f}"


# --- freeze -------------------------------------------------------------------------------


def freeze_campaign(ctx: Context, name: str, *, regional_quotas: Mapping[str, int] | None = None,
                    volunteers: list[str] | None = None, key: bytes | None = None,
                    advance: Advance = lambda n: None) -> FreezeResult:
    """Snapshot the eligible pool, pseudonymise it and allocate the quota to regions.

    Volunteers (the register flag, or `volunteers` ids) go first only where the policy says so.
    The pseudonym key is random per campaign (so pseudonyms of two campaigns cannot be linked)
    and is not stored: the pool rows keep each person's pseudonym, which is all later steps need.
    """
    ctx.require(*STEPS, doing="freezing a campaign")
    campaign = _read_campaign(ctx, name)
    if _status(campaign["status"]) != CampaignStatus.created.value:  # a re-run: report what was frozen
        CAMPAIGN.step(CampaignStatus.created, "freeze", subject=_subject(name))
        return FreezeResult(name, campaign["pool_size"], campaign["pool_fingerprint"], already_done=True)
    jurisdiction = _policy_for(ctx, campaign, name)
    version = next(v for v in jurisdiction.versions if v.version == campaign["policy_version"])
    if regional_quotas is not None:
        unknown = set(regional_quotas) - set(jurisdiction.region_codes)
        if unknown:
            raise InputError(f"regional quotas name unknown regions: {sorted(unknown)}", field="regional_quotas")
        check_regional_quotas(regional_quotas, campaign["quota"])
    if volunteers and not version.conscription.volunteers_first:
        raise InputError(f"the policy {jurisdiction.code} {version.version} does not call volunteers first "
                         "(conscription.volunteers_first = false): a volunteers list would be ignored", field="volunteers")
    return run_job(ctx, _freeze_job, campaign["id"], name, version, campaign["eligibility_date"], campaign["quota"],
                   campaign["over_call_rate"], campaign["allocation_method"], dict(regional_quotas) if regional_quotas else None,
                   (volunteers or []) if version.conscription.volunteers_first else None, key or ctx.random(32),
                   advance=advance)


def _freeze_job(ctx: Context, campaign_id: int, name: str, version, on: dt.date, quota: int, rate: str, method: Method,  # noqa: ANN001
                regional_quotas: dict[str, int] | None, volunteers: list[str] | None, key: bytes, *,
                advance: Advance) -> FreezeResult:
    with BulkSession(ctx.database_url) as bulk:
        eligible = bulk.fetch_arrow(eligible_pool_query(version, as_date(on)))
        left_out = 0
        held_query = left_out_of_pool(version)  # people the policy's questionnaire routes elsewhere first
        if held_query is not None and len(eligible):
            held = bulk.fetch_arrow(held_query).column("national_id").cast(pa.string()).combine_chunks()
            keep = pc.invert(pc.is_in(eligible.column("national_id").cast(pa.string()), value_set=held))
            left_out = len(eligible) - int(pc.sum(keep).as_py() or 0)
            eligible = eligible.filter(keep)
        ids = eligible.column("national_id").cast(pa.string()).combine_chunks()
        regions = eligible.column("region").cast(pa.string()).combine_chunks()
        if volunteers is None:
            flags = pa.array([False] * len(ids), pa.bool_())
        else:
            registered = pc.not_equal(eligible.column("volunteer").cast(pa.int8()), 0)
            listed = pc.is_in(ids, value_set=pa.array(volunteers, pa.string()))
            flags = pc.or_(registered, listed)
            flags = flags.combine_chunks() if isinstance(flags, pa.ChunkedArray) else flags
        pseudonyms = pseudonymise(key, ids)
        advance(len(ids))
        pool = pa.table({"region": regions, "pseudonym": pseudonyms, "volunteer": flags})
        fp = fingerprint(pool)
        pools = {r: fp.regions[r].size for r in fp.regions}
        quotas = dict(regional_quotas) if regional_quotas is not None else apportion(pools, min(quota, sum(pools.values())), method=method)
        numbers = over_call_regions(quotas, rate)  # never capped at the pool: a shortfall is reported, not hidden
        with bulk.transaction():
            frozen = CAMPAIGN.step(_locked_status(bulk, campaign_id), "freeze", subject=_subject(name))  # frozen meanwhile?
            write_pool_rows(bulk, campaign_id, ids, regions, pseudonyms, flags)
            region_rows = sorted(set(pools) | set(quotas))
            bulk.append("campaign_regions", pa.table({
                "campaign_id": pa.array([campaign_id] * len(region_rows), pa.int32()),
                "region": pa.array(region_rows, pa.string()),
                "pool": pa.array([pools.get(r, 0) for r in region_rows], pa.int64()),
                "volunteers": pa.array([fp.regions[r].volunteers if r in fp.regions else 0 for r in region_rows], pa.int64()),
                "quota": pa.array([quotas.get(r, 0) for r in region_rows], pa.int32()),
                "number": pa.array([numbers.get(r, 0) for r in region_rows], pa.int32()),
            }))
            bulk.execute("UPDATE campaigns SET status = ?, pool_size = ?, pool_fingerprint = ?, frozen_at = ? WHERE id = ?",
                         (frozen, fp.size, fp.fingerprint, ctx.now(), campaign_id))
            bulk_record(bulk, ctx, events.CampaignFrozen(
                target=events.campaign(name), pool_size=fp.size, pool_fingerprint=fp.fingerprint, quota=sum(quotas.values()),
                to_call=sum(numbers.values()), volunteers=sum(r.volunteers for r in fp.regions.values()),
                left_out_by_questionnaire=left_out))
        bulk.analyze("campaign_pool", "campaign_regions")
        return FreezeResult(name, fp.size, fp.fingerprint, quota=sum(quotas.values()), called_number=sum(numbers.values()),
                            volunteers=int(pc.sum(flags).as_py() or 0), left_out_by_questionnaire=left_out)


# --- commit -------------------------------------------------------------------------------


def commit_campaign(ctx: Context, name: str, *, beacon_source: str | None = None, beacon_chain: str | None = None,
                    beacon_round: int | None = None, unverified: str | None = None) -> CommitResult:
    """Fix everything the draw depends on and return the commitment to publish before the beacon.

    Name a drand chain and a future round (`beacon_chain`, `beacon_round`: format 2, the round's
    signature is checked at the draw), or label an unverified beacon for a rehearsal
    (`unverified`: format 2). `beacon_source` alone makes a format-1 commitment (a free-text
    round, unsigned), kept for older procedures.
    """
    ctx.require(*STEPS, doing="committing a campaign")
    beacon = _beacon_spec(ctx, beacon_source, beacon_chain, beacon_round, unverified)
    campaign = _read_campaign(ctx, name)
    status = _status(campaign["status"])
    if status != CampaignStatus.frozen.value:
        if status == CampaignStatus.created.value:
            CAMPAIGN.step(status, "commit", subject=_subject(name))
        return _existing_commitment(name, campaign, beacon)
    return run_job(ctx, _commit_job, campaign["id"], name, beacon)


def _beacon_spec(ctx: Context, source: str | None, chain: str | None, round_number: int | None, unverified: str | None) -> Any:
    """What the commitment says about the beacon: a drand spec, an unverified spec, or format 1's text."""
    given = [x for x in (source, chain if chain or round_number else None, unverified) if x]
    if chain or round_number is not None:
        if not chain or round_number is None:
            raise InputError("name both the drand chain (--beacon-chain quicknet) and a future round (--beacon-round N)",
                             field="beacon_round" if chain else "beacon_chain")
    if len(given) != 1:
        raise InputError("name the beacon once: a drand chain and future round (--beacon-chain, --beacon-round), or an "
                         "unverified rehearsal beacon (--unverified-beacon LABEL)", field="beacon_chain")
    if chain and round_number is not None:
        return drand_beacon(chain, round_number, now=ctx.now())
    if unverified:
        return unverified_beacon(unverified)
    if source is None or not source.strip():
        raise InputError("name the future beacon round, e.g. 'drand quicknet round 12345678'", field="beacon_source")
    return source.strip()


def _existing_commitment(name: str, campaign: dict[str, Any], beacon: Any) -> CommitResult:
    """A re-run of the commit: the same commitment again, or a refusal if it asks for another beacon round."""
    commitment = load_commitment(campaign["commitment"])
    same = commitment.beacon == beacon if isinstance(commitment, CommitmentV2) else commitment.beacon_source == beacon
    if not same:
        raise CampaignStateError(f"{_subject(name)} is already committed to {commitment.describe_beacon()}; "
                                 "a commitment is made once and never replaced")
    return CommitResult(name, campaign["commitment_hash"], commitment.document(), already_done=True)


def _allocation(campaign: dict[str, Any], stored: dict[str, int], pools: dict[str, int]) -> Any:
    """The allocation the freeze used: the campaign's method over its quota, or else the explicit table it stored."""
    rate = str(campaign["over_call_rate"])
    method = by_method(int(campaign["quota"]), str(campaign["allocation_method"]), rate)
    if allocate(method, pools).quotas == {r: stored.get(r, 0) for r in sorted(set(pools) | set(stored))}:
        return method
    return explicit(stored, rate)


def _commit_job(ctx: Context, campaign_id: int, name: str, beacon: Any, *, advance: Advance) -> CommitResult:
    with BulkSession(ctx.database_url) as bulk:
        campaign = _load(bulk, name)
        _, pool = read_pool_rows(bulk, campaign_id)
        parameters = {"eligibility_date": str(campaign["eligibility_date"])[:10],
                      "window": f"{str(campaign['window_start'])[:10]}/{str(campaign['window_end'])[:10]}"}
        if isinstance(beacon, str):  # format 1
            numbers = dict(bulk.fetch("SELECT region, number FROM campaign_regions WHERE campaign_id = ?", (campaign_id,)))
            commitment, salt = commit(
                campaign=name, policy_version=campaign["policy_version"], pool=pool, numbers=numbers, beacon_source=beacon,
                parameters={"quota": int(campaign["quota"]), "over_call_rate": str(campaign["over_call_rate"]),
                            "allocation_method": str(campaign["allocation_method"]), **parameters},
                random=ctx.random,
            )
        else:
            stored = dict(bulk.fetch("SELECT region, quota FROM campaign_regions WHERE campaign_id = ?", (campaign_id,)))
            pools = {r: f.size for r, f in fingerprint(pool).regions.items()}
            commitment, salt = commit(
                campaign=name, policy_version=campaign["policy_version"], policy_sha256=campaign["policy_sha256"], pool=pool,
                allocation=_allocation(campaign, stored, pools), beacon=beacon, parameters=parameters, random=ctx.random)
        with bulk.transaction():
            committed = CAMPAIGN.step(_locked_status(bulk, campaign_id), "commit", subject=_subject(name))
            bulk.execute("UPDATE campaigns SET status = ?, commitment = ?, commitment_hash = ?, salt = ?, committed_at = ? "
                         "WHERE id = ?",
                         (committed, json.dumps(commitment.document(), sort_keys=True), commitment.digest,
                          encrypt(salt, SALT_COLUMN), ctx.now(), campaign_id))
            if isinstance(commitment, CommitmentV2):  # format 2 never caps a number at the pool: the shortfall shows
                for region, number in commitment.numbers.items():
                    bulk.execute("UPDATE campaign_regions SET number = ? WHERE campaign_id = ? AND region = ?",
                                 (number, campaign_id, region))
            bulk_record(bulk, ctx, events.CampaignCommitted(target=events.campaign(name), commitment_hash=commitment.digest,
                                                            beacon_source=commitment.describe_beacon()))
        return CommitResult(name, commitment.digest, commitment.document(), already_done=False)


# --- draw ---------------------------------------------------------------------------------


def draw_campaign(ctx: Context, name: str, *, beacon_value: str | None = None, beacon_round: str | None = None,
                  unverified: bool = False) -> DrawResult:
    """Run the committed draw with the beacon; store the call order, the calls and the record.

    A drand commitment takes the committed round's published JSON (`beacon_round`): its BLS
    signature is verified and any other round is refused. An unverified (rehearsal) commitment
    takes `beacon_value` with `unverified=True`; a format-1 commitment takes `beacon_value`.
    """
    ctx.require(*STEPS, doing="drawing a campaign")
    campaign = _read_campaign(ctx, name)
    status = _status(campaign["status"])
    if status in (CampaignStatus.created.value, CampaignStatus.frozen.value):
        CAMPAIGN.step(status, "draw", subject=_subject(name))
    commitment = load_commitment(campaign["commitment"])
    beacon = _beacon_input(commitment, beacon_value, beacon_round, unverified)
    if status in (CampaignStatus.drawn.value, CampaignStatus.closed.value):
        record = DrawRecord.from_json(campaign["record"])
        used = record.beacon if isinstance(record, DrawRecordV2) else None
        again = (parse_round(beacon)["signature"] == getattr(used, "signature", None) if beacon_round is not None
                 else record.beacon_value == normalise_beacon(beacon, format_version=commitment.version))
        if not again:
            raise CampaignStateError(f"{_subject(name)} has already been drawn with beacon {campaign['beacon_value']!r}")
        return DrawResult(name, record.seed, record.called_total, record.shortfall_total, record.results_fingerprint,
                          already_done=True)
    CAMPAIGN.step(status, "draw", subject=_subject(name))
    return run_job(ctx, _draw_job, campaign["id"], name, beacon)


def _beacon_input(commitment: Any, value: str | None, round_json: str | None, unverified: bool) -> str:
    """The beacon argument the commitment asks for, refusing the other kinds with a message naming the option."""
    spec = getattr(commitment, "beacon", None)
    if spec is not None and spec.kind == "drand":
        if round_json is None:
            raise InputError(f"the commitment names {spec.describe()}: give that round's published JSON with --beacon-round "
                             "(a file or the JSON text); a typed value is not accepted", field="beacon_round")
        parse_round(round_json)
        return round_json
    if round_json is not None:
        raise InputError(f"the commitment names {commitment.describe_beacon()}, not a drand round: draw with --beacon VALUE",
                         field="beacon_round")
    if value is None or not value.strip():
        raise InputError("the beacon value must not be empty", field="beacon")
    if spec is not None and not unverified:
        raise InputError(f"the commitment names an {spec.describe()}: a rehearsal; confirm with --unverified",
                         field="unverified")
    return value


def _draw_job(ctx: Context, campaign_id: int, name: str, beacon: str, *, advance: Advance) -> DrawResult:
    with BulkSession(ctx.database_url) as bulk:
        campaign = _load(bulk, name)
        commitment = load_commitment(campaign["commitment"])
        ids, pool = read_pool_rows(bulk, campaign_id)
        committed_at = campaign["committed_at"]
        if isinstance(committed_at, str):
            committed_at = dt.datetime.fromisoformat(committed_at)
        if committed_at is not None and committed_at.tzinfo is None:
            committed_at = committed_at.replace(tzinfo=dt.UTC)
        result, record = run_draw(commitment, decrypt(bytes(campaign["salt"]), SALT_COLUMN), beacon, pool,
                                  committed_at=committed_at if commitment.version >= 2 else None)
        order = pa.table({
            "campaign_id": pa.array([campaign_id] * len(ids), pa.int32()) if len(ids) else pa.array([], pa.int32()),
            "region": pool.column("region"), "position": pa.array(result.position, pa.int64()),
            "national_id": ids, "rank": pa.array(result.rank, pa.int64()), "called": pa.array(result.called, pa.bool_()),
        })
        order = order.sort_by([("region", "ascending"), ("position", "ascending")])  # primary-key order writes faster
        called = order.filter(order.column("called")).select(["campaign_id", "national_id", "region", "position"])
        order = order.drop_columns(["called"])
        called = called.append_column("source", pa.array(["draw"] * called.num_rows, pa.string()))
        called = called.append_column("called_at", pa.array([ctx.now()] * called.num_rows, pa.timestamp("us", tz="UTC")))
        with bulk.transaction():
            drawn = CAMPAIGN.step(_locked_status(bulk, campaign_id), "draw", subject=_subject(name))  # drawn meanwhile?
            bulk.append("campaign_order", order)
            bulk.append("campaign_calls", called)
            bulk.execute("UPDATE campaigns SET status = ?, beacon_value = ?, seed = ?, record = ?, drawn_at = ? WHERE id = ?",
                         (drawn, record.beacon_value, record.seed, record.to_json(), ctx.now(), campaign_id))
            bulk_record(bulk, ctx, events.CampaignDrawn(
                target=events.campaign(name), beacon_value=record.beacon_value, seed=record.seed, called=record.called_total,
                shortfall=record.shortfall_total, results_fingerprint=record.results_fingerprint))
        bulk.analyze("campaign_order", "campaign_calls")  # replacements join calls to calls: see BulkSession.analyze
        return DrawResult(name, record.seed, record.called_total, record.shortfall_total, record.results_fingerprint,
                          already_done=False)


# --- close --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CloseResult:
    campaign: str
    called: int
    released: int
    already_done: bool
    replacements: int = 0  # entries of the replacements record
    replacements_head: str | None = None  # hash of its last line, published with the final record


def close_campaign(uow: UnitOfWork, name: str) -> CloseResult:
    """Close a drawn campaign: nobody more is called or replaced in it; its cases and service records go on.

    Re-running on a closed campaign reports it (`already_done`); any other state is refused by
    the transition table.
    """
    uow.ctx.require(*STEPS, doing="closing a campaign")
    campaign = _load(uow.conn, name)
    calls = Call.__table__
    rows = uow.execute(select(calls.c.release_reason).where(calls.c.campaign_id == campaign["id"])).all()
    called, released = len(rows), sum(1 for r in rows if r.release_reason is not None)
    entries, head = replacements.replacements_head(uow.conn, campaign["id"])
    if _status(campaign["status"]) == CampaignStatus.closed.value:
        return CloseResult(name, called, released, True, entries, head)
    new = CAMPAIGN.step(campaign["status"], "close", subject=_subject(name))
    uow.execute(campaigns_t.update().where(campaigns_t.c.id == campaign["id"]).values(status=new))
    uow.record(events.CampaignClosed(target=events.campaign(name), called=called, released=released, replacements=entries,
                                     replacements_head=head))
    return CloseResult(name, called, released, False, entries, head)


# --- export -------------------------------------------------------------------------------


def export_campaign(ctx: Context, name: str, out: pathlib.Path) -> dict[str, str]:
    """Write the public record (commitment, pool file, draw record, allocation): no personal data.

    Returns {kind: path}. The directory is created; files of an earlier export are replaced.
    """
    ctx.require(Role.administrator, Role.auditor, Role.system, doing="exporting a campaign's public record")
    campaign = _read_campaign(ctx, name)
    if _status(campaign["status"]) == CampaignStatus.created.value:
        raise CampaignStateError(f"{_subject(name)} has no frozen pool to export yet")
    make_folder(out, field="out")
    return run_job(ctx, _export_job, campaign["id"], name, str(out))


def _export_job(ctx: Context, campaign_id: int, name: str, out: str, *, advance: Advance) -> dict[str, str]:
    directory = pathlib.Path(out)
    files: dict[str, str] = {}
    with BulkSession(ctx.database_url) as bulk:
        status, commitment, record, fp, policy_sha256, policy_file = bulk.fetch(
            "SELECT status, commitment, record, pool_fingerprint, policy_sha256, policy_file FROM campaigns WHERE id = ?",
            (campaign_id,))[0]
        _, pool = read_pool_rows(bulk, campaign_id)
        write_pool(pool, directory / "pool.parquet")
        files["pool"] = str(directory / "pool.parquet")
        regions = bulk.fetch("SELECT region, pool, volunteers, quota, number FROM campaign_regions WHERE campaign_id = ? "
                             "ORDER BY region", (campaign_id,))
    committed = load_commitment(commitment) if commitment else None
    if isinstance(committed, CommitmentV2):  # the layouts docs/lottery.md specifies
        (directory / "allocation.csv").write_bytes(allocation_csv(committed, pool))
        if isinstance(committed.allocation, ExplicitAllocation):
            (directory / "quotas.csv").write_bytes(quotas_csv(committed.allocation.quotas))
            files["quotas"] = str(directory / "quotas.csv")
    else:
        with open(directory / "allocation.csv", "w", newline="", encoding="utf-8") as fh:
            writer = csv_output.writer(fh, lineterminator="\r\n")
            writer.writerow(["region", "pool", "volunteers", "quota", "number"])
            writer.writerows(regions)
    files["allocation"] = str(directory / "allocation.csv")
    if committed is not None:
        (directory / "commitment.json").write_bytes(commitment_file(committed))
        files["commitment"] = str(directory / "commitment.json")
    if record:
        (directory / "draw-record.json").write_text(record, encoding="utf-8")
        files["record"] = str(directory / "draw-record.json")
        with UnitOfWork(ctx, write=False) as uow:
            if replacements.record_complete(uow.conn, campaign_id):
                (directory / "replacements.jsonl").write_bytes(replacements.replacements_file(uow.conn, campaign_id))
                files["replacements"] = str(directory / "replacements.jsonl")
            else:
                (directory / "replacements.jsonl").unlink(missing_ok=True)
                files["replacements_not_published"] = ("people were released or replaced before this campaign's "
                                                       "replacements record existed: it would miss them")
    policy = _published_policy(ctx, policy_sha256, policy_file)
    if policy is not None:
        (directory / "policy.toml").write_bytes(policy)
        files["policy"] = str(directory / "policy.toml")
    return files


def _published_policy(ctx: Context, sha256: str, stored: bytes | None) -> bytes | None:
    """The campaign's policy file: as kept with it, or (a campaign created before it was kept) the context's file if
    it is byte for byte the same; None when neither is."""
    if stored is not None:
        return bytes(stored)
    try:
        data = pathlib.Path(ctx.policy().source).read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == sha256 else None


# --- read ---------------------------------------------------------------------------------


def campaign_summary(uow: UnitOfWork, name: str) -> CampaignSummary:
    """A campaign's state and allocation; a regional actor sees only their regions' rows and counts."""
    calls = Call.__table__
    c = _load(uow.conn, name)
    query = select(regions_t.c.region, regions_t.c.pool, regions_t.c.volunteers, regions_t.c.quota, regions_t.c.number
                   ).where(regions_t.c.campaign_id == c["id"]).order_by(regions_t.c.region)
    scope = uow.ctx.region_filter(regions_t.c.region)
    if scope is not None:
        query = query.where(scope)
    rows = uow.execute(query).all()
    counted = select(calls.c.region, calls.c.release_reason).where(calls.c.campaign_id == c["id"])
    scope = uow.ctx.region_filter(calls.c.region)
    if scope is not None:
        counted = counted.where(scope)
    by_region: dict[str, list[int]] = {}
    for region, released in uow.execute(counted).all():
        slot = by_region.setdefault(region, [0, 0])
        slot[0 if released is None else 1] += 1
    regions = [RegionSummary(r.region, r.pool, r.volunteers, r.quota, r.number, *by_region.get(r.region, [0, 0])) for r in rows]
    return CampaignSummary(
        name=c["name"], status=_status(c["status"]), jurisdiction=c["jurisdiction"], policy_version=c["policy_version"],
        window=(c["window_start"], c["window_end"]), eligibility_date=c["eligibility_date"], quota=c["quota"],
        over_call_rate=c["over_call_rate"], allocation_method=c["allocation_method"], pool_size=c["pool_size"],
        pool_fingerprint=c["pool_fingerprint"], commitment_hash=c["commitment_hash"], beacon_value=c["beacon_value"],
        seed=c["seed"], regions=regions, called=sum(v[0] for v in by_region.values()),
        released=sum(v[1] for v in by_region.values()),
        shortfall=shortfall(c["quota"], {r.region: r.pool for r in regions}, {r.region: r.quota for r in regions}) if regions else None,
    )


def list_campaigns(uow: UnitOfWork, *, status: str | None = None, after: str | None = None,
                   limit: int | None = None) -> list[CampaignListing]:
    """Campaigns in creation order (of `status`); paged in the query: `limit` campaigns after the one named
    `after` (none when there is no such campaign)."""
    query = select(campaigns_t.c.name, campaigns_t.c.status, campaigns_t.c.quota, campaigns_t.c.window_start,
                   campaigns_t.c.window_end, campaigns_t.c.pool_size).order_by(campaigns_t.c.id)
    if status is not None:
        query = query.where(campaigns_t.c.status == status)
    if after is not None:
        query = query.where(campaigns_t.c.id > select(campaigns_t.c.id).where(campaigns_t.c.name == after).scalar_subquery())
    if limit is not None:
        query = query.limit(limit)
    rows = uow.execute(query).all()
    return [CampaignListing(r.name, _status(r.status), r.quota, r.window_start, r.window_end, r.pool_size) for r in rows]


def replacements_record(uow: UnitOfWork, name: str) -> bytes:
    """The drawn campaign's public replacements.jsonl, as it stands now (`callup.lottery.replacements`)."""
    campaign = _load(uow.conn, name)
    if not campaign["record"]:
        raise CampaignStateError(f"{_subject(name)} has not been drawn")
    return replacements.replacements_file(uow.conn, campaign["id"])


def draw_record(uow: UnitOfWork, name: str) -> AnyRecord:
    campaign = _load(uow.conn, name)
    if not campaign["record"]:
        raise CampaignStateError(f"{_subject(name)} has not been drawn")
    return DrawRecord.from_json(campaign["record"])


def person_in_campaign(uow: UnitOfWork, name: str, national_id: str, *, reason: str | None = None) -> PersonPlace:
    """A person's pseudonym, region, rank, place and call status in a campaign; the read is audited.

    With the pseudonym and the public record anyone can recompute the rank (`callup lottery
    rank`). `NotFound` when the person is not in the pool or is outside the actor's regions
    (the same answer, so it reveals nothing); a citizen sees only themselves.
    """
    pool, order, calls = PoolEntry.__table__, OrderEntry.__table__, Call.__table__
    national_id = national_id.strip()
    campaign = _load(uow.conn, name)
    entry = uow.execute(select(pool.c.region, pool.c.pseudonym, pool.c.volunteer).where(
        (pool.c.campaign_id == campaign["id"]) & (pool.c.national_id == national_id))).first()
    uow.ctx.check_visible(entry and entry.region, national_id, error=NotFound(f"that person is not in the frozen pool of campaign {name!r}"))
    uow.record(PersonRead(target=person(national_id), reason=reason, view=f"campaign:{name}"))
    place = uow.execute(select(order.c.rank, order.c.position).where(
        (order.c.campaign_id == campaign["id"]) & (order.c.national_id == national_id))).first()
    call = uow.execute(select(calls.c.source, calls.c.release_reason, calls.c.replaces).where(
        (calls.c.campaign_id == campaign["id"]) & (calls.c.national_id == national_id))).first()
    number = uow.execute(select(regions_t.c.number, regions_t.c.pool).where(
        (regions_t.c.campaign_id == campaign["id"]) & (regions_t.c.region == entry.region))).first()
    if call is None:
        state = "in reserve" if place is not None else "in the pool (not drawn yet)"
    elif call.release_reason is not None:
        state = f"released ({_status(call.release_reason)})"
    else:
        state = "called" if _status(call.source) == "draw" else "called as a replacement for a released person"
    return PersonPlace(
        campaign=name, national_id=national_id, pseudonym=entry.pseudonym, region=entry.region,
        volunteer=bool(entry.volunteer), region_pool=number.pool if number else None,
        region_number=number.number if number else None, rank=place.rank if place else None,
        position=place.position if place else None, status=state,
        check=f"callup lottery rank {entry.pseudonym} --record draw-record.json --pool pool.parquet",
    )
