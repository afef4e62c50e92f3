"""Errors of summonses and their delivery: catch `NoticeError` broadly or a kind narrowly."""

from callup.errors import CallupError, InputError, NotFound, StateError


class NoticeError(CallupError):
    """Something about a summons prevents the operation."""


class NoticeNotFound(NotFound, NoticeError):
    """No summons with that reference (or not one the actor may see)."""


class NoticeStateError(StateError, NoticeError):
    """The summons is in a state that does not allow the step (e.g. acknowledging a cancelled one)."""


class PostalFileError(InputError, NoticeError):
    """A receipts or returns file cannot be used at all."""
