import numpy as np
import pyarrow as pa
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings, strategies as st

from callup.lottery.draw import draw, rank_key
from callup.lottery.pool import make_pool
from callup.lottery.pseudonyms import from_bytes

SEED = bytes(range(32))


def pool_of(n_per_region: dict[str, int], seed: int = 0, volunteers: float = 0.0):
    rng = np.random.default_rng(seed)
    regions = [name for name, k in n_per_region.items() for _ in range(k)]
    n = len(regions)
    return make_pool(regions, from_bytes(rng.integers(0, 256, (n, 16), dtype=np.uint8)), (rng.random(n) < volunteers).tolist())


def test_rank_key_is_plain_aes_256_of_the_pseudonym_under_the_seed():
    p = bytes(16)
    expected = Cipher(algorithms.AES(SEED), modes.ECB()).encryptor().update(p)
    assert rank_key(SEED, p) == expected


def test_rank_is_the_place_of_the_rank_key_among_the_region_in_ascending_order():
    pool = pool_of({"A": 50, "B": 30})
    result, _ = draw(pool, SEED, {"A": 5, "B": 5})
    for name in ("A", "B"):
        rows = [i for i, r in enumerate(pool.column("region").to_pylist()) if r == name]
        keys = sorted((rank_key(SEED, pool.column("pseudonym")[i].as_py()), i) for i in rows)
        assert [result.rank[i] for _, i in keys] == list(range(1, len(rows) + 1))


def test_the_lowest_ranks_are_called_and_the_rest_is_the_reserve_in_rank_order():
    pool = pool_of({"A": 40})
    result, report = draw(pool, SEED, {"A": 7})
    called = np.flatnonzero(result.called)
    assert sorted(result.rank[called]) == list(range(1, 8))
    assert list(result.rank[result.reserve_rows("A")]) == list(range(8, 41))
    assert report.regions["A"].cutoff_key == rank_key(SEED, pool.column("pseudonym")[int(result.called_rows("A")[-1])].as_py()).hex()


def test_volunteers_take_seats_first_then_the_lottery_fills_the_rest():
    pool = pool_of({"A": 100}, volunteers=0.05)
    vol = pool.column("volunteer").to_numpy(zero_copy_only=False)
    result, report = draw(pool, SEED, {"A": 20})
    assert result.called[vol].all()
    r = report.regions["A"]
    assert r.volunteers_called == vol.sum() and r.drawn == 20 - vol.sum() and r.called == 20


def test_more_volunteers_than_seats_calls_the_best_ranked_volunteers():
    pool = pool_of({"A": 60}, volunteers=0.5)
    vol = pool.column("volunteer").to_numpy(zero_copy_only=False)
    result, report = draw(pool, SEED, {"A": 3})
    assert set(np.flatnonzero(result.called)) <= set(np.flatnonzero(vol))
    assert sorted(result.rank[result.called]) == sorted(result.rank[vol])[:3]
    assert report.regions["A"].drawn == 0 and report.regions["A"].cutoff_key is None


def test_a_region_smaller_than_its_number_calls_everyone_and_reports_the_shortfall():
    pool = pool_of({"A": 5})
    result, report = draw(pool, SEED, {"A": 9, "Empty": 4})
    assert result.called.all()
    assert report.regions["A"].shortfall == 4 and report.regions["Empty"].shortfall == 4 and report.shortfall == 8


def test_the_seed_really_changes_the_outcome():
    pool = pool_of({"A": 200})
    a, _ = draw(pool, SEED, {"A": 10})
    b, _ = draw(pool, bytes(32), {"A": 10})
    assert not np.array_equal(a.rank, b.rank)


def test_a_negative_number_is_refused():
    from callup.lottery.errors import LotteryError

    with pytest.raises(LotteryError):
        draw(pool_of({"A": 3}), SEED, {"A": -1})


regions_st = st.dictionaries(st.sampled_from(["A", "B", "C", "Ö", "D d"]), st.integers(0, 40), min_size=1)


@settings(max_examples=40, deadline=None)
@given(sizes=regions_st, data=st.data())
def test_exact_quotas_determinism_and_independence_from_row_order(sizes, data):
    pool = pool_of(sizes, seed=data.draw(st.integers(0, 10**6)), volunteers=0.1)
    numbers = {name: data.draw(st.integers(0, 50)) for name in sizes}
    seed = data.draw(st.binary(min_size=32, max_size=32))
    result, report = draw(pool, seed, numbers)
    for name, size in sizes.items():
        if size:
            assert report.regions[name].called == min(numbers[name], size)
            mask = np.array(pool.column("region").to_pylist()) == name
            assert result.called[mask].sum() == min(numbers[name], size)
    again, report2 = draw(pool, seed, numbers)
    assert np.array_equal(again.rank, result.rank) and report2 == report
    perm = np.random.default_rng(data.draw(st.integers(0, 99))).permutation(pool.num_rows)
    shuffled, report3 = draw(pool.take(pa.array(perm, type=pa.int64())), seed, numbers)
    assert np.array_equal(shuffled.rank, result.rank[perm]) and np.array_equal(shuffled.position, result.position[perm])
    assert report3 == report


@settings(max_examples=20, deadline=None)
@given(sizes=regions_st, extra=st.integers(1, 20), data=st.data())
def test_reserve_order_is_stable_when_the_number_changes(sizes, extra, data):
    pool = pool_of(sizes, seed=data.draw(st.integers(0, 10**6)))
    name = next(iter(sizes))
    small, _ = draw(pool, SEED, {name: 2})
    large, _ = draw(pool, SEED, {name: 2 + extra})
    assert list(small.call_rows(name)) == list(large.call_rows(name))
    assert list(large.called_rows(name)[:2]) == list(small.called_rows(name))


def test_every_person_of_a_region_is_equally_likely_to_be_called():
    # 2 regions of 20 and 50, numbers 4 and 5, 3000 seeds: each person's call frequency
    # should be near 4/20 and 5/50; the chi-square goodness of fit test must not reject at 0.001.
    from scipy import stats

    pool = pool_of({"A": 20, "B": 50})
    regions = np.array(pool.column("region").to_pylist())
    counts = np.zeros(pool.num_rows)
    rng = np.random.default_rng(11)
    runs = 3000
    for _ in range(runs):
        result, _ = draw(pool, rng.bytes(32), {"A": 4, "B": 5})
        counts += result.called
    for name, p in (("A", 4 / 20), ("B", 5 / 50)):
        observed = counts[regions == name]
        assert abs(observed.mean() / runs - p) < 1e-12  # exact quota each run
        expected = np.full(len(observed), runs * p)
        assert stats.chisquare(observed, expected).pvalue > 0.001


def test_the_result_table_lists_the_reserve_in_call_order():
    from callup.lottery.draw import result_table

    pool = pool_of({"A": 30, "B": 10}, volunteers=0.1)
    result, _ = draw(pool, SEED, {"A": 4, "B": 2})
    table = result_table(pool, result)
    assert table.num_rows == pool.num_rows and table.column("called").to_pylist() == result.called.tolist()
    rows = [r for r in table.to_pylist() if r["region"] == "A"]
    reserve = sorted((r for r in rows if not r["called"]), key=lambda r: r["position"])
    expected = [pool.column("pseudonym")[int(i)].as_py() for i in result.reserve_rows("A")]
    assert [r["pseudonym"] for r in reserve] == expected
