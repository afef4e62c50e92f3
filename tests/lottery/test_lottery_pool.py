import numpy as np
import pyarrow as pa
import pytest

from callup.lottery.errors import PoolError
from callup.lottery.pool import canonical, fingerprint, make_pool, read_pool, write_pool

P = [bytes([i]) * 16 for i in range(6)]


def test_fingerprint_follows_the_documented_byte_encoding():
    import hashlib

    pool = make_pool(["B", "A", "A"], [P[2], P[1], P[0]], [False, True, False])
    expected = hashlib.sha256(b"A\x1f" + P[0] + b"\x00\x1e" + b"A\x1f" + P[1] + b"\x01\x1e" + b"B\x1f" + P[2] + b"\x00\x1e").hexdigest()
    fp = fingerprint(pool)
    assert fp.fingerprint == expected
    assert fp.regions["A"].size == 2 and fp.regions["A"].volunteers == 1


def test_fingerprint_does_not_depend_on_row_order():
    rng = np.random.default_rng(3)
    pool = make_pool([f"R{i % 4}" for i in range(200)], [rng.bytes(16) for _ in range(200)])
    shuffled = pool.take(pa.array(rng.permutation(200)))
    assert fingerprint(shuffled) == fingerprint(pool)


def test_a_pseudonym_in_two_rows_is_rejected():
    with pytest.raises(PoolError, match="more than one row"):
        make_pool(["A", "B"], [P[0], P[0]])
    with pytest.raises(PoolError, match="twice"):
        make_pool(["A", "A"], [P[0], P[0]])


def test_region_names_with_control_characters_are_rejected():
    with pytest.raises(PoolError):
        make_pool(["A\x1fB"], [P[0]])


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_pool_file_round_trip_keeps_canonical_order_and_fingerprint(tmp_path, suffix):
    pool = make_pool(["Zeta", "Alpha", "Zeta"], [P[3], P[4], P[1]], [True, False, False])
    write_pool(pool, tmp_path / f"pool{suffix}")
    back = read_pool(tmp_path / f"pool{suffix}")
    assert back.equals(canonical(pool))
    assert fingerprint(back) == fingerprint(pool)


def test_pool_file_with_a_bad_pseudonym_names_file_and_row(tmp_path):
    path = tmp_path / "pool.csv"
    path.write_text("region,pseudonym,volunteer\nA," + "00" * 16 + ",0\nA,not-hex,0\n")
    with pytest.raises(PoolError, match=r"pool\.csv.*row 2"):
        read_pool(path)


def test_a_pool_file_with_a_control_character_in_a_region_s_name_names_the_file(tmp_path):
    path = tmp_path / "pool.csv"
    path.write_text("region,pseudonym,volunteer\n\x0001," + "00" * 16 + ",0\n")
    with pytest.raises(PoolError, match=r"pool\.csv: region name .* control character"):
        read_pool(path)


def test_missing_pool_file_is_a_clear_error(tmp_path):
    with pytest.raises(PoolError, match="no such file"):
        read_pool(tmp_path / "nope.parquet")


def test_a_csv_pool_with_a_byte_order_mark_and_empty_lines_is_the_same_pool_and_a_blank_row_is_refused(tmp_path):
    """Section 3: a leading UTF-8 byte order mark and empty lines are ignored; a line of spaces is a bad row."""
    rows = '"North",8ae543f9aeb1e1c2565db4245473e1d7,0\n"North",e72ec86c9b5d206cbdd169dfa64edacf,1\n'
    plain, marked, spaced = tmp_path / "plain.csv", tmp_path / "marked.csv", tmp_path / "spaced.csv"
    plain.write_text("region,pseudonym,volunteer\n" + rows, encoding="utf-8")
    marked.write_bytes(b"\xef\xbb\xbf" + ("region,pseudonym,volunteer\r\n\r\n" + rows.replace("\n", "\r\n\n")).encode())
    assert fingerprint(read_pool(marked)).fingerprint == fingerprint(read_pool(plain)).fingerprint
    spaced.write_text("region,pseudonym,volunteer\n \n" + rows, encoding="utf-8")
    with pytest.raises(PoolError, match="spaced.csv"):
        read_pool(spaced)
