"""Commands of the lottery that need no database: rank look-up, verification, fairness check.

Mounted by `callup.cli` as `callup lottery ...`, `callup verify` and `callup fairness`.
"""

from __future__ import annotations

import pathlib
from typing import Annotated

import numpy as np
import typer

from callup.lottery.errors import LotteryError
from callup.output import console, emit

app = typer.Typer(help="The publicly verifiable lottery: look up a rank, re-run a draw.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of tables.")]


def rank_lookup(pseudonym_hex: str, record, pool=None) -> dict:
    """What a person can learn about their pseudonym from the record (and the pool file, if given)."""
    from callup.lottery.commitment import derive_seed
    from callup.lottery.draw import rank_key, rank_keys
    from callup.lottery.pool import be_words, canonical
    from callup.lottery.pseudonyms import from_hex, pseudonym_bytes

    pseud = from_hex([pseudonym_hex.strip().lower()], what="pseudonym")[0].as_py()
    seed = derive_seed(record.commitment.digest, bytes.fromhex(record.salt), record.beacon_value)
    key = rank_key(seed, pseud)
    out: dict = {
        "pseudonym": pseud.hex(),
        "seed": seed.hex(),
        "seed_matches_record": seed.hex() == record.seed,
        "rank_key": key.hex(),
        "region": None,
        "called": False,
        "call_position": None,
        "rank": None,
        "region_pool": None,
    }
    for name, region in record.regions.items():
        if pseud.hex() in region.called_pseudonyms:
            out.update(region=name, called=True, call_position=region.called_pseudonyms.index(pseud.hex()) + 1)
            break
    if pool is not None:
        table = canonical(pool)
        matrix = pseudonym_bytes(table.column("pseudonym"))
        hits = np.flatnonzero((matrix == np.frombuffer(pseud, dtype=np.uint8)).all(axis=1))
        if not len(hits):
            raise LotteryError(f"pseudonym {pseud.hex()} is not in the pool file")
        row = int(hits[0])
        region_name = table.column("region")[row].as_py()
        mask = (table.column("region").to_numpy(zero_copy_only=False) == region_name)
        keys = rank_keys(seed, matrix[mask])
        hi, lo = be_words(keys)
        khi, klo = be_words(np.frombuffer(key, dtype=np.uint8).reshape(1, 16))
        below = int(((hi < khi[0]) | ((hi == khi[0]) & (lo < klo[0]))).sum())
        out.update(region=region_name, rank=below + 1, region_pool=int(mask.sum()))
        region = record.regions.get(region_name)
        if region is not None and not out["called"]:
            # Reserve place: position in the call order (volunteers first, then by rank) after the called.
            vol = table.column("volunteer").to_numpy(zero_copy_only=False)[mask]
            order = np.lexsort((lo, hi))
            vol_sorted = vol[order]
            call = np.concatenate([order[vol_sorted], order[~vol_sorted]])
            mine = int(np.flatnonzero((matrix[mask][call] == np.frombuffer(pseud, dtype=np.uint8)).all(axis=1))[0])
            out["call_position"] = mine + 1
            out["reserve_position"] = mine + 1 - region.called
    elif out["region"] is not None:
        out["region_pool"] = record.regions[out["region"]].pool
    return out


@app.command("rank")
def rank(
    pseudonym: Annotated[str, typer.Argument(help="Your pool pseudonym (32 hex digits, as on your summons or portal page).")],
    record: Annotated[pathlib.Path, typer.Option("--record", help="The published draw record (JSON).")],
    pool: Annotated[pathlib.Path | None, typer.Option("--pool", help="The published pool file, to compute your rank in your region.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Compute your rank key, and with the pool file your rank, from public files only."""
    from callup.lottery.pool import read_pool
    from callup.lottery.record import load_record

    rec = load_record(record)
    table = read_pool(pool) if pool is not None else None
    data = rank_lookup(pseudonym, rec, table)

    def render(d: dict) -> None:
        console.print(f"pseudonym  {d['pseudonym']}")
        console.print(f"rank key   {d['rank_key']}  (AES-256-ECB of the pseudonym under the seed)")
        if not d["seed_matches_record"]:
            console.print("[bold red]warning:[/] the seed recomputed from the record differs from the seed it states")
        if d["region"] is None:
            console.print("not in the called list of any region (give --pool to see your rank)")
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
    record: Annotated[pathlib.Path, typer.Argument(help="The draw record (JSON).")],
    pool: Annotated[pathlib.Path, typer.Argument(help="The pool file (.parquet or .csv).")],
    commitment: Annotated[str | None, typer.Option("--commitment", help="The commitment hash announced before the draw, to check against.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Re-run a published draw from its record and pool file; answer MATCH or say what differs."""
    from callup.lottery.pool import read_pool
    from callup.lottery.record import load_record
    from callup.lottery.verify import verify as run_verify

    rec = load_record(record)
    table = read_pool(pool)
    report = run_verify(rec, table, published_commitment=commitment)
    data = {
        "verdict": report.verdict,
        "match": report.match,
        "checks": [vars(c) for c in report.checks],
        "regions": [vars(d) for d in report.regions],
    }

    def render(d: dict) -> None:
        from rich.table import Table

        t = Table(title=f"verify {record.name} against {pool.name}")
        for col in ("check", "result", "detail"):
            t.add_column(col)
        for c in d["checks"]:
            t.add_row(c["name"], "[green]ok[/]" if c["ok"] else "[bold red]DIFFERS[/]", c["detail"])
        console.print(t)
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

    def render(d: dict) -> None:
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
