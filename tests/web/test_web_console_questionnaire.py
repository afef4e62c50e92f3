"""The console's self-declaration pages: an officer keys a paper form of their region (errors beside the question,
values kept), the rates by region, the medical board's pre-assessment list, and answers only for the readers the
policy names."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from callup.questionnaire import service
from callup.questionnaire.tables import QuestionnaireRecipient
from callup.uow import UnitOfWork
from web_support import csrf_of, signed_in

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def forms(site):  # noqa: ANN001, ANN201
    """The questionnaire sent to the site's cohort: (national id, reference, region) of each form, region A first."""
    service.send_questionnaire(site.admin)
    t = QuestionnaireRecipient.__table__
    with UnitOfWork(site.admin, write=False) as uow:
        rows = [tuple(r) for r in uow.execute(select(t.c.national_id, t.c.reference, t.c.region).order_by(t.c.id))]
    return rows


def _account(site, role: str, region: str) -> str:  # noqa: ANN001
    """An account of `role` in `region` (made once), for a form of any region."""
    from callup.web.accounts import add_user
    from web_support import PASSWORD, TOTP

    name = f"{role}-{region}"
    if name not in site.users:
        with UnitOfWork(site.admin) as uow:
            add_user(uow, name, role=role, regions=region, password=PASSWORD, office=f"Office of {region}", totp_secret=TOTP)
        site.users[name] = {"role": role, "regions": region}
    return name


def test_an_officer_keys_a_paper_form_of_their_region_and_it_counts_as_answered_on_paper(site, forms):
    national_id, reference, region = forms[0]
    officer, medical = (signed_in(site, user=_account(site, role, region)) for role in ("officer", "medical"))
    form = officer.get(f"/console/questionnaire/form?reference={reference}")
    assert form.status_code == 200 and "Do you have a long-term illness" in form.text
    data = {"csrf": csrf_of(form.text), "reference": reference, "condition": "yes", "occupation": "study",
            "study_place": "Example College", "study_until-day": "31", "study_until-month": "2", "study_until-year": "2029",
            "prior_service": "no"}
    wrong = officer.post("/console/questionnaire/form", data=data)
    assert wrong.status_code == 422 and "There is a problem" in wrong.text and "Enter a real date" in wrong.text
    assert 'value="Example College"' in wrong.text and 'value="31"' in wrong.text  # kept
    data.update({"study_until-day": "30", "study_until-month": "6", "csrf": csrf_of(wrong.text)})
    done = officer.post("/console/questionnaire/form", data=data)
    assert done.status_code == 303 and done.headers["location"] == f"/console/questionnaire?keyed={reference}"
    index = officer.get(done.headers["location"])
    assert f"The answers of form {reference} were recorded and sent." in index.text and "On paper" in index.text
    again = officer.get(f"/console/questionnaire/form?reference={reference}")
    assert "were already sent" in again.text
    other = next(f for f in forms if f[2] != region)
    assert officer.get(f"/console/questionnaire/form?reference={other[1]}").status_code == 404  # another region's form
    listed = medical.get("/console/questionnaire/routes/medical_preassessment")
    assert national_id in listed.text and "Seen by the board" in listed.text
    closed = medical.post("/console/questionnaire/routes/medical_preassessment/close",
                          data={"csrf": csrf_of(listed.text), "person": national_id, "round": ""})
    assert closed.status_code == 303
    assert national_id not in medical.get("/console/questionnaire/routes/medical_preassessment").text
    studies = officer.get("/console/questionnaire/routes/deferral_check")  # the declared study, checked against the list
    assert "Example College" in studies.text and ("Not listed" in studies.text or "not been imported" in studies.text)
    answers = officer.get(f"/console/questionnaire/answers/{national_id}")
    assert answers.status_code == 200 and "Example College" in answers.text and "keyed from the paper form" in answers.text
    admin = signed_in(site, user="admin")
    assert admin.get(f"/console/questionnaire/answers/{national_id}").status_code == 403  # not a reader the policy names
    assert "Key a paper form" in admin.get("/console/questionnaire").text


def test_the_console_pages_are_in_russian_for_a_russian_reader(site, forms):
    officer = signed_in(site, user=f"officer-{site.regions[0]}")
    officer.cookies.set("callup_lang", "ru")
    page = officer.get("/console/questionnaire")
    assert "Внести бумажный бланк" in page.text and "Ответы по регионам" in page.text
