"""Helpers of the format-2 lottery tests: a real quicknet round, a policy file, a commit with defaults."""

import datetime as dt
import hashlib
import json
import pathlib

from callup.lottery.allocation import by_method, explicit
from callup.lottery.record import commit, drand_beacon, unverified_beacon

ROUNDS = json.loads((pathlib.Path(__file__).parent / "vectors" / "drand-rounds.json").read_text())
QUICKNET_992 = ROUNDS["quicknet"][1]  # published 2023-08-23 15:59:00 UTC
BEFORE_992 = dt.datetime(2023, 8, 23, 12, 0, tzinfo=dt.UTC)
POLICY_FILE = b"jurisdiction: example\nconscription:\n  volunteers_first: true\n"
POLICY_SHA256 = hashlib.sha256(POLICY_FILE).hexdigest()


def commit2(pool, *, allocation=None, beacon=None, salt_byte=7):
    return commit(
        campaign="2031-spring",
        policy_version="policy-7",
        policy_sha256=POLICY_SHA256,
        pool=pool,
        allocation=allocation or by_method(300, "largest_remainder", "0.35"),
        beacon=beacon or drand_beacon("quicknet", QUICKNET_992["round"], now=BEFORE_992),
        parameters={"eligibility_date": "2031-01-01"},
        random=lambda n: bytes([salt_byte]) * n,
    )


__all__ = ["BEFORE_992", "POLICY_FILE", "POLICY_SHA256", "QUICKNET_992", "ROUNDS", "commit2", "explicit", "unverified_beacon"]
