"""The all-commands harness, long and randomized: many more hostile examples per command than CI runs.

    .venv/bin/python bench/fuzz_commands.py                       # 200 examples per command, a random seed
    .venv/bin/python bench/fuzz_commands.py --examples 1000 -k campaign --seed 1234 --workers 2

CI runs `tests/hardening/test_every_command.py` with a fixed, derandomized profile (the same few
examples every time); this runs the same test with the `long` profile: hypothesis draws fresh
examples from a seed (printed, so a finding can be replayed with `--seed`). Every finding is
printed as the command line that produced it and what was wrong; record new ones in
RELIABILITY.md, fix them, and add the command line as a test.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import secrets
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200, help="examples per command (default 200)")
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed (default: random, printed)")
    parser.add_argument("-k", dest="select", default=None, help="only commands matching this pytest -k expression")
    parser.add_argument("--workers", type=int, default=2, help="test processes (default 2)")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else secrets.randbelow(2**32)
    env = {**os.environ, "CALLUP_HARNESS_PROFILE": "long", "CALLUP_HARNESS_EXAMPLES": str(args.examples)}
    command = [sys.executable, "-m", "pytest", "tests/hardening/test_every_command.py", "-q", "-rfxX", "-p", "no:cacheprovider",
               f"--hypothesis-seed={seed}", "-n", str(args.workers)]
    if args.select:
        command += ["-k", args.select]
    print(f"harness: {args.examples} examples per command, seed {seed}", flush=True)
    began = time.perf_counter()
    result = subprocess.run(command, cwd=REPO, env=env)
    print(f"harness: {time.perf_counter() - began:,.0f} s; replay with --seed {seed}", flush=True)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
