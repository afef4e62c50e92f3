"""The simulated responses alone (the demo's step 14) on PostgreSQL: time and statements a person, by step.

The full-scale rehearsal spends most of its time here (about 216,000 people at full size), so this measures it
on its own. A template database holding the demo's steps 1-13 on `--people` people is made once (kept for later
runs: `--rebuild` makes it again); each run copies it (`CREATE DATABASE ... TEMPLATE`) and runs the simulation
in this process, counting the statements sent and the step of the simulation that sent them (delivery,
application, appearance, examination, review, induction, contract). The machine is shared and noisy: several runs, the
median, and the load average at the start of each.

    .venv/bin/python bench/bench_simulation.py --runs 3
    .venv/bin/python bench/bench_simulation.py --people 1000000 --runs 1 --rebuild
"""

from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(__file__))
from _report import write_section  # noqa: E402

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
TEMPLATE = "callup_bench_simulation"
RUN = "callup_bench_simulation_run"
TARGET_MS = 3.0
#: The simulation's steps, by the method of `callup.simulation.responses._Run` that takes them.
STEPS = ("deliver", "apply", "application", "decide", "reconsider", "maybe_appeal", "attend", "board", "review", "serve",
         "induct", "sign")

# Build the template: the demo in a child process, stopped (its work committed) where the simulation would begin.
_STOP_BEFORE_SIMULATION = """
import os, sys
import callup.simulation.responses as responses
def stop(*args, **kwargs):
    sys.stdout.flush()
    os._exit(0)
responses.simulate = stop
from callup.cli import main
sys.argv = ["callup", "demo", "--json", "--people", sys.argv[1]]
main()
"""


def _admin(sql: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def _exists(database: str) -> bool:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"{SERVER}/postgres")
    with engine.connect() as conn:
        found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": database}).first() is not None
    engine.dispose()
    return found


def build(people: int, work: pathlib.Path, env: dict[str, str]) -> None:
    callup = os.path.join(os.path.dirname(sys.executable), "callup")
    _admin(f"DROP DATABASE IF EXISTS {TEMPLATE}")
    _admin(f"CREATE DATABASE {TEMPLATE}")
    subprocess.run([callup, "db", "upgrade"], env=env, cwd=work, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([callup, "keys", "generate", "--out", env["CALLUP_KEY_FILE"]], env=env, cwd=work, check=True,
                   stdout=subprocess.DEVNULL)
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", _STOP_BEFORE_SIMULATION, str(people)], env=env, cwd=work, check=True,
                   stdout=subprocess.DEVNULL)
    (work / "people").write_text(str(people))
    print(f"template of {people:,} people made in {time.perf_counter() - began:.0f} s", file=sys.stderr)


def run_once(work: pathlib.Path) -> tuple[float, int, int, Counter[str]]:
    """(seconds, people simulated, statements, statements by step) of one simulation on a copy of the template."""
    from sqlalchemy import event, select
    from sqlalchemy.engine import Engine

    from callup.campaigns.tables import Campaign
    from callup.cli_support import context
    from callup.simulation.responses import simulate
    from callup.store.engine import connect
    from callup.uow import UnitOfWork

    _admin(f"DROP DATABASE IF EXISTS {RUN}")
    _admin(f"CREATE DATABASE {RUN} TEMPLATE {TEMPLATE}")
    os.environ["CALLUP_DATABASE_URL"] = f"{SERVER}/{RUN}"
    by_step: Counter[str] = Counter()

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001, ARG001
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_filename.endswith("responses.py") and frame.f_code.co_name in STEPS:
                by_step[frame.f_code.co_name] += 1
                return
            frame = frame.f_back
        by_step["rounds and batches"] += 1

    event.listen(Engine, "before_cursor_execute", count)
    try:
        ctx = context()
        with UnitOfWork(ctx, write=False) as uow:
            campaign = uow.execute(select(Campaign.__table__.c.name).where(Campaign.__table__.c.status == "drawn")).scalar_one()
        by_step.clear()
        began = time.perf_counter()
        result = simulate(ctx, campaign, seed=1)
        seconds = time.perf_counter() - began
    finally:
        event.remove(Engine, "before_cursor_execute", count)
        connect(os.environ["CALLUP_DATABASE_URL"]).dispose()
        _admin(f"DROP DATABASE IF EXISTS {RUN}")
    return seconds, result.people, sum(by_step.values()), by_step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=300_000, help="size of the template's register (300,000)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true", help="make the template database again")
    parser.add_argument("--database", help="name of the template database (callup_bench_simulation)")
    args = parser.parse_args()
    global TEMPLATE, RUN
    if args.database:
        TEMPLATE, RUN = args.database, f"{args.database}_run"
    work = pathlib.Path(tempfile.gettempdir()) / TEMPLATE
    work.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLUP_")}
    env.update(CALLUP_DATABASE_URL=f"{SERVER}/{TEMPLATE}", CALLUP_KEY_FILE=str(work / "callup-keys.json"))
    built = (work / "people").read_text() if (work / "people").exists() else None
    if args.rebuild or not _exists(TEMPLATE) or built != str(args.people):
        build(args.people, work, env)
    else:  # a template made before a migration: brought to the head of the schema
        callup = os.path.join(os.path.dirname(sys.executable), "callup")
        subprocess.run([callup, "db", "upgrade"], env=env, cwd=work, check=True, stdout=subprocess.DEVNULL)
    os.environ.update(env)
    runs = []
    for _ in range(args.runs):
        load = os.getloadavg()[0]
        seconds, people, statements, by_step = run_once(work)
        runs.append((seconds, people, statements, by_step, load))
        print(f"run {len(runs)}: {people:,} people in {seconds:.1f} s, {1000 * seconds / people:.1f} ms a person, "
              f"{statements / people:.1f} statements a person (load {load:.1f})", file=sys.stderr)
    people, statements, by_step = runs[0][1], runs[0][2], runs[0][3]
    per_person = [1000 * r[0] / r[1] for r in runs]
    median = statistics.median(per_person)
    rows = ["| step of the simulation | statements | a person simulated |", "|---|---:|---:|"]
    rows += [f"| {step} | {n:,} | {n / people:.1f} |" for step, n in by_step.most_common()]
    body = (f"The demo's steps 1-13 on {args.people:,} people (PostgreSQL) kept as a template database; each run copies "
            f"it and simulates the campaign's responses in process: {people:,} people. {args.runs} run(s); load average "
            f"at the start of each: {', '.join(f'{r[4]:.1f}' for r in runs)} (2 cores, shared).\n\n"
            f"A person: median **{median:.1f} ms** (min {min(per_person):.1f}, max {max(per_person):.1f}), "
            f"{'meeting' if median <= TARGET_MS else 'missing'} the target of {TARGET_MS:.0f} ms; "
            f"{statements / people:.1f} statements a person ({statements:,} in all).\n\n" + "\n".join(rows) + "\n")
    write_section("simulation", "Simulated responses on PostgreSQL: time and statements a person", body)
    print(body)


if __name__ == "__main__":
    main()
