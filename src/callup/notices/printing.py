"""Print letters: plan batches, then render each batch as one idempotent job.

Planning (one transaction) puts every unprinted live summons of a region, in postcode order,
into batches of at most 1,000 letters, and fixes each letter's page. A batch job holds its
batch's claim, a lock that dies with the worker (`claims`: a killed worker's batch is taken over
by the next run at once), removes the half-written files a killed worker left, renders the PDF
and the mailing manifest under temporary names and renames them into place, then in one
transaction marks the batch printed and its summonses sent, with one audit entry for the batch.
A job killed at any point leaves the batch to be printed again by the next run; no summons is
printed in two batches, and the manifest always matches the PDF because both are written before
the batch is marked.

On SQLite (one machine) a process pool runs the jobs; any number of workers on any number of
machines can share a PostgreSQL store the same way, since claims are advisory locks in the store.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import hashlib
import multiprocessing
import pathlib
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, cast

from sqlalchemy import Table, bindparam, func, insert, select, update

from callup.audit import AuditEvent
from callup.campaigns import calls
from callup.context import Context, Role
from callup.errors import InputError
from callup.file_output import make_folder
from callup.notices import claims
from callup.notices.errors import NoticeStateError
from callup.notices.rights import deadlines, issued_on, rights
from callup.notices.service import LIVE_VALUES, _campaign, _offices
from callup.notices.tables import BATCH, NOTICE, BatchStatus, NoticeBatch, Summons
from callup.register.queries import postal_addresses
from callup.store.steps import step_row, step_rows
from callup.uow import UnitOfWork

BATCH_SIZE = 1000
summonses, batches = cast(Table, Summons.__table__), cast(Table, NoticeBatch.__table__)


@dataclasses.dataclass(frozen=True, kw_only=True)
class BatchPrinted(AuditEvent):
    """notices.print: one batch of letters was printed (its PDF and manifest written, its summonses sent)."""

    action: ClassVar[str] = "notices.print"
    region: str
    seq: int
    letters: int
    file: str
    sha256: str


@dataclasses.dataclass(frozen=True)
class PrintResult:
    campaign: str
    batches_planned: int
    batches_printed: int
    letters: int
    directory: str
    files: list[str]
    queued: int = 0  # jobs queued for workers (with `queue`)


def plan_batches(uow: UnitOfWork, campaign: str, *, region: str | None = None) -> int:
    """Put every unprinted, unbatched live summons (of `region`, or all) into new batches; returns how many."""
    uow.ctx.require(Role.administrator, Role.system, doing="printing letters")
    c = _campaign(uow, campaign)
    where = [summonses.c.campaign_id == c.id, summonses.c.batch_id.is_(None), summonses.c.printed_at.is_(None),
             summonses.c.status.in_(LIVE_VALUES)]
    if region is not None:
        where.append(summonses.c.region == region)
    rows = uow.execute(select(summonses.c.id, summonses.c.region).where(*where)
                       .order_by(summonses.c.region, summonses.c.postcode, summonses.c.id)).all()
    created = 0
    by_region: dict[str, list[int]] = {}
    for r in rows:
        by_region.setdefault(r.region, []).append(r.id)
    for name, ids in by_region.items():
        seq = uow.execute(select(func.coalesce(func.max(batches.c.seq), 0)).where(batches.c.campaign_id == c.id,
                                                                                  batches.c.region == name)).scalar_one()
        for start in range(0, len(ids), BATCH_SIZE):
            chunk = ids[start:start + BATCH_SIZE]
            seq += 1
            batch_id = uow.execute(insert(batches).values(campaign_id=c.id, region=name, seq=seq, letters=len(chunk),
                                                          status=BatchStatus.planned)).inserted_primary_key[0]
            uow.execute(update(summonses).where(summonses.c.id == bindparam("sid"))
                        .values(batch_id=batch_id, page=bindparam("pg")),
                        [{"sid": summons_id, "pg": page} for page, summons_id in enumerate(chunk, start=1)])
            created += 1
    return created


def _candidates(ctx: Context, campaign_id: int, batch_id: int | None) -> list[int]:
    """The batches still to print (planned, or claimed by a worker that may have died), in printing order."""
    with UnitOfWork(ctx, write=False) as uow:
        query = (select(batches.c.id).where(batches.c.campaign_id == campaign_id, batches.c.status != BatchStatus.printed.value)
                 .order_by(batches.c.region, batches.c.seq))
        if batch_id is not None:
            query = query.where(batches.c.id == batch_id)
        return list(uow.execute(query).scalars())


def _start_printing(ctx: Context, batch_id: int) -> Any:
    """Mark a batch this worker holds the claim of as printing; its row, or None when it was printed meanwhile."""
    with UnitOfWork(ctx) as uow:
        row = uow.execute(select(batches).where(batches.c.id == batch_id)).mappings().first()
        if row is None or not BATCH.can(row["status"], "claim"):  # printed meanwhile
            return None
        step_row(uow, BATCH, batches, batch_id, row["status"], "claim", subject=f"print batch {batch_id}", claimed_at=ctx.now())
        return row


@contextlib.contextmanager
def _claimed(ctx: Context, campaign_id: int, batch_id: int | None = None) -> Iterator[Any]:
    """Hold the claim of the next batch to print (or of batch `batch_id`) while the block runs; yields its
    row, or None when every batch left is printed or held by a live worker. A batch whose worker died is
    taken over at once: its claim died with it (see `claims`)."""
    for candidate in _candidates(ctx, campaign_id, batch_id):
        with claims.hold(ctx, candidate) as mine:
            if mine and (row := _start_printing(ctx, candidate)) is not None:
                yield row
                return
    yield None


def _letters(uow: UnitOfWork, batch: Any, *, campaign: str, portal_url: str) -> list[Any]:
    return _letters_where(uow, batch["campaign_id"], summonses.c.batch_id == batch["id"], campaign=campaign, portal_url=portal_url)


def letter_of(uow: UnitOfWork, reference: str, *, portal_url: str) -> Any:
    """The letter of one summons (the portal's download; a reprint), if the actor may see that summons."""
    from callup.notices.service import _summons

    row = _summons(uow, reference)
    name = calls.campaign_names(uow, [row["campaign_id"]])[row["campaign_id"]]
    return _letters_where(uow, row["campaign_id"], summonses.c.id == row["id"], campaign=name, portal_url=portal_url,
                          reprint=True)[0]


def _letters_where(uow: UnitOfWork, campaign_id: int, where: Any, *, campaign: str, portal_url: str,
                   reprint: bool = False) -> list[Any]:
    from callup.notices.letters import Letter

    policy = uow.ctx.policy()
    offices = {o.code: o for o in _offices(uow, campaign_id)}
    regions = {r.code: r.name for r in policy.regions}
    rows = uow.execute(select(summonses).where(where).order_by(summonses.c.page)).mappings().all()
    postal = postal_addresses(uow, sorted({r["national_id"] for r in rows}))  # people not on the register get no letter
    rows = [r for r in rows if r["national_id"] in postal]
    today = uow.ctx.today()
    version = policy.in_force(today)
    named = tuple(r.code for r in rights(version))
    letters = []
    for r in rows:
        office = offices[r["office"]]
        # A batch is printed today; a reprint keeps the day the summons was issued, so its deadlines do not move.
        issued = issued_on(r["printed_at"], r["published_at"], today) if reprint else today
        due = deadlines(policy.in_force(issued), issued=issued, appointment=r["date"])
        letters.append(Letter(
            reference=r["reference"], name=postal[r["national_id"]][0],
            address_lines=tuple(part.strip() for part in str(postal[r["national_id"]][1]).split(",") if part.strip())[:4]
            + (r["postcode"],),
            postcode=r["postcode"], language=r["language"], pseudonym=r["pseudonym"], rank=r["rank"], region=r["region"],
            region_name=regions.get(r["region"], r["region"]), campaign=campaign, office_name=office.name,
            office_address=office.address, date=r["date"], start=r["start"], end=r["end"],
            legal_basis=version.notices.legal_basis or policy.name, policy_version=f"{policy.code} {version.version}",
            issued=issued, apply_by=due.apply_by, appeal_by=due.appeal_by, code=r["code"],
            portal_url=f"{portal_url.rstrip('/')}/s/{r['reference'].replace('-', '')}", rights=named))
    return letters


def _print_one(ctx: Context, batch: Any, campaign: str, out: pathlib.Path, portal_url: str) -> str:
    from callup.notices.letters import render_batch, write_manifest

    with UnitOfWork(ctx, write=False) as uow:
        letters = _letters(uow, batch, campaign=campaign, portal_url=portal_url)
    stem = f"{campaign}-{batch['region']}-{batch['seq']:04d}"
    pdf, manifest = out / f"{stem}.pdf", out / f"{stem}.csv"
    for leftover in (pdf, manifest):  # half-written files of a worker killed while holding this batch
        leftover.with_name(leftover.name + ".part").unlink(missing_ok=True)
    pages = render_batch(letters, pdf)
    write_manifest(letters, pages, manifest)
    digest = hashlib.sha256(pdf.read_bytes()).hexdigest()
    with UnitOfWork(ctx) as uow:
        now = ctx.now()
        step_rows(uow, NOTICE, summonses, summonses.c.batch_id == batch["id"], "send")  # created -> sent
        uow.execute(update(summonses).where(summonses.c.batch_id == batch["id"]).values(printed_at=now))
        step_row(uow, BATCH, batches, batch["id"], BatchStatus.printing, "print", subject=f"print batch {batch['id']}",
                 printed_at=now, file=str(pdf), manifest=str(manifest))
        uow.record(BatchPrinted(target=f"campaign:{campaign}", region=batch["region"], seq=batch["seq"],
                                letters=len(letters), file=pdf.name, sha256=digest))
    return str(pdf)


def drain(ctx: Context, campaign: str, out: str, portal_url: str) -> list[str]:
    """Print batches of `campaign` until none is left to claim; the PDFs this worker wrote."""
    out_dir = pathlib.Path(out)
    with UnitOfWork(ctx, write=False) as uow:
        campaign_id = _campaign(uow, campaign).id
    written: list[str] = []
    while True:
        with _claimed(ctx, campaign_id) as batch:
            if batch is None:
                return written
            written.append(_print_one(ctx, batch, campaign, out_dir, portal_url))


def print_batch_by_id(ctx: Context, campaign: str, batch_id: int, out: str, portal_url: str) -> str | None:
    """Print batch `batch_id` if it still needs printing (a queued job); the PDF written, or None."""
    with UnitOfWork(ctx, write=False) as uow:
        campaign_id = _campaign(uow, campaign).id
    make_folder(pathlib.Path(out), field="out")
    with _claimed(ctx, campaign_id, batch_id) as batch:
        return None if batch is None else _print_one(ctx, batch, campaign, pathlib.Path(out), portal_url)


def print_letters(ctx: Context, campaign: str, *, out: pathlib.Path, region: str | None = None, workers: int = 1,
                  portal_url: str = "https://portal.example",
                  enqueue: Callable[[list[int]], int] | None = None) -> PrintResult:
    """Plan the batches of `campaign` (one region or all) and print them with `workers` processes,
    or hand the batches still to print to `enqueue` (the job queue's, given by the edge: the
    queue sits above notices), which returns how many jobs it queued."""
    if workers < 1 or workers > 64:
        raise InputError(f"workers must be between 1 and 64, got {workers}", field="workers")
    make_folder(out, field="out")
    with UnitOfWork(ctx) as uow:
        if region is not None and region not in ctx.policy().region_codes:
            raise InputError(f"unknown region {region!r}", field="region")
        planned = plan_batches(uow, campaign, region=region)
        total = uow.execute(select(func.count()).where(summonses.c.campaign_id == _campaign(uow, campaign).id,
                                                       summonses.c.status.in_(LIVE_VALUES))).scalar_one()
    if total == 0:
        raise NoticeStateError(f"campaign {campaign!r} has no summonses to print: run `callup notices issue {campaign}` first")
    if enqueue is not None:
        with UnitOfWork(ctx, write=False) as uow:
            pending = uow.execute(select(batches.c.id).where(
                batches.c.campaign_id == calls.campaign_id(uow, campaign), batches.c.status != BatchStatus.printed.value)).scalars().all()
        return PrintResult(campaign, planned, 0, 0, str(out), [], queued=enqueue(list(pending)))
    if workers == 1:
        files = drain(ctx, campaign, str(out), portal_url)
    else:
        spawn = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=spawn) as pool:
            files = [f for part in pool.map(drain, [ctx] * workers, [campaign] * workers, [str(out)] * workers,
                                            [portal_url] * workers) for f in part]
    with UnitOfWork(ctx, write=False) as uow:
        letters = uow.execute(select(func.coalesce(func.sum(batches.c.letters), 0)).where(
            batches.c.file.in_(files) if files else batches.c.id < 0)).scalar_one()
    return PrintResult(campaign, planned, len(files), int(letters), str(out), sorted(files))
