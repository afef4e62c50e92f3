"""Read a jurisdiction policy file (TOML) into a validated `Jurisdiction`.

File shape::

    [jurisdiction]            # code, name
    [[regions]]               # code, name (one table per region)
    [[versions]]              # version, effective_from, then the rule tables
    [[versions]]              # a later version: only the keys it changes

Each later version is deep-merged onto the one before it (tables merge key by key, lists and
values replace), so a law that only raises an age limit is a three-line version. Every error
names the file, the key and what is wrong.
"""

from __future__ import annotations

import copy
import hashlib
import os
import pathlib
import tomllib
from typing import Any

from pydantic import ValidationError

from callup.policy.errors import PolicyError
from callup.policy.model import Jurisdiction, PolicyVersion, Region

DEFAULT_POLICY_ENV = "CALLUP_POLICY"


def default_policy_path() -> pathlib.Path:
    """The policy used when none is given: the bundled example. (`$CALLUP_POLICY` is read at the
    edges, which put it in the context; nothing below them reads the environment.)"""
    from callup.examples import path

    bundled = path("policies/republic-of-example.toml")
    if bundled.exists():
        return bundled
    raise PolicyError(f"no policy given: pass --policy FILE or set {DEFAULT_POLICY_ENV}")


def _merge(base: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _where(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _explain(path: pathlib.Path, prefix: str, exc: ValidationError) -> PolicyError:
    problems = []
    for err in exc.errors():
        where = _where(tuple(p for p in (prefix, *err["loc"]) if p != ""))
        problems.append(f"{where}: {err['msg']}")
    return PolicyError(f"{path}: " + "; ".join(problems))


def load_policy(path: str | os.PathLike[str] | None = None) -> Jurisdiction:
    """Load and validate a policy file; raises `PolicyError` naming the file, key and problem."""
    path = pathlib.Path(path) if path is not None else default_policy_path()
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read policy file ({exc.strerror or exc})") from None
    try:
        data = tomllib.loads(raw_bytes.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path}: not valid TOML: {exc}") from None

    unknown = set(data) - {"jurisdiction", "regions", "versions"}
    if unknown:
        raise PolicyError(f"{path}: unknown top-level keys {sorted(unknown)} (expected jurisdiction, regions, versions)")
    head = data.get("jurisdiction")
    if not isinstance(head, dict):
        raise PolicyError(f"{path}: jurisdiction: missing table [jurisdiction] with code and name")
    raw_versions = data.get("versions")
    if not isinstance(raw_versions, list) or not raw_versions:
        raise PolicyError(f"{path}: versions: at least one [[versions]] table is required")
    raw_regions = data.get("regions")
    if not isinstance(raw_regions, list) or not raw_regions:
        raise PolicyError(f"{path}: regions: at least one [[regions]] table is required")

    regions = []
    for i, region in enumerate(raw_regions):
        try:
            regions.append(Region.model_validate(region))
        except ValidationError as exc:
            raise _explain(path, f"regions[{i}]", exc) from None

    versions: list[PolicyVersion] = []
    merged: dict[str, Any] = {}
    for i, change in enumerate(raw_versions):
        if not isinstance(change, dict):
            raise PolicyError(f"{path}: versions[{i}]: must be a table")
        merged = _merge(merged, change)
        if "summary" not in change:
            merged.pop("summary", None)  # a summary describes its own version only
        label = f"versions[{i}]" + (f" ({change['version']})" if isinstance(change.get("version"), str) else "")
        for required in ("version", "effective_from"):
            if required not in change:
                raise PolicyError(f"{path}: {label}.{required}: every version must state its own {required}")
        try:
            versions.append(PolicyVersion.model_validate(merged))
        except ValidationError as exc:
            raise _explain(path, label, exc) from None

    try:
        return Jurisdiction.model_validate(
            {
                **head,  # code, name and the optional keys of [jurisdiction] (postcode_pattern)
                "code": head.get("code"),
                "name": head.get("name"),
                "source": str(path),
                "sha256": hashlib.sha256(raw_bytes).hexdigest(),
                "regions": regions,
                "versions": versions,
            }
        )
    except ValidationError as exc:
        raise _explain(path, "", exc) from None
