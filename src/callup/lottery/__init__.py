"""The publicly verifiable lottery (pure: no database).

Pipeline, as the campaign code calls it:

    table = pool.make_pool(regions, pseudonyms.pseudonymise(key, ids), volunteers)   # freeze
    pool.write_pool(table, "pool.parquet")                                           # publish
    commitment, salt = record.commit(campaign=..., policy_version=..., pool=table,
                                     numbers=..., beacon_source=...)                 # publish commitment.digest
    result, draw_record = record.run_draw(commitment, salt, beacon_value, table)     # after the beacon
    draw_record.to_json()                                                            # publish
    verify.verify(draw_record, table)                                                # anyone, any time

See docs/lottery.md for the bit-exact specification.
"""

from callup.lottery.commitment import SeededRandom, derive_seed, new_salt, salt_hash, secure_random
from callup.lottery.draw import DrawReport, DrawResult, RegionDraw, draw, rank_key, rank_keys, result_table
from callup.lottery.errors import LotteryError, NotCommitted, PoolError, RecordError
from callup.lottery.pool import POOL_SCHEMA, canonical, fingerprint, make_pool, read_pool, write_pool
from callup.lottery.pseudonyms import campaign_key, normalise_id, pseudonym, pseudonymise
from callup.lottery.record import Commitment, DrawRecord, RegionResult, commit, load_record, run_draw
from callup.lottery.verify import VerifyReport, verify

__all__ = [
    "POOL_SCHEMA",
    "Commitment",
    "DrawRecord",
    "DrawReport",
    "DrawResult",
    "LotteryError",
    "NotCommitted",
    "PoolError",
    "RecordError",
    "RegionDraw",
    "RegionResult",
    "SeededRandom",
    "VerifyReport",
    "campaign_key",
    "canonical",
    "commit",
    "derive_seed",
    "draw",
    "fingerprint",
    "load_record",
    "make_pool",
    "new_salt",
    "normalise_id",
    "pseudonym",
    "pseudonymise",
    "rank_key",
    "rank_keys",
    "result_table",
    "read_pool",
    "run_draw",
    "salt_hash",
    "secure_random",
    "verify",
    "write_pool",
]
