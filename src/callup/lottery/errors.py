"""Errors of the lottery: every one is a `CallupError`, so the CLI prints it without a traceback."""

from __future__ import annotations

from callup.errors import CallupError, InputError, StateError


class LotteryError(CallupError):
    """The lottery was asked for something it cannot do with these inputs."""


class PoolError(InputError, LotteryError):
    """A pool (table or file) is malformed: missing column, bad pseudonym, duplicate, bad region name."""


class RecordError(InputError, LotteryError):
    """A draw record file cannot be read or does not follow the record format."""


class NotCommitted(StateError, LotteryError):
    """A draw was asked for before a commitment exists."""


class BeaconError(InputError, LotteryError):
    """A beacon round cannot be used: malformed, not the committed round, or its signature does not verify."""


class PseudonymError(InputError, LotteryError):
    """A pseudonym typed in by a person is not 32 hex digits."""
