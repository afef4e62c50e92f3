"""Policy errors."""

from callup.errors import CallupError, InputError


class PolicyError(InputError):
    """A policy file cannot be read or is invalid; the message names the file, the key and the problem."""


class PolicyNotInForce(CallupError):
    """No version of the policy is in force on the requested date."""
