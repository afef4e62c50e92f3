"""The one source of real randomness: the operating system's CSPRNG.

Services take randomness from their context (`Context.random`), the lottery from a `RandomSource`
argument; both default to this, and tests and declared rehearsals pass a seeded source instead.
"""

from __future__ import annotations

import secrets


def secure_random(n: int) -> bytes:
    """`n` random bytes from the operating system's CSPRNG."""
    return secrets.token_bytes(n)
