from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

from callup.errors import InputError
from callup.lottery.apportionment import apportion, over_call, over_call_regions

pools_st = st.dictionaries(st.text("ABCDEFGHIJ", min_size=1, max_size=3), st.integers(0, 5000), min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(pools=pools_st, data=st.data(), method=st.sampled_from(["largest_remainder", "sainte_lague"]))
def test_seats_sum_exactly_and_never_exceed_a_region_pool(pools, data, method):
    total = data.draw(st.integers(0, sum(pools.values())))
    seats = apportion(pools, total, method=method)
    assert sum(seats.values()) == total and seats.keys() == pools.keys()
    assert all(0 <= seats[k] <= pools[k] for k in pools)
    assert apportion(dict(reversed(list(pools.items()))), total, method=method) == seats  # deterministic, order-free


@settings(max_examples=150, deadline=None)
@given(pools=pools_st, data=st.data())
def test_largest_remainder_gives_every_region_the_floor_or_ceiling_of_its_share(pools, data):
    total = data.draw(st.integers(0, sum(pools.values())))
    seats = apportion(pools, total)
    whole = sum(pools.values())
    for k, size in pools.items():
        share = Fraction(total * size, whole) if whole else Fraction(0)
        assert share.__floor__() <= seats[k] <= share.__ceil__()


@settings(max_examples=100, deadline=None)
@given(pools=pools_st, data=st.data())
def test_sainte_lague_is_house_monotone(pools, data):
    whole = sum(pools.values())
    total = data.draw(st.integers(0, max(0, whole - 1)))
    small = apportion(pools, total, method="sainte_lague")
    large = apportion(pools, min(total + 1, whole), method="sainte_lague")
    assert all(large[k] >= small[k] for k in pools)


def test_sainte_lague_follows_the_textbook_example():
    # 53k/24k/23k for 7 seats: quotients 53000, 24000, 23000, 17667, 10600, 8000, 7667 win: 3/2/2.
    assert apportion({"A": 53000, "B": 24000, "C": 23000}, 7, method="sainte_lague") == {"A": 3, "B": 2, "C": 2}
    assert apportion({"A": 53000, "B": 24000, "C": 23000}, 7) == {"A": 4, "B": 2, "C": 1}
    assert apportion({"A": 5, "B": 3, "C": 2}, 4) == {"A": 2, "B": 1, "C": 1}


def test_ties_go_to_the_larger_pool_then_to_the_first_name():
    assert apportion({"B": 1, "A": 1}, 1) == {"A": 1, "B": 0}
    assert apportion({"B": 1, "A": 1}, 1, method="sainte_lague") == {"A": 1, "B": 0}


def test_more_seats_than_people_is_an_input_error():
    with pytest.raises(InputError):
        apportion({"A": 2}, 3)
    with pytest.raises(InputError, match="method"):
        apportion({"A": 2}, 1, method="dhondt")


def test_over_call_rounds_up_exactly():
    assert over_call(100, "0.35") == 135
    assert over_call(101, "0.35") == 137  # 136.35 -> 137
    assert over_call(20, 0.35) == 27
    assert over_call(0, "0.5") == 0
    assert over_call_regions({"A": 10, "B": 3}, "0.5", pools={"A": 100, "B": 4}) == {"A": 15, "B": 4}
    with pytest.raises(InputError):
        over_call(10, "-0.1")
