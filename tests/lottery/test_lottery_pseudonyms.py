import hmac

import pyarrow as pa
import pytest

from callup.lottery.errors import LotteryError
from callup.lottery.pseudonyms import campaign_key, from_hex, normalise_id, normalise_ids, pseudonym, pseudonymise, to_hex

KEY = b"k" * 32


def test_spaces_hyphens_case_and_width_do_not_change_the_person():
    assert normalise_id(" ab 12-34 ") == normalise_id("AB1234") == normalise_id("ａｂ１２３４") == "AB1234"


def test_an_id_that_is_only_separators_is_rejected():
    with pytest.raises(LotteryError):
        normalise_id(" - ")


def test_vectorised_normalisation_agrees_with_the_definition_on_ascii_and_unicode():
    ids = ["ab-1 2", "x\ty", "Straße 1", "\u00a0z\u2013z"]
    assert normalise_ids(ids) == [normalise_id(i).encode() for i in ids]


def test_pseudonym_is_the_first_16_bytes_of_hmac_sha256_of_the_normalised_id():
    assert pseudonym(KEY, "ab-12") == hmac.digest(KEY, b"AB12", "sha256")[:16]


def test_bulk_pseudonymise_equals_one_by_one():
    ids = [f"id-{i}" for i in range(50)] + ["Ünïcode-1"]
    bulk = pseudonymise(KEY, pa.array(ids))
    assert bulk.to_pylist() == [pseudonym(KEY, i) for i in ids]


def test_different_keys_give_unlinkable_pseudonyms_per_campaign():
    master = b"m" * 32
    a, b = campaign_key(master, "2031-spring"), campaign_key(master, "2031-autumn")
    assert a != b and pseudonym(a, "X1") != pseudonym(b, "X1")


def test_hex_round_trip_and_bad_hex_names_the_row():
    arr = pseudonymise(KEY, ["a", "b"])
    assert from_hex(to_hex(arr)) == arr
    with pytest.raises(LotteryError, match="row 2"):
        from_hex(["00" * 16, "zz" * 16])
