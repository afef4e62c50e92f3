"""The publicly verifiable lottery (pure: no database).

Pipeline, as the campaign code calls it:

    table = pool.make_pool(regions, pseudonyms.pseudonymise(key, ids), volunteers)   # freeze
    pool.write_pool(table, "pool.parquet")                                           # publish
    commitment, salt = record.commit(campaign=..., policy_version=..., policy_sha256=..., pool=table,
                                     allocation=allocation.by_method(quota, "largest_remainder", "0.35"),
                                     beacon=record.drand_beacon("quicknet", future_round, now=now))
    # publish commitment.digest and record.commitment_file(commitment) before the round
    result, draw_record = record.run_draw(commitment, salt, round_json, table)        # verifies the round's signature
    draw_record.to_json()                                                            # publish
    verify.verify(draw_record, table, published_commitment=announced_hash)           # anyone, any time

Modules: `pseudonyms`, `pool`, `allocation`, `beacon` (drand chains, BLS signature check), `jcs`
(RFC 8785), `commitment` (salt, seed), `draw`, `record` (formats 1 and 2), `verify`, `lookup`
(a person's own check), `fairness`, `commands`.

See docs/lottery.md for the bit-exact specification.
"""

from callup.lottery.commitment import SeededRandom, derive_seed, new_salt, salt_hash, secure_random
from callup.lottery.draw import DrawReport, DrawResult, RegionDraw, draw, rank_key, rank_keys, result_table
from callup.lottery.errors import BeaconError, LotteryError, NotCommitted, PoolError, RecordError
from callup.lottery.pool import POOL_SCHEMA, canonical, fingerprint, make_pool, read_pool, write_pool
from callup.lottery.pseudonyms import campaign_key, normalise_id, pseudonym, pseudonymise
from callup.lottery.record import (
    Commitment,
    CommitmentV2,
    DrawRecord,
    DrawRecordV2,
    RegionResult,
    commit,
    commitment_file,
    drand_beacon,
    load_commitment,
    load_record,
    run_draw,
    unverified_beacon,
)
from callup.lottery.verify import VerifyReport, verify

__all__ = [
    "POOL_SCHEMA",
    "BeaconError",
    "Commitment",
    "CommitmentV2",
    "DrawRecord",
    "DrawRecordV2",
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
    "commitment_file",
    "drand_beacon",
    "load_commitment",
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
    "unverified_beacon",
    "verify",
    "write_pool",
]
