"""Who is acting: `CALLUP_ACTOR` and `CALLUP_ROLE`, else the OS user as `administrator`.

The command line acts as the person logged in; the web layer passes its own `Actor` to
`callup.audit.record(..., actor=...)`.
"""

from __future__ import annotations

import dataclasses
import getpass
import os

ROLES = ("administrator", "officer", "auditor", "citizen", "system")


@dataclasses.dataclass(frozen=True)
class Actor:
    name: str
    role: str


def current_actor() -> Actor:
    name = os.environ.get("CALLUP_ACTOR", "").strip()
    if not name:
        try:
            name = getpass.getuser()
        except Exception:  # noqa: BLE001 - no user name in some containers
            name = f"uid:{os.getuid()}" if hasattr(os, "getuid") else "unknown"
    role = os.environ.get("CALLUP_ROLE", "").strip() or "administrator"
    return Actor(name=name[:128], role=role[:32])
