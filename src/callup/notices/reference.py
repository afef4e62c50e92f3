"""Summons references and sign-in codes: the shared module `callup.references` (the questionnaire, a lower
feature, prints them too), under the name the summons code has always used."""

from callup.references import (
    ALPHABET,
    CODE_SYMBOLS,
    GROUP,
    RANDOM_BITS,
    RANDOM_SYMBOLS,
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

__all__ = ["ALPHABET", "CODE_SYMBOLS", "GROUP", "RANDOM_BITS", "RANDOM_SYMBOLS", "REFERENCE_SYMBOLS", "check_code",
           "compact_reference", "hash_code", "is_reference", "new_code", "new_reference", "parse_code", "parse_reference"]
