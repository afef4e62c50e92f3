"""Case errors: catch `CaseError` broadly, or one of its kinds narrowly."""

from callup.errors import CallupError, InputError, NotFound, StateError


class CaseError(CallupError):
    """Something about a case prevents the operation."""


class CaseNotFound(NotFound, CaseError):
    """No case with that number, or not one the actor may see (the same answer)."""


class CaseStateError(StateError, CaseError):
    """The case's state does not allow the step (the message names the case, its state and the step)."""


class CaseInputError(InputError, CaseError):
    """A ground, category, date or reason is missing or not one the policy knows."""


class CaseChanged(CaseStateError):
    """The case took a step after the page the decision was made on was read: the decision is not recorded."""
