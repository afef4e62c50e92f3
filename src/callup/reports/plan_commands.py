"""`callup plan`: the planning commands, with the live store's figures for `--from-store` read here.

Planning is pure (no store); `callup plan` loads this module, which installs the reader of the
store's figures (`callup.reports.planning.store_figures`, in a read-only unit of work of the
command's context) and serves the planning commands unchanged otherwise.
"""

from __future__ import annotations

import datetime as dt

from callup.planning import commands as planning
from callup.planning.store import StoreFigures

__all__ = ["app", "read_store"]


def read_store(on: dt.date | None) -> StoreFigures:
    """The store's figures on `on` (None: the context's today)."""
    from callup.cli_support import transaction
    from callup.reports.planning import store_figures

    with transaction(write=False) as uow:
        return store_figures(uow, on or uow.ctx.today())


planning.STORE_READER = read_store
app = planning.app
