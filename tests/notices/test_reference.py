"""Summons references and sign-in codes: format, check symbol, tolerant parsing, code hashes."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings, strategies as st

from callup.errors import InputError
from callup.notices.reference import (
    ALPHABET,
    REFERENCE_SYMBOLS,
    check_code,
    compact_reference,
    hash_code,
    is_reference,
    new_code,
    new_reference,
    parse_code,
    parse_reference,
)

KEY = bytes(range(32))


def seeded(seed: int):
    rng = random.Random(seed)
    return lambda n: rng.randbytes(n)


random_bytes = st.binary(min_size=12, max_size=12).map(lambda b: (lambda n: b[:n]))


def test_printed_form_is_five_groups_of_four_in_the_alphabet():
    ref = new_reference()
    groups = ref.split("-")
    assert [len(g) for g in groups] == [4, 4, 4, 4, 4]
    assert set("".join(groups)) <= set(ALPHABET)
    assert parse_reference(ref) == ref


def test_the_random_source_is_injected_and_used():
    assert new_reference(seeded(1)) == new_reference(seeded(1))
    assert new_reference(seeded(1)) != new_reference(seeded(2))
    assert new_reference(lambda n: bytes(n)).startswith("0000-0000-0000-0000-")


def test_at_least_80_random_bits():
    # 19 random symbols of 5 bits; every bit of the 12 bytes but the last reaches the result.
    base = new_reference(lambda n: bytes(n))
    for bit in range(95):
        data = (1 << (95 - bit)).to_bytes(12, "big")
        assert new_reference(lambda n, d=data: d[:n]) != base, bit


def test_a_wrong_number_of_random_bytes_is_a_programming_error():
    with pytest.raises(ValueError):
        new_reference(lambda n: b"short")


@given(random_bytes, st.data())
@settings(max_examples=300)
def test_every_single_mistyped_symbol_is_caught(source, data):
    compact = compact_reference(new_reference(source))
    position = data.draw(st.integers(0, REFERENCE_SYMBOLS - 1))
    wrong = data.draw(st.sampled_from([c for c in ALPHABET if c != compact[position]]))
    typo = compact[:position] + wrong + compact[position + 1:]
    with pytest.raises(InputError) as caught:
        parse_reference(typo)
    assert caught.value.field == "reference"


@given(random_bytes, st.integers(0, REFERENCE_SYMBOLS - 2))
@settings(max_examples=300)
def test_every_adjacent_transposition_is_caught(source, position):
    compact = compact_reference(new_reference(source))
    swapped = compact[:position] + compact[position + 1] + compact[position] + compact[position + 2:]
    if swapped == compact:
        return  # two equal neighbours: nothing changed
    assert not is_reference(swapped)


def test_exhaustively_for_one_reference():
    compact = compact_reference(new_reference(seeded(7)))
    for i in range(REFERENCE_SYMBOLS):
        for c in ALPHABET:
            if c != compact[i]:
                assert not is_reference(compact[:i] + c + compact[i + 1:])
        for j in range(i + 1, REFERENCE_SYMBOLS):  # any swap of two different symbols, too
            if compact[i] != compact[j]:
                s = list(compact)
                s[i], s[j] = s[j], s[i]
                assert not is_reference("".join(s))


@given(random_bytes)
def test_parsing_tolerates_case_spaces_dashes_and_look_alikes(source):
    ref = new_reference(source)
    compact = ref.replace("-", "")
    messy = " ".join(compact[i:i + 3] for i in range(0, 20, 3)).lower()
    assert parse_reference(messy) == ref
    assert parse_reference("  " + ref + " ") == ref
    look_alike = compact.replace("1", "l").replace("0", "O")
    assert parse_reference(look_alike) == ref
    assert parse_reference(compact.replace("1", "I")) == ref
    assert parse_reference(ref.replace("-", "\u2013")) == ref


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("   - ", "empty"),
    ("K7QM-2XBD-9RTF-H4WC", "has 16 characters, expected 20"),
    ("K7QM-2XBD-9RTF-H4WC-7PQ3X", "has 21 characters, expected 20"),
    ("K7QM-2XBD-9RTF-H4WC-7PQU", "character 20 ('U') is not used"),
    ("K7QM-2XBD-9RTF-H4WC-7PQ?", "character 20 ('?') is not used"),
])
def test_bad_references_raise_input_error_naming_the_field(text, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")) as caught:
        parse_reference(text)
    assert caught.value.field == "reference"


def test_the_message_does_not_repeat_the_reference():
    ref = new_reference(seeded(3))
    typo = ref[:-1] + ("0" if ref[-1] != "0" else "1")
    with pytest.raises(InputError) as caught:
        parse_reference(typo)
    assert typo not in str(caught.value) and ref not in str(caught.value)


def test_codes():
    code = new_code(seeded(1))
    assert len(code) == 9 and code[4] == "-"
    assert new_code(seeded(1)) == code
    assert parse_code(code.lower().replace("-", " ")) == code
    with pytest.raises(InputError) as caught:
        parse_code("1234567")
    assert caught.value.field == "code"


def test_code_hash_is_keyed_bound_to_the_reference_and_checked_in_any_spelling():
    ref, other = new_reference(seeded(1)), new_reference(seeded(2))
    code = new_code(seeded(3))
    stored = hash_code(code, reference=ref, key=KEY)
    assert len(stored) == 32 and code.encode() not in stored
    assert check_code(code, stored, reference=ref, key=KEY)
    assert check_code(code.lower().replace("-", ""), stored, reference=ref.lower(), key=KEY)
    assert not check_code(code, stored, reference=other, key=KEY)
    assert not check_code(code, stored, reference=ref, key=bytes(32))
    assert not check_code(new_code(seeded(4)), stored, reference=ref, key=KEY)
    assert not check_code("not a code", stored, reference=ref, key=KEY)
    with pytest.raises(ValueError):
        hash_code(code, reference=ref, key=b"short")


@given(st.text(max_size=40))
def test_any_text_is_a_reference_or_one_input_error(text):
    try:
        assert is_reference(parse_reference(text))
    except InputError as exc:
        assert exc.field == "reference"


def test_the_pure_modules_do_not_load_the_pdf_libraries():
    import subprocess
    import sys

    code = ("import sys, callup.notices, callup.notices.reference, callup.notices.offices, callup.notices.schedule; "
            "print(sorted(m for m in ('reportlab', 'zxingcpp', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
