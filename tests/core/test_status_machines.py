"""Every status column has a machine: register imports and print batches (pinned transitions), and
the bulk step that moves a set of rows only from the states whose table allows the step."""

from __future__ import annotations

import pytest
from sqlalchemy import select, true

from callup.errors import StateError
from callup.notices.tables import BATCH
from callup.register import contact
from callup.register.contact import CONTACT_REQUEST
from callup.register.tables import IMPORT, ContactRequest, Person
from callup.store.steps import step_row, step_rows
from callup.uow import UnitOfWork
from callup_test_support import make_context
from campaign_helpers import load_register  # tests/campaigns, see conftest.py

people, requests_t = Person.__table__, ContactRequest.__table__


def _machines():  # noqa: ANN202
    from callup.campaigns.tables import CAMPAIGN
    from callup.cases.machines import MACHINES
    from callup.jobs.tables import JOB_RUN
    from callup.military_service.machines import SERVICE
    from callup.notices.tables import NOTICE, REMINDER

    return {("campaigns", "status"): [CAMPAIGN], ("summonses", "status"): [NOTICE], ("notice_batches", "status"): [BATCH],
            ("reminders", "state"): [REMINDER], ("job_runs", "state"): [JOB_RUN],
            ("imports", "status"): [IMPORT], ("contact_requests", "status"): [CONTACT_REQUEST],
            ("cases", "state"): list(MACHINES.values()), ("service_records", "state"): [SERVICE]}


#: Columns named status that are not a life cycle: the deployment rules' status (conscript...) at the attempt, and
#: the status a signed status document states (summoned, released...; its withdrawal is `revoked_at`).
NOT_A_LIFE_CYCLE = {("deployment_attempts", "status"), ("status_documents", "status")}


def test_every_status_column_has_a_machine_with_exactly_its_states():
    import callup.store.registry  # noqa: F401 - every feature's tables on the metadata
    from callup.store.base import Base

    machines = _machines()
    found = {(t.name, c.name) for t in Base.metadata.sorted_tables for c in t.columns if c.name in ("status", "state")}
    assert found - NOT_A_LIFE_CYCLE == set(machines), "a status column without a machine (or a machine without its column)"
    for (table, column), governing in machines.items():
        enums = getattr(Base.metadata.tables[table].c[column].type, "enums", None)
        if enums is not None:  # an enum column holds exactly the machine's states ("deleted": the row is gone)
            assert set(enums) == {s for m in governing for s in m.states} - {"deleted"}, (table, column)


def test_a_register_import_is_resumed_until_it_finishes_or_is_abandoned():
    assert IMPORT.paths() == sorted([
        ("failed", "abandon", "abandoned"), ("failed", "resume", "running"), ("running", "abandon", "abandoned"),
        ("running", "fail", "failed"), ("running", "finish", "finished"), ("running", "resume", "running")])
    for final in ("finished", "abandoned"):
        with pytest.raises(StateError, match=f"is {final}: cannot resume"):
            IMPORT.step(final, "resume", subject="import #1")


def test_a_print_batch_is_claimed_then_printed_once():
    assert BATCH.paths() == [("planned", "claim", "printing"), ("printing", "claim", "printing"),
                             ("printing", "print", "printed")]
    with pytest.raises(StateError, match="is printed: cannot claim"):
        BATCH.step("printed", "claim", subject="print batch 1")
    with pytest.raises(StateError, match="is planned: cannot print"):
        BATCH.step("planned", "print", subject="print batch 1")


@pytest.fixture
def three_requests(ctx, engine, tmp_path):
    """Three pending contact-change requests, the first then confirmed: their ids."""
    load_register(ctx, tmp_path, people=300)
    with engine.connect() as conn:
        ids = conn.execute(select(people.c.national_id).order_by(people.c.national_id).limit(3)).scalars().all()
    made = []
    for national_id in ids:
        with UnitOfWork(make_context(ctx.database_url, name="c", role="citizen", person_id=national_id)) as uow:
            made.append(contact.request_change(uow, email="new@example.org"))
    with UnitOfWork(ctx) as uow:
        contact.decide(uow, made[0], confirm=True)
    return made


def _statuses(engine, ids) -> list[str]:  # noqa: ANN001
    with engine.connect() as conn:
        rows = dict(conn.execute(select(requests_t.c.id, requests_t.c.status).where(requests_t.c.id.in_(ids))).all())
    return [rows[i] for i in ids]


def test_a_bulk_step_moves_only_the_rows_whose_state_allows_it(ctx, engine, three_requests):
    with UnitOfWork(ctx) as uow:
        moved = step_rows(uow, CONTACT_REQUEST, requests_t, true(), "reject", decision_reason="bulk")
    assert moved == {"pending": 2}
    assert _statuses(engine, three_requests) == ["confirmed", "rejected", "rejected"]


def test_a_bulk_step_limited_to_states_leaves_the_others(ctx, engine, three_requests):
    with UnitOfWork(ctx) as uow:
        assert step_rows(uow, CONTACT_REQUEST, requests_t, true(), "reject", states=["confirmed"]) == {}
    assert _statuses(engine, three_requests) == ["confirmed", "pending", "pending"]


def test_a_guarded_step_refuses_a_row_that_left_the_state_it_was_read_in(ctx, engine, three_requests):
    with UnitOfWork(ctx) as uow:
        with pytest.raises(StateError, match="changed while this step was being taken"):
            step_row(uow, CONTACT_REQUEST, requests_t, three_requests[0], "pending", "reject", subject="request")
        assert step_row(uow, CONTACT_REQUEST, requests_t, three_requests[1], "pending", "reject", subject="request") == "rejected"
    assert _statuses(engine, three_requests) == ["confirmed", "rejected", "pending"]
