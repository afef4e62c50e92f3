"""A small register written directly, so each test knows exactly who is in the questionnaire's cohort."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert

from callup.questionnaire import service
from callup.register.tables import Person
from callup.uow import UnitOfWork
from callup_test_support import make_context

SENT_ON = dt.date(2027, 2, 1)
ROUND = "born-2009"
#: Everyone the Republic's questionnaire sent on SENT_ON goes to: men, citizens, alive, born in 2009.
COHORT = {"1001": "R01", "1002": "R01", "1003": "R02", "1004": "R02"}


def person(national_id: str, region: str, born: dt.date, *, sex: str = "M", citizenship: str = "EXR",
           civil_status: str = "alive") -> dict:
    return {"national_id": national_id, "family_name": f"Family{national_id}", "given_names": f"Given{national_id}",
            "date_of_birth": born, "sex": sex, "citizenship": citizenship, "region": region,
            "address": f"{national_id} Harbour Rd", "postcode": "01001", "civil_status": civil_status, "volunteer": False}


def register(ctx) -> None:  # noqa: ANN001
    """The cohort (born January and February 2009, so 18 before a spring campaign) and people outside it."""
    rows = [person(n, r, dt.date(2009, 1 + i % 2, 10 + i)) for i, (n, r) in enumerate(COHORT.items())]
    rows += [person("2001", "R01", dt.date(2008, 12, 31)),  # a year older
             person("2002", "R01", dt.date(2010, 1, 1)),  # a year younger
             person("2003", "R01", dt.date(2009, 5, 5), sex="F"),  # the Republic calls men only
             person("2004", "R02", dt.date(2009, 6, 6), civil_status="emigrated"),
             person("2005", "R02", dt.date(2009, 7, 7), citizenship="OTH")]
    with UnitOfWork(ctx) as uow:
        uow.execute(insert(Person.__table__), rows)


def on(ctx, day: dt.date = SENT_ON, **kwargs):  # noqa: ANN001, ANN201
    """A context on the same store at 09:00 on `day` (optionally as another role)."""
    return make_context(ctx.database_url, now=day.isoformat(), **kwargs)


def citizen(ctx, national_id: str, day: dt.date = SENT_ON):  # noqa: ANN001, ANN201
    return on(ctx, day, role="citizen", name=f"citizen-{national_id}", person_id=national_id)


def sent(ctx):  # noqa: ANN001, ANN201
    register(ctx)
    return service.send_questionnaire(on(ctx))


def answer_all(ctx, national_id: str, answers: dict[str, str]) -> service.Receipt:  # noqa: ANN001
    """The citizen answers each question on the portal, one at a time, then sends them."""
    me = citizen(ctx, national_id)
    for qid, value in answers.items():
        with UnitOfWork(me) as uow:
            service.save_answer(uow, qid, value)
    with UnitOfWork(me) as uow:
        return service.submit_answers(uow)


FULL = {"condition": "no", "occupation": "work", "study_place": "", "study_until": "", "prior_service": "no"}
