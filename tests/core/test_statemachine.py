"""State machines as data: random step sequences against the campaign's transition table.

The table is the whole truth: every declared transition succeeds and leads where the table
says; every other step is refused with an error naming the subject, its state and the step;
a final state allows nothing.
"""

from __future__ import annotations

import pytest
from hypothesis import settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from callup.campaigns.errors import CampaignStateError
from callup.campaigns.tables import CAMPAIGN, CampaignStatus
from callup.errors import StateError
from callup.statemachine import Machine

SUBJECT = "campaign 'spring-2027'"
#: A campaign's life as it is meant to be, written out here rather than read from the machine.
EXPECTED = {("created", "freeze"): "frozen", ("created", "delete"): "deleted", ("frozen", "commit"): "committed",
            ("committed", "draw"): "drawn", ("drawn", "close"): "closed"}
#: The expected steps, and steps no table declares (a typo, a step of another machine).
STEPS = sorted({step for _, step in EXPECTED} | {"reopen", "undraw", "approve", "Freeze", ""})


def test_the_campaign_machine_has_exactly_the_expected_transitions_and_final_states():
    assert dict(CAMPAIGN.table) == EXPECTED and set(CAMPAIGN.final) == {"closed", "deleted"}


class CampaignLife(RuleBasedStateMachine):
    """A campaign walked through random steps, from any state of the table."""

    @initialize(start=st.sampled_from(CAMPAIGN.states))
    def start(self, start: str) -> None:
        self.state = start
        self.path = [start]

    @rule(step=st.sampled_from(STEPS), as_enum=st.booleans())
    def take(self, step: str, as_enum: bool) -> None:
        declared = EXPECTED.get((self.state, step))
        state = CampaignStatus(self.state) if as_enum and self.state in CampaignStatus.__members__ else self.state
        if declared is not None:
            assert CAMPAIGN.can(state, step) and step in CAMPAIGN.allowed(state)
            self.state = CAMPAIGN.step(state, step, subject=SUBJECT)
            assert self.state == declared
            self.path.append(f"{step} -> {self.state}")
            return
        assert not CAMPAIGN.can(state, step) and step not in CAMPAIGN.allowed(state)
        with pytest.raises(CampaignStateError) as refused:
            CAMPAIGN.step(state, step, subject=SUBJECT)
        message = str(refused.value)
        assert isinstance(refused.value, StateError) and refused.value.exit_code == 4 and refused.value.http_status == 409
        assert message.startswith(f"{SUBJECT} is {self.state}: cannot {step} "), (self.path, message)

    @invariant()
    def final_states_allow_nothing(self) -> None:
        if self.state in CAMPAIGN.final:
            assert CAMPAIGN.allowed(self.state) == []
            for step in CAMPAIGN.steps:
                with pytest.raises(CampaignStateError, match=f"{self.state} is final: nothing may follow"):
                    CAMPAIGN.step(self.state, step, subject=SUBJECT)

    @invariant()
    def the_state_is_one_of_the_table(self) -> None:
        assert self.state in CAMPAIGN.states


TestCampaignLife = CampaignLife.TestCase
TestCampaignLife.settings = settings(max_examples=200, stateful_step_count=20, deadline=None)


def test_every_state_but_the_final_ones_has_a_way_on_and_every_state_is_reachable_from_created():
    reachable, todo = {"created"}, ["created"]
    while todo:
        state = todo.pop()
        for step in CAMPAIGN.allowed(state):
            following = CAMPAIGN.step(state, step, subject=SUBJECT)
            if following not in reachable:
                reachable.add(following)
                todo.append(following)
    assert reachable == set(CAMPAIGN.states)
    assert {s for s in CAMPAIGN.states if not CAMPAIGN.allowed(s)} == set(CAMPAIGN.final) == {"closed", "deleted"}


def test_a_table_whose_final_state_has_a_way_out_is_refused_when_declared():
    with pytest.raises(ValueError, match="final states have outgoing steps"):
        Machine("broken", {("a", "go"): "b", ("b", "back"): "a"}, final=frozenset({"b"}))
