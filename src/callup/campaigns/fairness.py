"""Fairness of a drawn campaign: birth date and import order against lottery rank, and selection rate by region.

Ranks are compared across regions of different sizes as the share of the region's pool ahead
of the person (rank / pool), which is uniform on (0, 1] under a fair draw whatever the region.
Import order is the register import (batch: one file, typically one registration day) that
last wrote the person, in the order the imports ran; a rank that follows it is the failure that
voided the 2012 US Diversity Visa lottery. The two families of tests each run at alpha / 2
(Bonferroni), so a fair draw is flagged with probability at most alpha.
"""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import func, select

from callup.campaigns.errors import CampaignStateError
from callup.campaigns.service import _load
from callup.campaigns.tables import Call, CampaignRegion, OrderEntry
from callup.context import Context
from callup.lottery.fairness import FairnessReport, ImportOrderReport, check_fairness, check_import_order, plot_fairness
from callup.register.queries import birth_and_import_query
from callup.store.bulk import BulkSession
from callup.store.columns import enum_value
from callup.store.isolation import Advance, run_job
from callup.uow import UnitOfWork

order = OrderEntry.__table__
regions_t = CampaignRegion.__table__
calls = Call.__table__


@dataclasses.dataclass(frozen=True)
class CampaignFairness:
    campaign: str
    birth_date_test: FairnessReport
    regions: list[dict[str, Any]]
    plot: str | None
    import_order_test: ImportOrderReport | None = None  # None: everyone came in one import batch, nothing to compare
    alpha: float = 0.01  # overall level; each family of tests runs at alpha / 2

    @property
    def flagged(self) -> bool:
        return self.birth_date_test.flagged or bool(self.import_order_test and self.import_order_test.flagged)


def _ranks_job(ctx: Context, campaign_id: int, *, advance: Advance) -> pa.Table:
    people = birth_and_import_query().subquery()
    query = (select(people.c.date_of_birth, people.c.import_id, order.c.rank, regions_t.c.pool)
             .join(people, people.c.national_id == order.c.national_id)
             .join(regions_t, (regions_t.c.campaign_id == order.c.campaign_id) & (regions_t.c.region == order.c.region))
             .where(order.c.campaign_id == campaign_id))
    with BulkSession(ctx.database_url) as bulk:
        return bulk.fetch_arrow(query)


def campaign_fairness(ctx: Context, name: str, *, alpha: float = 0.01, plot: pathlib.Path | None = None) -> CampaignFairness:
    """Test the drawn campaign `name` (national: all regions); raises `CampaignStateError` before the draw."""
    with UnitOfWork(ctx, write=False) as uow:
        conn = uow.conn
        campaign = _load(conn, name)
        if enum_value(campaign["status"]) not in ("drawn", "closed"):
            raise CampaignStateError(f"campaign {name!r} has not been drawn")
        regions = [dict(r) for r in conn.execute(select(regions_t).where(regions_t.c.campaign_id == campaign["id"])
                                                 .order_by(regions_t.c.region)).mappings()]
        by_region = dict(conn.execute(
            select(calls.c.region, func.count()).where((calls.c.campaign_id == campaign["id"]) & (calls.c.source == "draw"))
            .group_by(calls.c.region)).tuples().all())
    table = run_job(ctx, _ranks_job, campaign["id"])
    dates = pc.cast(pc.cast(table.column("date_of_birth"), pa.string()), pa.date32()).to_numpy(zero_copy_only=False).astype("datetime64[D]")
    share = table.column("rank").to_numpy().astype(np.float64) / table.column("pool").to_numpy().astype(np.float64)
    report = check_fairness(dates, share, alpha=alpha / 2)
    batches = table.column("import_id")
    known = pc.is_valid(batches).to_numpy(zero_copy_only=False)
    import_test = check_import_order(batches.drop_null().to_numpy().astype(np.int64), share[known], alpha=alpha / 2)
    written = None
    if plot is not None and len(share):
        written = str(plot_fairness(dates, share, report, plot, title=f"{name}: share of the region's pool ahead, by birth date"))
    rows = []
    for r in regions:
        called = by_region.get(r["region"], 0)
        rows.append({"region": r["region"], "pool": r["pool"], "quota": r["quota"], "number": r["number"], "called_by_draw": called,
                     "selection_rate": called / r["pool"] if r["pool"] else 0.0,
                     "expected_rate": r["number"] / r["pool"] if r["pool"] else 0.0})
    return CampaignFairness(campaign=name, birth_date_test=report, regions=rows, plot=written, import_order_test=import_test,
                            alpha=alpha)
