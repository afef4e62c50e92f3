"""Bulk reads and writes of a campaign's frozen pool and call order (inside `run_bulk` jobs)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from callup.lottery.pseudonyms import from_hex, to_hex
from callup.store.bulk import BulkSession


def write_pool_rows(bulk: BulkSession, campaign_id: int, national_ids: pa.Array, regions: pa.Array,
                    pseudonyms: pa.Array, volunteers: pa.Array) -> None:
    n = len(national_ids)
    bulk.append("campaign_pool", pa.table({
        "campaign_id": pa.array([campaign_id] * n, pa.int32()) if n else pa.array([], pa.int32()),
        "national_id": national_ids, "region": regions, "pseudonym": to_hex(pseudonyms), "volunteer": volunteers,
    }))


def read_pool_rows(bulk: BulkSession, campaign_id: int) -> tuple[pa.Array, pa.Table]:
    """(national ids, lottery pool table) with aligned rows, in a stable order."""
    bulk.execute("SELECT national_id, region, pseudonym, volunteer FROM campaign_pool WHERE campaign_id = ? "
                 "ORDER BY region, pseudonym", (campaign_id,))
    rows = bulk.cur.fetch_arrow_table()
    pool = pa.table({
        "region": rows.column("region").cast(pa.string()),
        "pseudonym": from_hex(rows.column("pseudonym")),
        "volunteer": pc.not_equal(rows.column("volunteer").cast(pa.int8()), 0),
    })
    return rows.column("national_id").cast(pa.string()).combine_chunks(), pool
