from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from callup.lottery.pool import make_pool
from callup.lottery.pseudonyms import from_bytes, pseudonymise
from callup.lottery.record import commit, run_draw
from lottery_support import QUICKNET_992, commit2, explicit, unverified_beacon

KEY = bytes(range(32))


def random_pool(n: int, regions: int, *, seed: int = 0, volunteer_rate: float = 0.0):
    rng = np.random.default_rng(seed)
    pseud = from_bytes(rng.integers(0, 256, (n, 16), dtype=np.uint8))
    names = [f"Region {chr(65 + (i % 26))}{i}" for i in rng.integers(0, regions, n)]
    return make_pool(names, pseud, (rng.random(n) < volunteer_rate).tolist())


@pytest.fixture(scope="session")
def small_pool():
    ids = [f"P{i:05d}" for i in range(600)]
    regions = ["North", "South", "East"] * 200
    volunteers = [i % 40 == 0 for i in range(600)]
    return make_pool(regions, pseudonymise(KEY, ids), volunteers)


@pytest.fixture(scope="session")
def drawn(small_pool):
    commitment, salt = commit(
        campaign="2031-spring",
        policy_version="policy-7",
        pool=small_pool,
        numbers={"North": 20, "South": 30, "East": 250},
        beacon_source="drand quicknet round 100",
        parameters={"over_call": "0.35", "method": "largest_remainder"},
        random=lambda n: b"\x07" * n,
    )
    result, record = run_draw(commitment, salt, "beacon-value-1", small_pool)
    return small_pool, commitment, salt, result, record


@pytest.fixture(scope="session")
def drawn2(small_pool):
    """Format 2: method allocation, committed to real quicknet round 992, drawn with its published JSON."""
    commitment, salt = commit2(small_pool)
    result, record = run_draw(commitment, salt, json.dumps(QUICKNET_992), small_pool,
                              committed_at=dt.datetime(2023, 8, 23, 12, 5, tzinfo=dt.UTC))
    return small_pool, commitment, salt, result, record


@pytest.fixture(scope="session")
def drawn_explicit(small_pool):
    """Format 2: explicit quotas above a region's pool and for a region with nobody, unverified beacon."""
    allocation = explicit({"North": 150, "South": 20, "East": 0, "Nowhere": 5}, "0.35")
    commitment, salt = commit2(small_pool, allocation=allocation, beacon=unverified_beacon("rehearsal"))
    result, record = run_draw(commitment, salt, "  rehearsal value\u3000", small_pool)
    return small_pool, commitment, salt, result, record
