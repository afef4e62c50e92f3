"""Write one benchmark's figures into its own section of BENCHMARKS.md.

Each benchmark owns a block between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`; re-running
it replaces that block only, so benchmarks can be run one at a time.
"""

from __future__ import annotations

import os
import pathlib
import platform
import re
import subprocess
import sys

BENCHMARKS = pathlib.Path(__file__).resolve().parent.parent / "BENCHMARKS.md"
HEADER = "# Benchmarks\n\nEach section is written by the benchmark named in it; re-run that command to refresh it.\n"


def machine() -> str:
    """One line describing the machine the figures were taken on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem_gib:.0f} GiB, Python {platform.python_version()}, {platform.system()}"


def git_revision() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def write_section(name: str, title: str, body: str) -> None:
    """Replace (or append) the section `name` of BENCHMARKS.md with `body`."""
    command = "python " + " ".join([pathlib.Path(sys.argv[0]).as_posix().split("/bench/")[-1] if "/bench/" in sys.argv[0] else sys.argv[0], *sys.argv[1:]])
    if not command.startswith("python bench/"):
        command = "python bench/" + command.removeprefix("python ")
    block = (
        f"<!-- bench:{name} -->\n## {title}\n\n"
        f"Command: `{command}`  \nMachine: {machine()}  \nRevision: {git_revision()}\n\n{body.strip()}\n"
        f"<!-- /bench:{name} -->\n"
    )
    text = BENCHMARKS.read_text() if BENCHMARKS.exists() else HEADER
    pattern = re.compile(rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->\n", re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + block
    BENCHMARKS.write_text(text)
