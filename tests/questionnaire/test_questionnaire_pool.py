"""A campaign freezes its pool using the answers as the policy allows: it leaves out people on a route the policy
names while the route is open, and never anyone for not answering."""

from __future__ import annotations

import datetime as dt

import pytest
from questionnaire_helpers import FULL, answer_all, on, sent

from callup.campaigns import service as campaigns
from callup.errors import Forbidden
from callup.questionnaire import service
from callup.uow import UnitOfWork

pytestmark = pytest.mark.db


def _pool(ctx, name: str) -> tuple[int, int]:  # noqa: ANN001
    ctx = on(ctx, dt.date(2027, 3, 1))
    with UnitOfWork(ctx) as uow:
        campaigns.create_campaign(uow, campaigns.Decree(name=name, window=(dt.date(2027, 4, 1), dt.date(2027, 7, 15)),
                                                        quota=2, over_call="0"))
    frozen = campaigns.freeze_campaign(ctx, name)
    return frozen.pool_size, frozen.left_out_by_questionnaire


def test_a_declared_condition_leaves_the_person_out_until_the_board_has_seen_them(ctx):
    sent(ctx)
    answer_all(ctx, "1003", dict(FULL, condition="yes"))  # routed to the medical pre-assessment
    answer_all(ctx, "1004", FULL)
    # 1001 and 1002 never answer; 2001 (born 2008) was never asked: all of them stay in the pool
    assert _pool(ctx, "spring-2027") == (4, 1)
    with UnitOfWork(on(ctx, role="officer", regions="R02")) as uow, pytest.raises(Forbidden):
        service.close_route(uow, "1003", "medical_preassessment", reason="seen")
    with UnitOfWork(on(ctx, role="medical", regions="R02")) as uow:
        assert service.close_route(uow, "1003", "medical_preassessment", reason="seen by the board: no restriction") == 1
    assert _pool(ctx, "spring-2027-b") == (5, 0)
