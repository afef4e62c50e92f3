"""Small register files and store snapshots for the hardening tests."""

from __future__ import annotations

import datetime as dt
import pathlib

from callup.register.columns import COLUMNS
from callup_test_support import EXAMPLE_POLICY, make_context, run_cli  # noqa: F401 - run_cli is used from here too

TODAY = dt.date(2026, 4, 1)


def context_at(url: str, today: dt.date = TODAY, **kwargs):  # noqa: ANN003, ANN201
    return make_context(url, now=today, policy=kwargs.pop("policy", EXAMPLE_POLICY), **kwargs)


def row(national_id: str, **overrides: str) -> dict[str, str]:
    base = {
        "national_id": national_id, "family_name": "Novak", "given_names": "Adam", "date_of_birth": "2004-05-06",
        "sex": "M", "citizenship": "EXR", "region": "R01", "address": "1 Main St", "postcode": "01001",
        "civil_status": "alive", "email": "", "phone": "", "volunteer": "", "language": "",
    }
    base.update(overrides)
    return base


def csv_line(r: dict[str, str], columns=COLUMNS) -> bytes:
    return ",".join(_quote(r[c]) for c in columns).encode("utf-8")


def write_csv(path: pathlib.Path, rows: list[dict[str, str] | bytes], columns=COLUMNS) -> pathlib.Path:
    """Rows (dicts, or raw bytes lines written as they are) under a header line."""
    lines = [",".join(columns).encode()]
    lines += [r if isinstance(r, bytes) else csv_line(r, columns) for r in rows]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def _quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if ("," in value or '"' in value) else value
