"""Campaign errors: catch `CampaignError` broadly, or one of its kinds narrowly."""

from callup.errors import CallupError, InputError, NotFound, StateError


class CampaignError(CallupError):
    """Something about a campaign prevents the operation."""


class CampaignNotFound(NotFound, CampaignError):
    """No campaign of that name."""


class CampaignStateError(StateError, CampaignError):
    """The step was asked for out of order (e.g. a draw before the commitment)."""


class QuotaFileError(InputError, CampaignError):
    """A regional quota, volunteer or replacement file is malformed; the message names the file and line."""


class PolicyChanged(InputError, CampaignError):
    """The policy file given is not the one the campaign was created under."""


class NotCalled(NotFound, CampaignError):
    """The person is not (or no longer) called in this campaign."""
