"""A drawn campaign with something in every section of the report: summonses delivered by receipt and by the
deemed-delivery rule, returned letters, a released person and the replacement, appearances and an open case."""

from __future__ import annotations

import datetime as dt
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "campaigns"))

from sqlalchemy import select  # noqa: E402

from callup.context import Actor, Role  # noqa: E402
from callup.examples import path as example  # noqa: E402
from callup.notices import service as notices  # noqa: E402
from callup.notices.tables import Summons  # noqa: E402
from callup.uow import UnitOfWork  # noqa: E402
from callup_test_support import at_appointment  # noqa: E402
from campaign_helpers import drawn, load_register, on_day, replace  # noqa: E402

CAMPAIGN = "spring-2027"
ISSUE_DAY = dt.date(2027, 2, 1)
REPORT_DAY = dt.date(2027, 4, 20)


def _live(ctx) -> list:  # noqa: ANN001
    s = Summons.__table__
    with UnitOfWork(ctx, write=False) as uow:
        return uow.execute(select(s.c.reference, s.c.national_id, s.c.region).where(s.c.status.not_in(["cancelled", "superseded"]))
                           .order_by(s.c.id)).all()


def busy_campaign(ctx, tmp_path: pathlib.Path, *, people: int = 6000, quota: int = 120):  # noqa: ANN001, ANN201
    """The campaign at REPORT_DAY: 10 receipts, 3 returned, the rest of the first issue deemed delivered, one person
    released (deferred) and replaced (the replacement's summons has no evidence yet), 5 appeared, 2 did not, one
    exemption case open since the issue day; of the first two who appeared, one found fit and inducted into a training
    unit, the other found fit and refused by the deployment guardrail (a combat unit). Returns the context at REPORT_DAY."""
    from callup.cases import medical, transitions
    from callup.cases.tables import CaseKind
    from callup.military_service import induction
    from callup.military_service.units import import_units

    load_register(ctx, tmp_path, people=people)
    drawn(ctx, CAMPAIGN, quota=quota, over_call="0")
    day = on_day(ctx, ISSUE_DAY)
    with UnitOfWork(day) as uow:
        notices.issue_summonses(uow, CAMPAIGN, offices_path=example("offices/republic-of-example.csv"))
        notices.publish_notices(uow, CAMPAIGN)
    rows = _live(day)
    receipts, returns = tmp_path / "receipts.csv", tmp_path / "returns.csv"
    receipts.write_text("reference,delivered_on\n" + "".join(f"{r.reference},2027-02-05\n" for r in rows[:10]), encoding="utf-8")
    returns.write_text("reference,returned_on,reason\n" + "".join(f"{r.reference},2027-02-06,moved away\n" for r in rows[10:13]),
                       encoding="utf-8")
    with UnitOfWork(day) as uow:
        notices.import_postal_file(uow, receipts, kind="receipts")
        notices.import_postal_file(uow, returns, kind="returns")
    later = on_day(ctx, ISSUE_DAY + dt.timedelta(days=30))
    with UnitOfWork(later) as uow:
        notices.apply_deemed_delivery(uow, CAMPAIGN, on=later.today())
    replace(later, CAMPAIGN, rows[20].national_id, "deferred")
    with UnitOfWork(later) as uow:
        notices.issue_summonses(uow, CAMPAIGN)
    for r, outcome in [(r, "appeared") for r in rows[:5]] + [(r, "no_show") for r in rows[5:7]]:
        with UnitOfWork(at_appointment(later, r.reference)) as uow:  # delivered by receipt; recorded on the day
            notices.record_appearance(uow, r.reference, outcome)
    with UnitOfWork(on_day(ctx, ISSUE_DAY)) as uow:
        transitions.open_case(uow, CAMPAIGN, rows[30].national_id, CaseKind.exemption, ground="prior_service", evidence="SR-1")
    with UnitOfWork(later) as uow:
        import_units(uow, example("units/republic-of-example.csv"))
    for r, unit in ((rows[0], "1-INF-TRG"), (rows[1], "8-MECH")):
        with UnitOfWork(later) as uow:
            case = medical.open_examination(uow, CAMPAIGN, r.national_id)
        board = later.with_actor(Actor("test-board", Role.medical, regions=frozenset({r.region})))
        with UnitOfWork(board) as uow:
            medical.decide_fitness(uow, case.id, "A")
        with UnitOfWork(later) as uow:
            induction.induct(uow, CAMPAIGN, r.national_id, unit=unit, start=dt.date(2027, 5, 1))
    return on_day(ctx, REPORT_DAY)
