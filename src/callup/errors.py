"""The root of callup's exception tree.

Every error a user can cause (bad file, unknown person, a step run out of order) is a
`CallupError` or a subclass, carrying a message fit to show as is: it names the file, option or
field and the problem, and never contains personal data. Each class carries the exit code the
command line ends with and the HTTP status the API answers with; anything else is a bug and
keeps its traceback.

`InputError` may name the `field` at fault in the API's terms (`window`); the command line
shows it as an option (`--window`) and the API answers 422 naming `window`.
"""

from __future__ import annotations


class CallupError(Exception):
    """An error caused by input or state, with a message meant for the user."""

    exit_code = 2
    http_status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):  # noqa: ANN204 - keep `field` across the bulk job's process boundary
        return _rebuild, (type(self), self.message, self.field)


def _rebuild(cls: type[CallupError], message: str, field: str | None) -> CallupError:
    return cls(message, field=field)


class InputError(CallupError):
    """A file or argument is malformed; the message names the file, the place and the problem."""

    http_status = 422


class NotFound(CallupError):
    """A named thing (person, campaign, record) does not exist, or is outside the actor's scope."""

    exit_code = 3
    http_status = 404


class StateError(CallupError):
    """An operation was asked for in a state that does not allow it (e.g. draw before commit)."""

    exit_code = 4
    http_status = 409


class Forbidden(CallupError):
    """The actor's role does not allow this operation (a region outside the scope is `NotFound`)."""

    exit_code = 5
    http_status = 403


def option_name(field: str) -> str:
    """The command-line spelling of an API field: `over_call` -> `--over-call`."""
    return "--" + field.replace("_", "-")
