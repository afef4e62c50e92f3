"""`callup campaign ...`: decree, frozen pool, allocation, commitment, draw, export, replacements.

Parses options, builds the context, calls `campaigns.service` / `campaigns.replacements`, renders.
"""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Annotated, Any

import typer
from rich.table import Table

from callup.cli_output import console, emit, progress
from callup.cli_support import JsonOption, PolicyOption, context, keep_old_name, parse_date
from callup.errors import InputError

app = typer.Typer(help="Call-up campaigns: create, freeze, commit, draw, export, replace.", no_args_is_help=True)

NameArg = Annotated[str, typer.Argument(help="Campaign name, e.g. spring-2027.")]


def _window(text: str) -> tuple:
    start, sep, end = text.partition(":")
    if not sep:
        raise InputError(f"{text!r} is not START:END (e.g. 2026-04-01:2026-07-15)", field="window")
    return parse_date(start, option="--window start"), parse_date(end, option="--window end")


def _render_summary(s: dict[str, Any]) -> None:
    console.print(f"[bold]{s['name']}[/] ({s['status']}): quota {s['quota']:,}, over-call {s['over_call_rate']}, "
                  f"window {s['window'][0]}..{s['window'][1]}, policy {s['jurisdiction']} {s['policy_version']}, "
                  f"pool on {s['eligibility_date']}")
    if s["pool_fingerprint"]:
        console.print(f"  pool: {s['pool_size']:,} people, fingerprint {s['pool_fingerprint']}")
    if s["commitment_hash"]:
        console.print(f"  commitment: {s['commitment_hash']}")
    if s["seed"]:
        console.print(f"  beacon: {s['beacon_value']}  seed: {s['seed']}")
    if s["regions"]:
        table = Table("region", "pool", "volunteers", "quota", "to call", "called", "released", title="allocation")
        for r in s["regions"]:
            table.add_row(r["region"], f"{r['pool']:,}", f"{r['volunteers']:,}", f"{r['quota']:,}", f"{r['number']:,}",
                          f"{r['called']:,}", f"{r['released']:,}")
        table.add_row("total", f"{sum(r['pool'] for r in s['regions']):,}", f"{sum(r['volunteers'] for r in s['regions']):,}",
                      f"{sum(r['quota'] for r in s['regions']):,}", f"{sum(r['number'] for r in s['regions']):,}",
                      f"{s['called']:,}", f"{s['released']:,}", style="bold")
        console.print(table)
    short = s.get("shortfall")
    if short and short["total"]:
        pool = sum(r["pool"] for r in s["regions"])
        console.print(f"[bold red]shortfall[/]: the decree's quota of {s['quota']:,} exceeds what the eligible pool of "
                      f"{pool:,} can fill by {short['total']:,}")
    for region, missing in (short or {}).get("by_region", {}).items():
        console.print(f"[bold red]shortfall[/] in {region}: its quota exceeds its pool by {missing:,}")


def _summary(ctx, name: str) -> dict[str, Any]:  # noqa: ANN001
    from callup.campaigns.service import campaign_summary
    from callup.uow import UnitOfWork

    with UnitOfWork(ctx, write=False) as uow:
        summary = dataclasses.asdict(campaign_summary(uow, name))
    if summary["shortfall"] is None:  # not frozen yet: no allocation, nothing to say
        del summary["shortfall"]
    return summary


@app.command()
def create(
    name: NameArg,
    window: Annotated[str, typer.Option("--window", help="START:END of the campaign, e.g. 2026-04-01:2026-07-15.")],
    quota: Annotated[str, typer.Option("--quota", help="National quota of the decree (a whole number).")],
    policy: PolicyOption = None,
    regional_quotas: Annotated[pathlib.Path | None, typer.Option("--regional-quotas", help="CSV region,quota (instead of apportioning).")] = None,
    over_call: Annotated[str, typer.Option("--over-call", help="Extra share called for expected unfitness and deferrals, e.g. 0.35.")] = "0",
    over_call_from: Annotated[pathlib.Path | None, typer.Option("--over-call-from", help="Take the over-call from past campaign outcomes (CSV, see `callup plan calibrate`).")] = None,
    method: Annotated[str, typer.Option("--method", help="Apportionment: largest_remainder or sainte_lague.")] = "largest_remainder",
    on: Annotated[str | None, typer.Option("--on", help="Eligibility date of the pool; default the window start.")] = None,
    volunteers: Annotated[pathlib.Path | None, typer.Option("--volunteers", help="CSV with a national_id column of volunteers.")] = None,
    freeze: Annotated[bool, typer.Option("--freeze/--no-freeze", help="Freeze the pool now (default) or later with `campaign freeze`.")] = True,
    as_json: JsonOption = False,
) -> None:
    """Create a campaign from a decree and (by default) freeze its pool and regional allocation."""
    from callup.campaigns import service
    from callup.small_csv import whole_number

    number = whole_number(quota, where="--quota", field="quota", maximum=MAX_QUOTA)
    ctx = context(policy=policy)
    quotas, listed = _freeze_inputs(ctx, regional_quotas, volunteers)  # read before anything is written
    if over_call_from is not None:
        over_call = service.over_call_from_outcomes(over_call_from)
    decree = service.Decree(name=name, window=_window(window), quota=number, over_call=over_call, method=method,
                            eligibility_date=parse_date(on, option="--on") if on else None)
    with progress("freezing the pool", None, quiet=as_json or not freeze):
        try:
            frozen = service.open_campaign(ctx, decree, regional_quotas=quotas, volunteers=listed, freeze=freeze)
        except InputError as exc:  # the rate came from the outcomes file: name that option
            if over_call_from is None or exc.field != "over_call":
                raise
            raise InputError(exc.message, field="over_call_from") from None
    emit(_summary(ctx, name.strip()), as_json=as_json, render=_render_summary)
    _say_left_out(frozen, as_json=as_json)


def _say_left_out(frozen: object, *, as_json: bool) -> None:
    """The people the policy's self-declaration left out of the pool (on a route it names), said after the summary."""
    left = getattr(frozen, "left_out_by_questionnaire", 0)
    if left and not as_json:
        who = "1 person" if left == 1 else f"{left:,} people"
        console.print(f"  left out of the pool: {who} on a self-declaration list the policy names (the medical board "
                      "sees them first); nobody is left out for not answering")


#: The largest national quota a decree may set (the store keeps quotas as 32-bit integers).
MAX_QUOTA = 1_000_000_000


def _freeze_inputs(ctx, regional_quotas: pathlib.Path | None, volunteers: pathlib.Path | None) -> tuple:  # noqa: ANN001
    from callup.campaigns.inputs import read_regional_quotas, read_volunteers

    quotas = read_regional_quotas(regional_quotas, ctx.policy().region_codes) if regional_quotas else None
    return quotas, read_volunteers(volunteers) if volunteers else None


@app.command("freeze")
def freeze_(
    name: NameArg,
    policy: PolicyOption = None,
    regional_quotas: Annotated[pathlib.Path | None, typer.Option("--regional-quotas", help="CSV region,quota.")] = None,
    volunteers: Annotated[pathlib.Path | None, typer.Option("--volunteers", help="CSV with a national_id column of volunteers.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Snapshot the eligible pool of a created campaign; later register changes do not move the draw."""
    from callup.campaigns import service

    ctx = context(policy=policy)
    quotas, listed = _freeze_inputs(ctx, regional_quotas, volunteers)
    with progress("freezing the pool", None, quiet=as_json):
        frozen = service.freeze_campaign(ctx, name, regional_quotas=quotas, volunteers=listed)
    emit(_summary(ctx, name), as_json=as_json, render=_render_summary)
    _say_left_out(frozen, as_json=as_json)


@app.command()
def delete(name: NameArg, as_json: JsonOption = False) -> None:
    """Delete a campaign that was created but never frozen (for example after a failed freeze)."""
    from callup.campaigns import service
    from callup.uow import UnitOfWork

    with UnitOfWork(context()) as uow:
        service.delete_campaign(uow, name)
    emit({"campaign": name, "deleted": True}, as_json=as_json, render=lambda d: console.print(f"deleted campaign {d['campaign']}"))


@app.command("commit")
def commit_(
    name: NameArg,
    beacon_chain: Annotated[str | None, typer.Option("--beacon-chain", help="The drand chain whose round decides the draw: quicknet or default (mainnet).")] = None,
    beacon_round: Annotated[int | None, typer.Option("--beacon-round", help="A FUTURE round of that chain (its publication time is printed).")] = None,
    unverified_beacon: Annotated[str | None, typer.Option("--unverified-beacon", help="Rehearsal only: a label for a value typed in at the draw, signed by nobody.")] = None,
    beacon_source: Annotated[str | None, typer.Option("--beacon-source", help="Older procedure (record format 1): free text naming the round, unsigned.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Commit to the pool, the policy, the allocation, the beacon round and a secret salt; publish the printed hash before the round."""
    from callup.campaigns import service

    result = dataclasses.asdict(service.commit_campaign(context(), name, beacon_source=beacon_source, beacon_chain=beacon_chain,
                                                        beacon_round=beacon_round, unverified=unverified_beacon))

    def render(r: dict[str, Any]) -> None:

        console.print(f"commitment of {r['campaign']}: [bold]{r['commitment_hash']}[/]")
        beacon = r["commitment"].get("beacon")
        if beacon and beacon["kind"] == "drand":
            from callup.lottery.beacon import chain

            when = chain(beacon["chain"]).round_datetime(beacon["round"])
            console.print(f"publish it now, before drand {beacon['chain']} round {beacon['round']} is published "
                          f"({when:%Y-%m-%d %H:%M:%S} UTC); then draw with that round's JSON:")
            console.print(f"  callup campaign draw {r['campaign']} --beacon-round ROUND.json")
        elif beacon:
            console.print(f"[bold yellow]rehearsal[/]: unverified beacon ({beacon['source']}); draw with:")
            console.print(f"  callup campaign draw {r['campaign']} --beacon VALUE --unverified")
        else:
            console.print(f"publish it now; draw with the value of {r['commitment']['beacon_source']} once it is out:")
            console.print(f"  callup campaign draw {r['campaign']} --beacon VALUE")

    emit(result, as_json=as_json, render=render)


@app.command("draw")
def draw_(
    name: NameArg,
    beacon_round: Annotated[str | None, typer.Option("--beacon-round", help="The committed drand round's published JSON: a file, or the JSON text.")] = None,
    beacon: Annotated[str | None, typer.Option("--beacon", help="A typed beacon value (rehearsals with --unverified, or format-1 commitments).")] = None,
    unverified: Annotated[bool, typer.Option("--unverified", help="Confirm that the beacon is an unverified rehearsal value.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Draw: verify the beacon, rank every region's pool with the committed seed and call the first numbers."""
    from callup.campaigns import service

    ctx = context()
    round_json = _round_json(beacon_round) if beacon_round is not None else None
    with progress("drawing", None, quiet=as_json):
        result = service.draw_campaign(ctx, name, beacon_value=beacon, beacon_round=round_json, unverified=unverified)
    data = {**dataclasses.asdict(result), "summary": _summary(ctx, name)}

    def render(d: dict[str, Any]) -> None:
        console.print(f"drawn: {d['called']:,} called, shortfall {d['shortfall']:,}; seed {d['seed']}")
        _render_summary(d["summary"])

    emit(data, as_json=as_json, render=render)


def _round_json(value: str) -> str:
    """`--beacon-round`: JSON text as given, or the content of the file it names."""
    if value.lstrip().startswith("{"):
        return value
    path = pathlib.Path(value)
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the drand round ({exc.strerror or exc}); give a file or the round's JSON",
                         field="beacon_round") from None


@app.command()
def export(
    name: NameArg,
    out: Annotated[pathlib.Path, typer.Option("--out", help="Directory for the public record.")],
    as_json: JsonOption = False,
) -> None:
    """Write the public record (commitment, pool file, draw record, allocation): no personal data."""
    from callup.campaigns import service

    with progress("writing the public record", None, quiet=as_json):
        files = service.export_campaign(context(), name, out)

    def render(f: dict[str, str]) -> None:
        for kind, path in f.items():
            console.print(f"{kind}: {path}")
        if "record" in f:
            console.print(f"anyone can check it: callup verify {pathlib.Path(f['record']).parent}")

    emit(files, as_json=as_json, render=render)


@app.command()
def show(name: NameArg, as_json: JsonOption = False) -> None:
    """A campaign's state and regional allocation."""
    emit(_summary(context(), name), as_json=as_json, render=_render_summary)


@app.command("list")
def list_(as_json: JsonOption = False) -> None:
    """All campaigns."""
    from callup.campaigns import service
    from callup.uow import UnitOfWork

    with UnitOfWork(context(), write=False) as uow:
        rows = [dataclasses.asdict(r) for r in service.list_campaigns(uow)]

    def render(items: list[dict[str, Any]]) -> None:
        table = Table("name", "status", "quota", "window", "pool")
        for r in items:
            table.add_row(r["name"], r["status"], f"{r['quota']:,}", f"{r['window_start']}..{r['window_end']}",
                          f"{r['pool_size']:,}" if r["pool_size"] is not None else "-")
        console.print(table)

    emit(rows, as_json=as_json, render=render)


@app.command()
def replace(
    name: NameArg,
    national_id: Annotated[str | None, typer.Argument(help="National id of the called person to release.")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="deferred, exempted, unfit or left_pool.")] = None,
    file: Annotated[pathlib.Path | None, typer.Option("--file", help="CSV national_id,reason to process many at once.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Release called people and fill their calls: a supernumerary call of the region first, else the next in its reserve order (idempotent; each release is in the public replacements record).

    With --file, every row is released in one transaction: all or nothing."""
    from callup.campaigns.inputs import read_releases
    from callup.campaigns.replacements import filled_in_words, parse_reason
    from callup.notices.releases import release_many
    from callup.uow import UnitOfWork

    if file is not None:
        items = read_releases(file)
    elif national_id and reason:
        items = [(national_id, parse_reason(reason))]
    else:
        raise InputError("give NATIONAL_ID with --reason, or --file CSV", field="reason")
    with UnitOfWork(context()) as uow:
        results = [dataclasses.asdict(r) for r in release_many(uow, name, items)]

    def render(rs: list[dict[str, Any]]) -> None:
        for r in rs:
            # released before: who holds the call now, as it was done then
            got = (r["replacement"] or "nobody") if r["already_done"] else filled_in_words(r["filled_by"], r["replacement"], r["position"])
            note = " [dim](already done)[/]" if r["already_done"] else ""
            console.print(f"{r['released']} released ({r['reason']}) in {r['region']}; replaced by {got}{note}")

    emit(results, as_json=as_json, render=render)


@app.command()
def fairness(
    name: NameArg,
    out: Annotated[pathlib.Path | None, typer.Option("--out", help="Write a PNG plot here.")] = None,
    alpha: Annotated[float, typer.Option("--alpha", help="Overall significance level.")] = 0.01,
    as_json: JsonOption = False,
) -> None:
    """Test a drawn campaign: birth date and import order against rank (each at alpha / 2), and each region's selection rate against its number."""
    import math

    from callup.campaigns.fairness import campaign_fairness
    from callup.file_output import check_file

    if not (math.isfinite(alpha) and 0 < alpha < 1):
        raise InputError(f"must be a significance level between 0 and 1 (e.g. 0.01), got {alpha}", field="alpha")
    if out is not None:
        check_file(out, field="out")
    result = dataclasses.asdict(campaign_fairness(context(), name, alpha=alpha, plot=out))

    def render(d: dict[str, Any]) -> None:
        t = d["birth_date_test"]
        console.print(f"[bold]{d['campaign']}[/]: {t['n']:,} people in the call order")
        console.print(f"  Spearman rho (birth date vs rank share) {t['spearman_rho']:+.4f}, p = {t['spearman_p']:.3g}")
        console.print(f"  Kruskal-Wallis by birth month H = {t['kruskal_h']:.2f}, p = {t['kruskal_p']:.3g}")
        console.print(f"  chi-square month x tercile = {t['chi2']:.2f}, p = {t['chi2_p']:.3g}")
        console.print("[bold red]FLAGGED[/]: " + "; ".join(t["reasons"]) if t["flagged"]
                      else f"[green]no dependence between birth date and rank at alpha {t['alpha']}[/]")
        o = d["import_order_test"]
        if o is None:
            console.print("  import order: everyone in the pool came in one import batch, nothing to compare")
        else:
            console.print(f"  Spearman rho (import order vs rank share, {o['batches']} batches) {o['spearman_rho']:+.4f}, "
                          f"p = {o['spearman_p']:.3g}")
            console.print(f"  Kruskal-Wallis by import batch H = {o['kruskal_h']:.2f}, p = {o['kruskal_p']:.3g}")
            console.print(f"  chi-square batch x tercile = {o['chi2']:.2f}, p = {o['chi2_p']:.3g}")
            console.print("[bold red]FLAGGED[/]: " + "; ".join(o["reasons"]) if o["flagged"]
                          else f"[green]no dependence between import order and rank at alpha {o['alpha']}[/]")
        table = Table("region", "pool", "quota", "to call", "called by draw", "rate", "expected", title="selection by region")
        for r in d["regions"]:
            table.add_row(r["region"], f"{r['pool']:,}", f"{r['quota']:,}", f"{r['number']:,}", f"{r['called_by_draw']:,}",
                          f"{r['selection_rate']:.4f}", f"{r['expected_rate']:.4f}")
        console.print(table)
        if d["plot"]:
            console.print(f"plot written to {d['plot']}")

    emit(result, as_json=as_json, render=render)


@app.command()
def person(
    name: NameArg,
    national_id: Annotated[str, typer.Argument(help="National id.")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why you look this person up (written to the audit log).")] = None,
    as_json: JsonOption = False,
) -> None:
    """A person's place in a campaign: pseudonym (as on the summons), rank, call status. Audited."""
    from callup.campaigns import service
    from callup.uow import UnitOfWork

    with UnitOfWork(context()) as uow:
        data = dataclasses.asdict(service.person_in_campaign(uow, name, national_id, reason=reason))

    def render(d: dict[str, Any]) -> None:
        console.print(f"{d['national_id']} in {d['campaign']}: [bold]{d['status']}[/]")
        console.print(f"  pseudonym {d['pseudonym']} (region {d['region']}, pool {d['region_pool']:,}, calls {d['region_number']:,})")
        if d["rank"] is not None:
            console.print(f"  rank {d['rank']:,}, place in the call order {d['position']:,}")
        console.print(f"  anyone can check this against the public record: {d['check']}")

    emit(data, as_json=as_json, render=render)


@app.command("outcomes")
def outcomes_(
    name: NameArg,
    outcomes: Annotated[pathlib.Path | None, typer.Option("--outcomes", help="Also write the outcome table (the CSV `callup plan calibrate` reads).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Per region and nationally: quota, called, delivered, appeared, fitness, case outcomes, open cases, shortfall; checks that it adds up."""
    from callup.file_output import check_file, write_text
    from callup.reports.outcomes import campaign_report, outcomes_csv
    from callup.uow import UnitOfWork

    if outcomes is not None:
        check_file(outcomes, field="outcomes")
    with UnitOfWork(context(), write=False) as uow:
        result = campaign_report(uow, name)
    if outcomes is not None:
        write_text(outcomes, outcomes_csv(result), field="outcomes", private=False)
    data = dataclasses.asdict(result)

    def render(d: dict[str, Any]) -> None:
        codes = d["fitness_codes"]
        columns = ["quota", "called", "replacements", "delivered", "appeared", *(f"fit {c}" for c in codes), "deferred",
                   "exempted", "alt. service", "appealed", "inducted", "open", "shortfall"]
        table = Table("region", *columns, title=f"campaign {d['campaign']}")
        for r in [*d["regions"], d["national"]]:
            o = r["outcomes"]
            values = [r["quota"], r["called"], r["replacements"], r["delivered"], r["appeared"], *(r["fitness"].get(c, 0) for c in codes),
                      o["deferred"], o["exempted"], o["alternative_service"], r["appealed"], o["inducted"], r["open"], r["shortfall"]]
            table.add_row(r["region"], *(f"{v:,}" for v in values), style="bold" if r["region"] == "national" else None)
        console.print(table)
        console.print("every called person is in exactly one outcome; the identities hold in every region" if d["adds_up"]
                      else "[red]the report does not add up: see the identities in --json[/]")
        if outcomes is not None:
            console.print(f"outcome table written to {outcomes}")

    emit(data, as_json=as_json, render=render)


keep_old_name(app, "campaign report", new="campaign outcomes", command=outcomes_)


@app.command()
def close(
    name: NameArg,
    out: Annotated[pathlib.Path | None, typer.Option("--out", help="Also write the final public record (with replacements.jsonl) here.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Close a drawn campaign: nobody more is called or replaced in it (its cases and service go on)."""
    from callup.campaigns import service
    from callup.uow import UnitOfWork

    ctx = context()
    with UnitOfWork(ctx) as uow:
        result = dataclasses.asdict(service.close_campaign(uow, name))
    if out is not None:
        result["files"] = service.export_campaign(ctx, name, out)

    def render(r: dict[str, Any]) -> None:
        console.print(f"{r['campaign']} closed: {r['called']:,} called, {r['released']:,} released"
                      + (" [dim](already closed)[/]" if r["already_done"] else ""))
        console.print(f"replacements record: {r['replacements']:,} entries"
                      + (f", head {r['replacements_head']} (publish it: a later copy must extend it)" if r["replacements_head"] else ""))
        if r.get("files"):
            console.print(f"final public record written to {out}; anyone can check it: callup verify {out}")

    emit(result, as_json=as_json, render=render)
