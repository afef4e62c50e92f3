"""The decree's rules hold in the campaign services themselves, whoever calls them (command line,
web, a job, the demo): the policy's largest over-call, regional quotas that add up to the national
quota, and the shortfall the pools leave, reported with the campaign's summary."""

from __future__ import annotations

import dataclasses

import pytest

from callup.campaigns import service
from callup.errors import InputError
from callup.uow import UnitOfWork
from callup_test_support import EXAMPLE_POLICY
from campaign_helpers import WINDOW, create, load_register, summary


def _listed(ctx) -> list[str]:  # noqa: ANN001
    with UnitOfWork(ctx, write=False) as uow:
        return [c.name for c in service.list_campaigns(uow)]


def test_an_over_call_above_the_policys_largest_is_refused_by_the_service(ctx, tmp_path):
    path = tmp_path / "bounded.toml"
    text = EXAMPLE_POLICY.read_text(encoding="utf-8")
    path.write_text(text.replace("[versions.conscription]", "[versions.conscription]\nmax_over_call_rate = 0.5"), encoding="utf-8")
    bounded = dataclasses.replace(ctx, policy_path=str(path))
    with pytest.raises(InputError, match="largest allowed, 0.5") as info:
        create(bounded, "c", quota=5, over_call="0.6")
    assert info.value.field == "over_call" and _listed(ctx) == []
    create(bounded, "c", quota=5, over_call="0.5")
    assert _listed(ctx) == ["c"]


@pytest.mark.parametrize(("quotas", "word"), [({"R01": 1}, "less"), ({"R01": 6, "R02": 6}, "more")])
def test_regional_quotas_that_do_not_add_up_are_refused_before_the_campaign_is_created(ctx, quotas, word):
    decree = service.Decree(name="c", window=WINDOW, quota=10, over_call="0")
    with pytest.raises(InputError, match=f"add up to {sum(quotas.values())}, {word} than the national quota 10") as info:
        service.open_campaign(ctx, decree, regional_quotas=quotas)
    assert info.value.field == "regional_quotas" and _listed(ctx) == []


def test_a_freeze_with_regional_quotas_that_do_not_add_up_is_refused_and_freezes_nothing(ctx, tmp_path):
    load_register(ctx, tmp_path, people=500)
    create(ctx, "c", quota=10)
    with pytest.raises(InputError, match="add up to 9, less than the national quota 10"):
        service.freeze_campaign(ctx, "c", regional_quotas={"R01": 9})
    assert summary(ctx, "c").status == "created"
    service.freeze_campaign(ctx, "c", regional_quotas={"R01": 4, "R02": 6})
    assert {r.region: r.quota for r in summary(ctx, "c").regions if r.quota} == {"R01": 4, "R02": 6}


def test_the_summary_reports_the_shortfall_the_pools_leave(ctx, tmp_path):
    load_register(ctx, tmp_path, people=3000)
    create(ctx, "c", quota=4000)
    assert summary(ctx, "c").shortfall is None  # nothing allocated yet
    service.freeze_campaign(ctx, "c", regional_quotas={"R01": 3995, "R02": 5})
    s = summary(ctx, "c")
    pools = {r.region: r.pool for r in s.regions}
    assert pools["R01"] < 3995 and pools["R02"] >= 5
    assert s.shortfall.by_region == {"R01": 3995 - pools["R01"]}
    assert s.shortfall.total == 4000 - pools["R01"] - 5
