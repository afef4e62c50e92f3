"""Contact-change requests go through their machine: decided once, by one officer.

Two officers deciding the same request at the same moment: exactly one decision is written (to the
request, the register and the audit log); the other officer is told the request was decided
meanwhile. On PostgreSQL the two decisions really overlap (both have read the pending request
before either writes); SQLite runs writers one at a time, so there the second sees it decided.
"""

from __future__ import annotations

import concurrent.futures
import threading

import pytest
from sqlalchemy import select

from callup import audit
from callup.context import Context
from callup.errors import StateError
from callup.register import contact
from callup.register.contact import CONTACT_REQUEST
from callup.register.tables import Person
from callup.statemachine import TransitionRefused
from callup.uow import UnitOfWork
from callup_test_support import make_context
from campaign_helpers import load_register  # tests/campaigns, see conftest.py

people = Person.__table__


@pytest.fixture
def request_of(ctx, engine, tmp_path):
    """A pending request of a registered citizen to change email and phone: (national id, region, request id)."""
    load_register(ctx, tmp_path, people=300)
    with engine.connect() as conn:
        national_id, region = conn.execute(select(people.c.national_id, people.c.region).order_by(people.c.national_id)).first()
    citizen = make_context(ctx.database_url, name="citizen", role="citizen", person_id=national_id)
    with UnitOfWork(citizen) as uow:
        request_id = contact.request_change(uow, email="new@example.org", phone="+1 555 0100")
    return national_id, region, request_id


def _decide(officer, request_id, confirm):  # noqa: ANN001, ANN202
    with UnitOfWork(officer) as uow:
        return contact.decide(uow, request_id, confirm=confirm, reason=None if confirm else "the phone number is not theirs")


def test_the_machine_decides_a_request_once():
    assert CONTACT_REQUEST.step("pending", "confirm", subject="r") == "confirmed"
    assert CONTACT_REQUEST.step("pending", "reject", subject="r") == "rejected"
    for decided in ("confirmed", "rejected"):
        for step in ("confirm", "reject"):
            with pytest.raises(TransitionRefused):
                CONTACT_REQUEST.step(decided, step, subject="r")


def test_a_decided_request_is_not_decided_again(ctx, request_of):
    _, region, request_id = request_of
    officer = make_context(ctx.database_url, name="officer-a", role="officer", regions=region)
    assert _decide(officer, request_id, confirm=True).status == "confirmed"
    with pytest.raises(StateError, match="already confirmed"):
        _decide(officer, request_id, confirm=False)


@pytest.mark.parametrize("first_confirms", [True, False])
def test_two_officers_deciding_one_request_at_once_one_wins(ctx, engine, request_of, monkeypatch, first_confirms):
    national_id, region, request_id = request_of
    officers = [make_context(ctx.database_url, name=f"officer-{k}", role="officer", regions=region) for k in "ab"]
    if engine.dialect.name == "postgresql":  # hold both after their read of the pending request until both have read it
        both_read = threading.Barrier(2, timeout=60)
        check_visible = Context.check_visible

        def check_then_wait(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            check_visible(self, *args, **kwargs)
            both_read.wait()

        monkeypatch.setattr(Context, "check_visible", check_then_wait)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(_decide, officer, request_id, confirm)
                   for officer, confirm in zip(officers, (first_confirms, not first_confirms), strict=True)]
    outcomes = [f.exception() for f in futures]
    assert sum(e is None for e in outcomes) == 1, outcomes
    winner = next(f.result() for f in futures if f.exception() is None)
    loser = next(e for e in outcomes if e is not None)
    assert isinstance(loser, StateError) and f"already {winner.status}" in str(loser), loser
    decisions = [e for e in audit.entries(engine, person_id=national_id) if e.action == "person.contact.decide"]
    assert [e.details["decision"] for e in decisions] == [winner.status]
    with engine.connect() as conn:
        email = conn.execute(select(people.c.email).where(people.c.national_id == national_id)).scalar()
    assert (email == "new@example.org") is (winner.status == "confirmed")
