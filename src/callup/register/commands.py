"""`callup register ...` and `callup synth`: the register of people liable for service."""

from __future__ import annotations

import pathlib
from typing import Annotated, Any

import typer

from callup.cli_output import console, emit, progress
from callup.cli_support import JsonOption, PolicyOption, context, parse_date

app = typer.Typer(help="The register: import from the population register, statistics, eligibility.", no_args_is_help=True)


@app.command("import")
def import_(
    file: Annotated[pathlib.Path, typer.Argument(help="Register file: .csv (UTF-8, header row) or .parquet.")],
    policy: PolicyOption = None,
    rejects: Annotated[pathlib.Path | None, typer.Option("--rejects", help="Where to write rejected rows; default FILE.rejects.csv.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Import again a file that was already imported completely.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Import (or update from) a population register file. Bad rows go to a rejects file with line and reason.

    Re-running the same file is safe: an interrupted import resumes, a finished one is not repeated.
    """
    from callup.register.importer import import_register
    from callup.register.reader import count_rows

    ctx = context(policy=policy)
    with progress(f"importing {file.name}", count_rows(file), quiet=as_json) as advance:
        report = import_register(ctx, file, rejects_path=rejects, force=force, advance=advance)

    def render(r: Any) -> None:
        if r.already_done:
            console.print(f"{r.source}: already imported as import #{r.import_id} (use --force to import it again)")
        console.print(f"import #{r.import_id} of {r.source}: {r.rows_read:,} rows read, [green]{r.rows_imported:,} imported[/], "
                      f"[{'red' if r.rows_rejected else 'green'}]{r.rows_rejected:,} rejected[/]"
                      + (f" (resumed after row {r.resumed_from:,})" if r.resumed_from else ""))
        if r.reject_reasons:
            from rich.table import Table

            table = Table("reason", "rows", title="rejects")
            for reason, n in r.reject_reasons.items():
                table.add_row(reason, f"{n:,}")
            console.print(table)
            console.print(f"every rejected row, with its line: {r.rejects_file}")

    emit(report.__dict__, as_json=as_json, render=lambda d: render(report))


@app.command()
def abandon(
    number: Annotated[int, typer.Argument(help="The import's number (see `callup register stats`).")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why it is abandoned (kept in the audit log).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Mark an interrupted or failed import abandoned: it is never resumed; the rows it loaded stay (audited)."""
    from callup.register.importer import abandon_import

    result = abandon_import(context(), number, reason=reason)
    emit(result, as_json=as_json, render=lambda d: console.print(
        f"import #{d['import_id']} ({d['was']}, {d['rows_imported']:,} rows loaded) is now abandoned; "
        "running its file again starts a new import"))


@app.command()
def stats(as_json: JsonOption = False) -> None:
    """Counts of the register: people by civil status, sex and region; recent imports."""
    from callup.register.queries import register_stats
    from callup.uow import UnitOfWork

    with UnitOfWork(context(), write=False) as uow:
        report = register_stats(uow)

    def render(d: dict[str, Any]) -> None:
        console.print(f"[bold]{d['people']:,}[/] people on the register; {d['volunteers']:,} volunteers")
        console.print("  " + ", ".join(f"{k}: {v:,}" for k, v in d["by_civil_status"].items()))
        console.print("  " + ", ".join(f"{k}: {v:,}" for k, v in d["by_sex"].items()))
        regions = sorted(d["by_region"].items(), key=lambda kv: -kv[1])
        console.print(f"  {len(regions)} regions, largest {regions[0][0] if regions else '-'} ({regions[0][1] if regions else 0:,}), "
                      f"smallest {regions[-1][0] if regions else '-'} ({regions[-1][1] if regions else 0:,})")
        for imp in d["imports"]:
            console.print(f"  import #{imp['id']} {imp['status']}: {imp['source']} ({imp['rows_imported']:,} imported, {imp['rows_rejected']:,} rejected)")

    emit(report.__dict__, as_json=as_json, render=render)


@app.command()
def show(national_id: Annotated[str, typer.Argument(help="National id.")],
         reason: Annotated[str | None, typer.Option("--reason", help="Why you look at this record (kept in the audit log).")] = None,
         as_json: JsonOption = False) -> None:
    """One person's register record (the reading is recorded in the audit log)."""
    from callup.register.queries import get_person
    from callup.uow import UnitOfWork

    with UnitOfWork(context()) as uow:
        record = get_person(uow, national_id, reason=reason)

    def render(d: dict[str, Any]) -> None:
        from rich.table import Table

        table = Table(show_header=False, box=None)
        for key, value in d.items():
            table.add_row(key, "" if value is None else str(value))
        console.print(table)

    emit(record, as_json=as_json, render=render)


@app.command()
def eligible(
    on: Annotated[str | None, typer.Option("--on", help="Date (YYYY-MM-DD); default today.")] = None,
    policy: PolicyOption = None,
    excluded_out: Annotated[pathlib.Path | None, typer.Option("--excluded-out", help="Write every excluded person and the reason (.csv or .parquet).")] = None,
    pool_out: Annotated[pathlib.Path | None, typer.Option("--pool-out", help="Write the eligible pool (.csv or .parquet).")] = None,
    rules_on: Annotated[str | None, typer.Option("--rules-on", help="Apply the rules in force on this date instead (YYYY-MM-DD): "
                                                 "the same register and day under earlier or later rules.")] = None,
    as_json: JsonOption = False,
) -> None:
    """The eligible pool under the rules in force on a date (or on --rules-on): counts by region, and the excluded by reason."""
    from callup.register.eligibility import eligibility
    from callup.register.exports import check_export_path, export_eligibility

    for path, field in ((excluded_out, "excluded_out"), (pool_out, "pool_out")):  # refused before any work
        if path is not None:
            check_export_path(path, field=field)
    ctx = context(policy=policy)
    jurisdiction = ctx.policy()
    day = parse_date(on, option="--on") if on else ctx.today()
    version = jurisdiction.in_force(parse_date(rules_on, option="--rules-on") if rules_on else day)
    with progress(f"the eligible pool on {day}", None, quiet=as_json):
        report = eligibility(ctx, version, day)
        data: dict[str, Any] = dict(report.__dict__)
        data["files"] = export_eligibility(ctx, version, day, excluded_out=excluded_out, pool_out=pool_out)
    names = {r.code: r.name for r in jurisdiction.regions}

    def render(d: dict[str, Any]) -> None:
        from rich.table import Table

        console.print(f"[bold]{d['eligible']:,}[/] eligible of {d['registered']:,} registered on {day} "
                      f"(policy {d['policy_version']}: ages {d['from_age']} to {d['until_age']})")
        table = Table("region", "name", "eligible", title="pool by region")
        for code, n in sorted(d["by_region"].items(), key=lambda kv: -kv[1]):
            table.add_row(code, names.get(code, ""), f"{n:,}")
        console.print(table)
        console.print("excluded: " + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in d["excluded"].items()))
        for kind, path in d["files"].items():
            console.print(f"{kind} list written to {path}")

    emit(data, as_json=as_json, render=render)


def synth(
    out: Annotated[pathlib.Path, typer.Option("--out", help="Output file (.csv or .parquet).")],
    people: Annotated[int, typer.Option("--people", help="Number of people.")] = 100_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same file.")] = 1,
    bad_rows: Annotated[float, typer.Option("--bad-rows", help="Share of deliberately malformed rows, e.g. 0.01.")] = 0.0,
    on: Annotated[str | None, typer.Option("--on", help="Reference date for ages (YYYY-MM-DD); default today.")] = None,
    policy: PolicyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write a synthetic population register for the policy's fictional country."""
    from callup.register.synth import synthesise

    ctx = context(policy=policy, store=False, keys=False)
    jurisdiction = ctx.policy()
    day = parse_date(on, option="--on") if on else ctx.today()
    citizenship = jurisdiction.versions[-1].registration.citizenships[0]
    with progress(f"writing {out.name}", people, quiet=as_json) as advance:
        report = synthesise(out, people=people, seed=seed, regions=jurisdiction.region_codes, citizenship=citizenship,
                            on=day, bad_share=bad_rows, advance=advance)

    def render(d: dict[str, Any]) -> None:
        console.print(f"wrote {d['rows_written']:,} people in {d['regions']} regions to {d['path']}")
        if d["bad_rows"]:
            console.print("malformed on purpose: " + ", ".join(f"{k} {v:,}" for k, v in d["bad_rows"].items()))

    emit(report.__dict__, as_json=as_json, render=render)


__all__ = ["app", "synth"]
