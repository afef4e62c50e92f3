"""Where the case-work report plugs into the campaign report.

Case work (medical board, deferrals, exemptions, alternative service, appeals, induction with its
deployment guardrail, no-shows) is being built in `callup.cases`. When it offers the campaign's
funnel from called to inducted per region and the guardrail's events, these two functions
return them and the report shows them instead of the interim figures; until then they return
None and the report says what is not recorded yet.
"""

from __future__ import annotations

from callup.reports.model import FunnelSection
from callup.uow import UnitOfWork


def casework_funnel(uow: UnitOfWork, campaign: str) -> FunnelSection | None:
    """THE CASE FUNNEL: the case-work report's funnel from called to inducted per region.

    None until case work records induction; `funnel.funnel_section` then builds the interim
    funnel from calls and summonses, with `inducted` not recorded.
    """
    return None


def guardrail_events(uow: UnitOfWork, campaign: str) -> list[dict] | None:
    """Deployment-guardrail events of the campaign's inductees (a refused deployment: who may not serve where).

    None until case work records inductions and deployments.
    """
    return None
