"""Commands of the lottery that need no database: rank look-up, verification, fairness check.

Mounted by `callup.cli` as `callup lottery ...`, `callup verify` and `callup fairness`.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from typing import Annotated, Any

import typer

from callup.cli_output import console, emit, progress, when
from callup.errors import InputError

app = typer.Typer(help="The publicly verifiable lottery: look up a rank, re-run a draw.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of tables.")]


@app.callback()
def _group() -> None:
    """The publicly verifiable lottery: look up a rank (`callup lottery rank PSEUDONYM --record FILE`)."""


def __getattr__(name: str) -> Callable[..., dict[str, Any]]:  # `rank_lookup` lived here before `callup.lottery.lookup`
    if name == "rank_lookup":
        from callup.lottery.lookup import rank_lookup

        return rank_lookup
    raise AttributeError(name)


@app.command("rank")
def rank(
    pseudonym: Annotated[str, typer.Argument(help="Your pool pseudonym (32 hex digits, as on your summons or portal page).")],
    record: Annotated[pathlib.Path, typer.Option("--record", help="The published draw record (JSON).")],
    pool: Annotated[pathlib.Path | None, typer.Option("--pool", help="The published pool file: are you in it, and with which rank.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Find yourself in the pool and compute your rank key and rank, from public files only."""
    from dataclasses import asdict

    from callup.lottery.lookup import look_up
    from callup.lottery.pool import read_pool
    from callup.lottery.record import load_record

    rec = load_record(record)
    table = read_pool(pool) if pool is not None else None
    data = asdict(look_up(pseudonym, rec, table))

    def render(d: dict[str, Any]) -> None:
        console.print(f"pseudonym  {d['pseudonym']}")
        console.print(f"rank key   {d['rank_key']}  (AES-256-ECB of the pseudonym under the seed)")
        if not d["seed_matches_record"]:
            console.print("[bold red]warning:[/] the seed recomputed from the record differs from the seed it states")
        if d["in_pool"] is False:
            console.print("[bold red]NOT in the pool file.[/] If you were eligible on the eligibility date, you were left out "
                          "of the draw: report it to the office and keep this pool file and record.")
            return
        if d["in_pool"]:
            console.print(f"[green]in the pool[/]: region {d['region']}" + (" (volunteer)" if d["volunteer"] else ""))
        if d["region"] is None:
            console.print("not in the called list of any region (give --pool to check that you are in the pool, and your rank)")
            return
        where = f"region {d['region']}"
        if d["rank"] is not None:
            console.print(f"rank       {d['rank']} of {d['region_pool']} in {where}")
        if d["called"]:
            console.print(f"[bold]called[/]: place {d['call_position']} in the call order of {where}")
        elif d.get("reserve_position") is not None:
            console.print(f"not called: place {d['reserve_position']} on the reserve list of {where}")

    emit(data, as_json=as_json, render=render)


def verify(
    record: Annotated[pathlib.Path, typer.Argument(help="The draw record (JSON), or the published folder (campaign export).")],
    pool: Annotated[pathlib.Path | None, typer.Argument(help="The pool file (.parquet or .csv); found in the folder if not given.")] = None,
    commitment: Annotated[str | None, typer.Option("--announced", "--commitment",
                                                  help="The commitment hash published before the beacon (e.g. in the gazette).")] = None,
    policy: Annotated[pathlib.Path | None, typer.Option("--policy", help="The published policy file, checked against its committed SHA-256.")] = None,
    quotas: Annotated[pathlib.Path | None, typer.Option("--quotas", help="The published regional quota table (CSV), checked against its committed SHA-256.")] = None,
    allocation: Annotated[pathlib.Path | None, typer.Option("--allocation", help="The published allocation.csv, recomputed from the commitment and the pool.")] = None,
    replacements: Annotated[pathlib.Path | None, typer.Option("--replacements", help="The published replacements.jsonl, replayed against the reserve order.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Re-run a published draw from its record and pool file (or the whole published folder); answer MATCH or say what
    differs, per file what each check rules out, and what no check can rule out."""
    from dataclasses import asdict

    from callup.lottery.verify import by_file, published_files, verify_files

    if record.is_dir():
        given = published_files(record, pool=pool, **{"policy.toml": policy, "quotas.csv": quotas,
                                                      "allocation.csv": allocation, "replacements.jsonl": replacements})
    elif pool is None:
        raise InputError(f"{record}: give the pool file after the record, or the published folder alone", field="pool")
    else:
        given = {"draw-record.json": record, "pool file": pool, "policy.toml": policy, "quotas.csv": quotas,
                 "allocation.csv": allocation, "replacements.jsonl": replacements}
    record = given["draw-record.json"] or record
    pool = given["pool file"] or pool
    assert pool is not None
    with progress(f"re-running the draw over {pool.name}", None, quiet=as_json):
        report = verify_files(given, announced=commitment)
    data = {"verdict": report.verdict, **asdict(report), "files": by_file(report, {k: str(v) if v else None for k, v in given.items()})}

    def render(d: dict[str, Any]) -> None:
        from rich.markup import escape

        console.print(f"[bold]verify {escape(record.name)} against {escape(pool.name)}[/] (record format {d['format_version']})")
        for f in d["files"]:
            path = f" ({escape(f['path'])})" if f["path"] else ""
            console.print(f"[bold]{escape(f['file'])}[/]{path}")
            for c in f["checks"]:
                mark = "[dim]not checked[/]" if not c["checked"] else "[green]ok     [/]" if c["ok"] else "[bold red]DIFFERS[/]"
                console.print(f"  {mark} [bold]{c['name']}[/]: {escape(c['detail'])}", soft_wrap=True)
                if c["rules_out"]:
                    console.print(f"          {'would rule' if not c['checked'] else 'rules'} out: {c['rules_out']}", soft_wrap=True)
        console.print(f"beacon: {d['beacon']}")
        if d["beacon_published"]:
            console.print(f"  the round was published at {d['beacon_published']} (genesis + period x (round - 1)): "
                          "the commitment must have been announced before that time", soft_wrap=True)
        if d["committed_at"]:
            console.print(f"  the office recorded the commitment at {when(d['committed_at'])} (its audit log)")
        for diff in d["regions"]:
            console.print(f"[bold]region {diff['region']}[/]")
            for key, (a, b) in diff["fields"].items():
                console.print(f"  {key}: record {a}, recomputed {b}")
            for p in diff["missing"][:20]:
                console.print(f"  called by the recomputation, missing from the record: {p}")
            for p in diff["unexpected"][:20]:
                console.print(f"  listed as called in the record, not called by the recomputation: {p}")
            extra = len(diff["missing"]) + len(diff["unexpected"]) - min(len(diff["missing"]), 20) - min(len(diff["unexpected"]), 20)
            if extra > 0:
                console.print(f"  ... and {extra} more persons (use --json for all)")
            if diff["order_differs"]:
                console.print("  same people called, in a different order")
        console.print("[bold]What these checks cannot rule out:[/]")
        for limit in d["limits"]:
            console.print(f"  - {escape(limit)}", soft_wrap=True)
        console.print("[bold green]MATCH[/]" if d["match"] else "[bold red]MISMATCH[/]")

    emit(data, as_json=as_json, render=render)
    if not report.match:
        raise typer.Exit(1)


def fairness(
    csv: Annotated[pathlib.Path, typer.Argument(help="A draw result: one row per person (or birthday).")],
    date_col: Annotated[str, typer.Option("--date-col", help="Column with the birth date (YYYY-MM-DD or --MM-DD).")],
    number_col: Annotated[str, typer.Option("--number-col", help="Column with the number or rank drawn.")],
    out: Annotated[pathlib.Path | None, typer.Option("--out", help="Write a PNG plot here.")] = None,
    alpha: Annotated[float, typer.Option("--alpha", help="Overall significance level (split over three tests).")] = 0.01,
    as_json: JsonOpt = False,
) -> None:
    """Test a draw for dependence between birth date and number (Spearman, Kruskal-Wallis, chi-square)."""
    from dataclasses import asdict

    from callup.lottery.fairness import check_fairness, plot_fairness, read_draw_csv

    dates, numbers = read_draw_csv(csv, date_col, number_col)
    report = check_fairness(dates, numbers, alpha=alpha)
    data = asdict(report)
    if out is not None:
        data["plot"] = str(plot_fairness(dates, numbers, report, out, title=f"{csv.name}: {number_col} by {date_col}"))

    def render(d: dict[str, Any]) -> None:
        from rich.table import Table

        t = Table(title=f"fairness of {csv.name} ({d['n']} rows, alpha {d['alpha']})")
        t.add_column("test")
        t.add_column("statistic", justify="right")
        t.add_column("p-value", justify="right")
        t.add_row("Spearman rho (date vs number)", f"{d['spearman_rho']:.4f}", f"{d['spearman_p']:.3g}")
        t.add_row("Kruskal-Wallis H (by month)", f"{d['kruskal_h']:.2f}", f"{d['kruskal_p']:.3g}")
        t.add_row(f"chi-square (month x tercile, {d['chi2_dof']} df)", f"{d['chi2']:.2f}", f"{d['chi2_p']:.3g}")
        console.print(t)
        m = Table(title="mean number by birth month")
        m.add_column("month")
        m.add_column("n", justify="right")
        m.add_column("mean", justify="right")
        for row in d["months"]:
            m.add_row(str(row["month"]), str(row["count"]), f"{row['mean']:.1f}")
        console.print(m)
        if d["flagged"]:
            console.print("[bold red]FLAGGED[/]: " + "; ".join(d["reasons"]))
        else:
            console.print("[green]no dependence between birth date and number found[/]")
        if d.get("plot"):
            console.print(f"plot written to {d['plot']}")

    emit(data, as_json=as_json, render=render)
