"""The root of callup's exception tree.

Every error a user can cause (bad file, unknown person, a step run out of order) is a
`CallupError` or a subclass, carrying a message fit to show as is. The CLI prints it on
stderr and exits non-zero; anything else is a bug and keeps its traceback.
"""


class CallupError(Exception):
    """An error caused by input or state, with a message meant for the user."""

    exit_code = 2


class InputError(CallupError):
    """A file or argument is malformed; the message names the file, the place and the problem."""


class NotFound(CallupError):
    """A named thing (person, campaign, record) does not exist."""

    exit_code = 3


class StateError(CallupError):
    """An operation was asked for in a state that does not allow it (e.g. draw before commit)."""

    exit_code = 4
