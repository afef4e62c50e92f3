"""Campaign use cases: one function per step, called by the CLI and (later) the web API.

create -> freeze (snapshot the eligible pool, pseudonymise, allocate) -> commit (publish the
commitment) -> draw (with the public beacon value) -> export (the public record) -> replace.

Steps that touch the whole pool run as bulk jobs (`store.isolation.run_bulk`) in one
transaction each: interrupted, they leave no trace and can simply be run again. A step re-run
after it succeeded reports what it did (`already_done`), unless it asks for something else
(another beacon round or value), which is refused: the commitment and the draw happen once.
Steps run out of order raise `CampaignStateError` and change nothing.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import pathlib
import secrets
from collections.abc import Callable, Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine, select

from callup import audit
from callup.campaigns import events
from callup.campaigns.allocation import apportion, over_call_regions, parse_rate
from callup.campaigns.errors import CampaignNotFound, CampaignStateError, QuotaFileError
from callup.campaigns.pool_store import read_pool_rows, write_pool_rows
from callup.campaigns.tables import Campaign, CampaignRegion, CampaignStatus
from callup.lottery.commitment import normalise_beacon
from callup.lottery import Commitment, DrawRecord, commit, fingerprint, pseudonymise, run_draw, secure_random, write_pool
from callup.crypto import decrypt, encrypt
from callup.policy import Jurisdiction
from callup.register.eligibility import eligible_pool_query
from callup.store.bulk import BulkSession
from callup.store.isolation import Advance, bulk_url, run_bulk

campaigns_t = Campaign.__table__
regions_t = CampaignRegion.__table__
METHODS = ("largest_remainder", "sainte_lague")
SALT_COLUMN = "campaigns.salt"  # associated data of the encrypted salt (see callup.crypto)


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
    regions: list[dict[str, Any]]
    called: int
    released: int



def _load(conn_or_bulk: Any, name: str) -> dict[str, Any]:
    if isinstance(conn_or_bulk, BulkSession):
        rows = conn_or_bulk.fetch("SELECT id, status, policy_version, eligibility_date, quota, over_call_rate, "
                                  "allocation_method, commitment, salt, window_start, window_end FROM campaigns WHERE name = ?", (name,))
        if not rows:
            raise CampaignNotFound(f"no campaign named {name!r}")
        keys = ("id", "status", "policy_version", "eligibility_date", "quota", "over_call_rate", "allocation_method",
                "commitment", "salt", "window_start", "window_end")
        return dict(zip(keys, rows[0]))
    row = conn_or_bulk.execute(select(campaigns_t).where(campaigns_t.c.name == name)).mappings().first()
    if row is None:
        raise CampaignNotFound(f"no campaign named {name!r}")
    return dict(row)


def _status(value: Any) -> str:
    return getattr(value, "value", value)


def _locked_status(bulk: BulkSession, campaign_id: int) -> str:
    """The campaign's status, locked until the transaction ends, so a step started twice runs once.

    SQLite's immediate transactions already serialise writers; PostgreSQL needs the row lock.
    """
    lock = " FOR UPDATE" if bulk.dialect == "postgresql" else ""
    return bulk.fetch(f"SELECT status FROM campaigns WHERE id = ?{lock}", (campaign_id,))[0][0]


# --- create -------------------------------------------------------------------------------


def read_regional_quotas(path: pathlib.Path, regions: list[str]) -> dict[str, int]:
    """A `region,quota` CSV; every error names the file and line."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if reader.fieldnames is None or not {"region", "quota"} <= {f.strip().lower() for f in reader.fieldnames}:
                raise QuotaFileError(f"{path}: line 1: expected a header with columns region and quota")
            quotas: dict[str, int] = {}
            for line, row in enumerate(reader, start=2):
                row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
                region, text = row.get("region", ""), row.get("quota", "")
                if region not in regions:
                    raise QuotaFileError(f"{path}: line {line}: unknown region {region!r}")
                if region in quotas:
                    raise QuotaFileError(f"{path}: line {line}: region {region!r} listed twice")
                if not text.isdigit():
                    raise QuotaFileError(f"{path}: line {line}: quota must be a whole number >= 0, got {text!r}")
                quotas[region] = int(text)
    except FileNotFoundError:
        raise QuotaFileError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise QuotaFileError(f"{path}: not UTF-8 text") from None
    return quotas


def read_volunteers(path: pathlib.Path) -> list[str]:
    """A CSV with a `national_id` column listing volunteers."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if reader.fieldnames is None or "national_id" not in [f.strip().lower() for f in reader.fieldnames]:
                raise QuotaFileError(f"{path}: line 1: expected a header with a national_id column")
            key = next(f for f in reader.fieldnames if f.strip().lower() == "national_id")
            return [(row[key] or "").strip() for row in reader if (row[key] or "").strip()]
    except FileNotFoundError:
        raise QuotaFileError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise QuotaFileError(f"{path}: not UTF-8 text") from None


def create_campaign(
    engine: Engine,
    name: str,
    *,
    jurisdiction: Jurisdiction,
    window: tuple[dt.date, dt.date],
    quota: int,
    over_call: str = "0",
    method: str = "largest_remainder",
    eligibility_date: dt.date | None = None,
) -> int:
    """Record the decree; returns the campaign id. Re-running with the same parameters is a no-op."""
    start, end = window
    if end < start:
        raise QuotaFileError(f"--window: ends ({end}) before it starts ({start})")
    if quota < 0:
        raise QuotaFileError(f"--quota: must be zero or more, got {quota}")
    if method not in METHODS:
        raise QuotaFileError(f"--method: {method!r} is not one of {', '.join(METHODS)}")
    parse_rate(over_call)
    on = eligibility_date or start
    version = jurisdiction.in_force(on)
    values = dict(name=name, jurisdiction=jurisdiction.code, policy_sha256=jurisdiction.sha256, policy_version=version.version,
                  window_start=start, window_end=end, eligibility_date=on, quota=quota, over_call_rate=str(over_call),
                  allocation_method=method)
    with engine.begin() as conn:
        existing = conn.execute(select(campaigns_t).where(campaigns_t.c.name == name)).mappings().first()
        if existing is not None:
            differs = [k for k, v in values.items() if existing[k] != v]
            if differs:
                raise CampaignStateError(f"campaign {name!r} already exists with other {', '.join(differs)}")
            return existing["id"]
        campaign_id = conn.execute(campaigns_t.insert().values(**values, status=CampaignStatus.created)).inserted_primary_key[0]
        audit.record(conn, events.CampaignCreated(
            target=events.campaign(name), quota=quota, window=f"{start}/{end}", policy_version=version.version,
            policy_sha256=jurisdiction.sha256, over_call_rate=str(over_call), allocation_method=method))
    return campaign_id


# --- freeze -------------------------------------------------------------------------------


def freeze_campaign(engine: Engine, name: str, *, jurisdiction: Jurisdiction, regional_quotas: Mapping[str, int] | None = None,
                    volunteers: list[str] | None = None, key: bytes | None = None, advance: Advance = lambda n: None) -> dict[str, Any]:
    """Snapshot the eligible pool, pseudonymise it and allocate the quota to regions.

    Volunteers (the register flag, or `volunteers` ids) go first only where the policy says so.
    The pseudonym key is random per campaign (so pseudonyms of two campaigns cannot be linked)
    and is not stored: the pool rows keep each person's pseudonym, which is all later steps need.
    """
    with engine.connect() as conn:
        campaign = _load(conn, name)
    if _status(campaign["status"]) != CampaignStatus.created.value:  # a re-run: report what was frozen
        return {"campaign": name, "pool_size": campaign["pool_size"], "pool_fingerprint": campaign["pool_fingerprint"],
                "already_done": True}
    version = next(v for v in jurisdiction.versions if v.version == campaign["policy_version"])
    if regional_quotas is not None:
        unknown = set(regional_quotas) - set(jurisdiction.region_codes)
        if unknown:
            raise QuotaFileError(f"regional quotas name unknown regions: {sorted(unknown)}")
    return run_bulk(bulk_url(engine), _freeze_job, campaign["id"], name, version, campaign["eligibility_date"], campaign["quota"],
                    campaign["over_call_rate"], campaign["allocation_method"], dict(regional_quotas) if regional_quotas else None,
                    (volunteers or []) if version.conscription.volunteers_first else None, key or secrets.token_bytes(32),
                    advance=advance)


def _freeze_job(url: str, campaign_id: int, name: str, version, on: dt.date, quota: int, rate: str, method: str,  # noqa: ANN001
                regional_quotas: dict[str, int] | None, volunteers: list[str] | None, key: bytes, *, advance: Advance) -> dict[str, Any]:
    with BulkSession(url) as bulk:
        eligible = bulk.fetch_arrow(eligible_pool_query(version, dt.date.fromisoformat(str(on))))
        ids = eligible.column("national_id").cast(pa.string()).combine_chunks()
        regions = eligible.column("region").cast(pa.string()).combine_chunks()
        if volunteers is None:
            flags = pa.array([False] * len(ids), pa.bool_())
        else:
            registered = pc.not_equal(eligible.column("volunteer").cast(pa.int8()), 0)
            listed = pc.is_in(ids, value_set=pa.array(volunteers, pa.string()))
            flags = pc.or_(registered, listed).combine_chunks() if isinstance(registered, pa.ChunkedArray) else pc.or_(registered, listed)
        pseudonyms = pseudonymise(key, ids)
        advance(len(ids))
        pool = pa.table({"region": regions, "pseudonym": pseudonyms, "volunteer": flags})
        fp = fingerprint(pool)
        pools = {r: fp.regions[r].size for r in fp.regions}
        quotas = dict(regional_quotas) if regional_quotas is not None else apportion(pools, min(quota, sum(pools.values())), method=method)
        numbers = over_call_regions(quotas, rate, pools)
        with bulk.transaction():
            status = _locked_status(bulk, campaign_id)
            if status != CampaignStatus.created.value:  # another process froze it meanwhile
                raise CampaignStateError(f"campaign {name!r} is already {status}: its pool is frozen")
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
            bulk.execute("UPDATE campaigns SET status = 'frozen', pool_size = ?, pool_fingerprint = ?, frozen_at = CURRENT_TIMESTAMP "
                         "WHERE id = ?", (fp.size, fp.fingerprint, campaign_id))
            audit.record(bulk, events.CampaignFrozen(
                target=events.campaign(name), pool_size=fp.size, pool_fingerprint=fp.fingerprint, quota=sum(quotas.values()),
                to_call=sum(numbers.values()), volunteers=sum(r.volunteers for r in fp.regions.values())))
        return {"campaign": name, "pool_size": fp.size, "pool_fingerprint": fp.fingerprint,
                "quota": sum(quotas.values()), "called_number": sum(numbers.values()),
                "volunteers": int(pc.sum(flags).as_py() or 0), "already_done": False}


# --- commit -------------------------------------------------------------------------------


def commit_campaign(engine: Engine, name: str, *, beacon_source: str, random: Callable[[int], bytes] = secure_random) -> dict[str, Any]:
    """Fix everything the draw depends on and return the commitment to publish before the beacon."""
    with engine.connect() as conn:
        campaign = _load(conn, name)
    status = _status(campaign["status"])
    if status == CampaignStatus.created.value:
        raise CampaignStateError(f"campaign {name!r} has no frozen pool yet: run `callup campaign freeze {name}` first")
    if status != CampaignStatus.frozen.value:
        return _existing_commitment(name, campaign, beacon_source.strip())
    if not beacon_source.strip():
        raise QuotaFileError("--beacon-source: name the future beacon round, e.g. 'drand quicknet round 12345678'")
    return run_bulk(bulk_url(engine), _commit_job, campaign["id"], name, beacon_source.strip(), random)


def _existing_commitment(name: str, campaign: dict[str, Any], beacon_source: str) -> dict[str, Any]:
    """A re-run of the commit: the same commitment again, or a refusal if it asks for another beacon round."""
    document = json.loads(campaign["commitment"])
    if document["beacon_source"] != beacon_source:
        raise CampaignStateError(f"campaign {name!r} is already committed to {document['beacon_source']!r}; "
                                 "a commitment is made once and never replaced")
    return {"campaign": name, "commitment_hash": campaign["commitment_hash"], "commitment": document, "already_done": True}


def _commit_job(url: str, campaign_id: int, name: str, beacon_source: str, random: Callable[[int], bytes], *,
                advance: Advance) -> dict[str, Any]:
    with BulkSession(url) as bulk:
        campaign = _load(bulk, name)
        _, pool = read_pool_rows(bulk, campaign_id)
        numbers = dict(bulk.fetch("SELECT region, number FROM campaign_regions WHERE campaign_id = ?", (campaign_id,)))
        commitment, salt = commit(
            campaign=name, policy_version=campaign["policy_version"], pool=pool, numbers=numbers, beacon_source=beacon_source,
            parameters={"quota": int(campaign["quota"]), "over_call_rate": str(campaign["over_call_rate"]),
                        "allocation_method": str(campaign["allocation_method"]),
                        "eligibility_date": str(campaign["eligibility_date"])[:10],
                        "window": f"{str(campaign['window_start'])[:10]}/{str(campaign['window_end'])[:10]}"},
            random=random,
        )
        with bulk.transaction():
            status = _locked_status(bulk, campaign_id)
            if status != CampaignStatus.frozen.value:  # another process committed meanwhile
                raise CampaignStateError(f"campaign {name!r} was committed by another process meanwhile; run the commit "
                                         "again to see its commitment")
            bulk.execute("UPDATE campaigns SET status = 'committed', commitment = ?, commitment_hash = ?, salt = ?, "
                         "committed_at = CURRENT_TIMESTAMP WHERE id = ?",
                         (json.dumps(commitment.document(), sort_keys=True), commitment.digest, encrypt(salt, SALT_COLUMN), campaign_id))
            audit.record(bulk, events.CampaignCommitted(target=events.campaign(name), commitment_hash=commitment.digest,
                                                        beacon_source=beacon_source))
        return {"campaign": name, "commitment_hash": commitment.digest, "commitment": commitment.document(), "already_done": False}


# --- draw ---------------------------------------------------------------------------------


def draw_campaign(engine: Engine, name: str, *, beacon_value: str) -> dict[str, Any]:
    """Run the committed draw with the beacon value; store the call order, the calls and the record."""
    with engine.connect() as conn:
        campaign = _load(conn, name)
    status = _status(campaign["status"])
    if status in (CampaignStatus.created.value, CampaignStatus.frozen.value):
        raise CampaignStateError(f"campaign {name!r} has no commitment: run `callup campaign commit {name}` and publish "
                                 "the commitment before the beacon round, then draw")
    if status == CampaignStatus.drawn.value:
        record = DrawRecord.from_json(campaign["record"])
        if record.beacon_value != normalise_beacon(beacon_value):
            raise CampaignStateError(f"campaign {name!r} has already been drawn with beacon {campaign['beacon_value']!r}")
        return {"campaign": name, "seed": record.seed, "called": record.called_total, "shortfall": record.shortfall_total,
                "results_fingerprint": record.results_fingerprint, "already_done": True}
    if not beacon_value.strip():
        raise QuotaFileError("--beacon: the beacon value must not be empty")
    return run_bulk(bulk_url(engine), _draw_job, campaign["id"], name, beacon_value)


def _draw_job(url: str, campaign_id: int, name: str, beacon_value: str, *, advance: Advance) -> dict[str, Any]:
    with BulkSession(url) as bulk:
        campaign = _load(bulk, name)
        commitment = Commitment.model_validate(json.loads(campaign["commitment"]))
        ids, pool = read_pool_rows(bulk, campaign_id)
        result, record = run_draw(commitment, decrypt(bytes(campaign["salt"]), SALT_COLUMN), beacon_value, pool)
        order = pa.table({
            "campaign_id": pa.array([campaign_id] * len(ids), pa.int32()) if len(ids) else pa.array([], pa.int32()),
            "region": pool.column("region"), "position": pa.array(result.position, pa.int64()),
            "national_id": ids, "rank": pa.array(result.rank, pa.int64()), "called": pa.array(result.called, pa.bool_()),
        })
        order = order.sort_by([("region", "ascending"), ("position", "ascending")])  # primary-key order writes faster
        called = order.filter(order.column("called")).select(["campaign_id", "national_id", "region", "position"])
        order = order.drop_columns(["called"])
        called = called.append_column("source", pa.array(["draw"] * called.num_rows, pa.string()))
        with bulk.transaction():
            status = _locked_status(bulk, campaign_id)
            if status != CampaignStatus.committed.value:  # another process drew meanwhile
                raise CampaignStateError(f"campaign {name!r} was drawn by another process meanwhile: this draw did not run")
            bulk.append("campaign_order", order)
            bulk.append("campaign_calls", called)
            bulk.execute("UPDATE campaigns SET status = 'drawn', beacon_value = ?, seed = ?, record = ?, "
                         "drawn_at = CURRENT_TIMESTAMP WHERE id = ?", (record.beacon_value, record.seed, record.to_json(), campaign_id))
            audit.record(bulk, events.CampaignDrawn(
                target=events.campaign(name), beacon_value=record.beacon_value, seed=record.seed, called=record.called_total,
                shortfall=record.shortfall_total, results_fingerprint=record.results_fingerprint))
        return {"campaign": name, "seed": record.seed, "called": record.called_total, "shortfall": record.shortfall_total,
                "results_fingerprint": record.results_fingerprint, "already_done": False}


# --- export -------------------------------------------------------------------------------


def export_campaign(engine: Engine, name: str, out: pathlib.Path) -> dict[str, str]:
    """Write the public record: commitment, pool file, draw record, allocation. No personal data."""
    with engine.connect() as conn:
        campaign = _load(conn, name)
    if _status(campaign["status"]) in (CampaignStatus.created.value,):
        raise CampaignStateError(f"campaign {name!r} has no frozen pool to export yet")
    out.mkdir(parents=True, exist_ok=True)
    return run_bulk(bulk_url(engine), _export_job, campaign["id"], name, str(out))


def _export_job(url: str, campaign_id: int, name: str, out: str, *, advance: Advance) -> dict[str, str]:
    directory = pathlib.Path(out)
    files: dict[str, str] = {}
    with BulkSession(url) as bulk:
        status, commitment, record, fp = bulk.fetch(
            "SELECT status, commitment, record, pool_fingerprint FROM campaigns WHERE id = ?", (campaign_id,))[0]
        _, pool = read_pool_rows(bulk, campaign_id)
        write_pool(pool, directory / "pool.parquet")
        files["pool"] = str(directory / "pool.parquet")
        regions = bulk.fetch("SELECT region, pool, volunteers, quota, number FROM campaign_regions WHERE campaign_id = ? "
                             "ORDER BY region", (campaign_id,))
    with open(directory / "allocation.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["region", "pool", "volunteers", "quota", "number"])
        writer.writerows(regions)
    files["allocation"] = str(directory / "allocation.csv")
    if commitment:
        document = json.loads(commitment)
        (directory / "commitment.json").write_text(
            json.dumps({"commitment": document, "commitment_hash": Commitment.model_validate(document).digest}, indent=2,
                       sort_keys=True) + "\n", encoding="utf-8")
        files["commitment"] = str(directory / "commitment.json")
    if record:
        (directory / "draw-record.json").write_text(record, encoding="utf-8")
        files["record"] = str(directory / "draw-record.json")
    return files


# --- read ---------------------------------------------------------------------------------


def campaign_summary(engine: Engine, name: str) -> CampaignSummary:
    from callup.campaigns.tables import Call

    calls = Call.__table__
    with engine.connect() as conn:
        c = _load(conn, name)
        regions = [dict(r) for r in conn.execute(
            select(regions_t.c.region, regions_t.c.pool, regions_t.c.volunteers, regions_t.c.quota, regions_t.c.number)
            .where(regions_t.c.campaign_id == c["id"]).order_by(regions_t.c.region)).mappings()]
        counts = conn.execute(select(calls.c.region, calls.c.release_reason).where(calls.c.campaign_id == c["id"])).all()
    by_region: dict[str, list[int]] = {}
    for region, released in counts:
        slot = by_region.setdefault(region, [0, 0])
        slot[0 if released is None else 1] += 1
    for r in regions:
        r["called"], r["released"] = by_region.get(r["region"], [0, 0])
    return CampaignSummary(
        name=c["name"], status=_status(c["status"]), jurisdiction=c["jurisdiction"], policy_version=c["policy_version"],
        window=(c["window_start"], c["window_end"]), eligibility_date=c["eligibility_date"], quota=c["quota"],
        over_call_rate=c["over_call_rate"], allocation_method=c["allocation_method"], pool_size=c["pool_size"],
        pool_fingerprint=c["pool_fingerprint"], commitment_hash=c["commitment_hash"], beacon_value=c["beacon_value"],
        seed=c["seed"], regions=regions, called=sum(v[0] for v in by_region.values()),
        released=sum(v[1] for v in by_region.values()),
    )


def list_campaigns(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(campaigns_t.c.name, campaigns_t.c.status, campaigns_t.c.quota, campaigns_t.c.window_start,
                                   campaigns_t.c.window_end, campaigns_t.c.pool_size).order_by(campaigns_t.c.id)).mappings()
        return [{k: _status(v) for k, v in r.items()} for r in rows]


def draw_record(engine: Engine, name: str) -> DrawRecord:
    with engine.connect() as conn:
        campaign = _load(conn, name)
    if not campaign["record"]:
        raise CampaignStateError(f"campaign {name!r} has not been drawn")
    return DrawRecord.from_json(campaign["record"])


def person_in_campaign(engine: Engine, name: str, national_id: str, *, reason: str | None = None) -> dict[str, Any]:
    """What the summons and the portal show a person: pseudonym, region, rank, place, call status.

    With the pseudonym and the public record anyone can recompute the rank (`callup lottery rank`).
    """
    from callup.campaigns.tables import Call, OrderEntry, PoolEntry
    from callup.errors import NotFound

    pool, order, calls = PoolEntry.__table__, OrderEntry.__table__, Call.__table__
    with engine.begin() as conn:
        campaign = _load(conn, name)
        audit.record(conn, audit.PersonRead(target=audit.person(national_id), reason=reason, view=f"campaign:{name}"))
        entry = conn.execute(select(pool.c.region, pool.c.pseudonym, pool.c.volunteer).where(
            (pool.c.campaign_id == campaign["id"]) & (pool.c.national_id == national_id))).first()
        if entry is None:
            raise NotFound(f"{national_id} is not in the frozen pool of campaign {name!r}")
        place = conn.execute(select(order.c.rank, order.c.position).where(
            (order.c.campaign_id == campaign["id"]) & (order.c.national_id == national_id))).first()
        call = conn.execute(select(calls.c.source, calls.c.release_reason, calls.c.replaces).where(
            (calls.c.campaign_id == campaign["id"]) & (calls.c.national_id == national_id))).first()
        number = conn.execute(select(regions_t.c.number, regions_t.c.pool).where(
            (regions_t.c.campaign_id == campaign["id"]) & (regions_t.c.region == entry.region))).first()
    if call is None:
        state = "in reserve" if place is not None else "in the pool (not drawn yet)"
    elif call.release_reason is not None:
        state = f"released ({_status(call.release_reason)})"
    else:
        state = "called" if _status(call.source) == "draw" else "called as a replacement for a released person"
    return {
        "campaign": name, "national_id": national_id, "pseudonym": entry.pseudonym, "region": entry.region,
        "volunteer": bool(entry.volunteer), "region_pool": number.pool if number else None,
        "region_number": number.number if number else None, "rank": place.rank if place else None,
        "position": place.position if place else None, "status": state,
        "check": f"callup lottery rank {entry.pseudonym} --record draw-record.json --pool pool.parquet",
    }
