"""The authorization matrix: every role against every API endpoint and every console and portal page,
on a person of region A. Allowed calls succeed; forbidden ones answer 401/403/404 (or send an
anonymous browser to sign in) and carry none of the person's data in the body."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from callup.notices.tables import Summons
from callup.register.tables import Person
from callup.store.engine import connect
from web_support import client, csrf_of, session_cookie

ROLES = ["anonymous", "citizen-self", "citizen-other", "admin", "officer-A", "officer-B", "medical-A", "auditor"]
STAFF_ALL = {"admin", "officer-A", "medical-A", "auditor"}
OK, DENY = "ok", "deny"

# (method, path template, allowed roles, kind); kind: api (anonymous -> 401), page (anonymous -> sign-in redirect)
MATRIX = [
    ("GET", "/api/v1/me/status", {"citizen-self", "citizen-other"}, "api"),
    ("GET", "/api/v1/people?q={nid}", STAFF_ALL | {"officer-B"}, "api"),  # officer-B: allowed, but sees no one of A
    ("GET", "/api/v1/people?region={region}", STAFF_ALL | {"officer-B"}, "api"),
    ("GET", "/api/v1/people/{nid}", STAFF_ALL | {"citizen-self"}, "api"),
    ("GET", "/api/v1/people/{nid}/summonses", STAFF_ALL | {"citizen-self"}, "api"),
    ("GET", "/api/v1/campaigns", STAFF_ALL | {"officer-B"}, "api"),
    ("GET", "/api/v1/campaigns/spring-2027", STAFF_ALL | {"officer-B"}, "api"),
    ("GET", "/api/v1/campaigns/spring-2027/notices", STAFF_ALL | {"officer-B"}, "api"),
    ("GET", "/api/v1/campaigns/spring-2027/follow-up?days=0&limit=500", {"admin", "officer-A", "officer-B", "auditor"}, "api"),
    ("GET", "/api/v1/summonses/{ref}", STAFF_ALL | {"citizen-self"}, "api"),
    ("POST", "/api/v1/summonses/{ref}/appearance", {"admin", "officer-A"}, "api"),
    ("POST", "/api/v1/summonses/{ref}/acknowledge", {"admin", "officer-A", "citizen-self"}, "api"),
    ("GET", "/console", STAFF_ALL | {"officer-B"}, "page"),
    ("GET", "/console/search?q={nid}", STAFF_ALL | {"officer-B"}, "page"),
    ("GET", "/console/people/{nid}", STAFF_ALL, "page"),
    ("GET", "/console/people/{nid}?reason=matrix", STAFF_ALL, "page"),
    ("GET", "/console/summons/{ref}", STAFF_ALL, "page"),
    ("POST", "/console/summons/{ref}/appearance", {"admin", "officer-A"}, "page"),
    ("GET", "/portal", {"citizen-self", "citizen-other"}, "page"),
    ("GET", "/portal/summons/{ref}", {"citizen-self"}, "page"),
    ("GET", "/portal/summons/{ref}/letter.pdf", {"citizen-self"}, "page"),
    ("GET", "/portal/summons/{ref}/move", {"citizen-self"}, "page"),
    ("POST", "/portal/summons/{ref}/acknowledge", {"citizen-self"}, "page"),
    ("POST", "/portal/summons/{ref}/open", {"citizen-self"}, "page"),
    ("GET", "/portal/rights/appeal", {"citizen-self", "citizen-other"}, "page"),
    ("GET", "/portal/rights/deferral/ask", {"citizen-self", "citizen-other"}, "page"),
    ("GET", "/portal/rights/deferral/sent/{case}", {"citizen-self"}, "page"),
    ("GET", "/portal/contact", {"citizen-self", "citizen-other"}, "page"),
    ("POST", "/portal/reminders", {"citizen-self", "citizen-other"}, "page"),
    ("GET", "/portal/reads", {"citizen-self", "citizen-other"}, "page"),
    ("GET", "/portal/document", {"citizen-self", "citizen-other"}, "page"),
    ("GET", "/portal/document.pdf", {"citizen-self", "citizen-other"}, "page"),
    ("GET", "/portal/cases", {"citizen-self", "citizen-other"}, "page"),
    ("GET", "/portal/documents/{doc}", {"citizen-self"}, "page"),
    ("GET", "/portal/rights/appeal_decision?case={case}", {"citizen-self", "citizen-other"}, "page"),  # other: "you cannot"
    ("GET", "/api/v1/cases", STAFF_ALL | {"officer-B"}, "api"),
    ("GET", "/api/v1/cases/{case}", STAFF_ALL | {"citizen-self"}, "api"),
    ("POST", "/api/v1/cases/{case}/decision", {"admin", "officer-A"}, "api"),  # the first decides, the next: 409 (decided)
    ("GET", "/console/cases", STAFF_ALL | {"officer-B"}, "page"),
    ("GET", "/console/cases/{case}", STAFF_ALL, "page"),
    ("GET", "/console/documents/{doc}", STAFF_ALL, "page"),
    ("POST", "/console/cases/{case}/decision", {"admin", "officer-A"}, "page"),  # reached: 422, no decision given
]
#: Answers that show the call reached the service (its input or state was refused, not the caller).
REACHED = {409, 422}


def _cookie(site, role, person, other):  # noqa: ANN001, ANN202
    a, b = site.regions[0], site.regions[1]
    users = {"admin": "admin", "officer-A": f"officer-{a}", "officer-B": f"officer-{b}", "medical-A": f"medical-{a}",
             "auditor": "auditor"}
    if role == "anonymous":
        return None
    if role == "citizen-self":
        return session_cookie(site, citizen=person)
    if role == "citizen-other":
        return session_cookie(site, citizen=other)
    return session_cookie(site, user=users[role])


def _secrets(site, person):  # noqa: ANN001, ANN202
    people, summonses = Person.__table__, Summons.__table__
    with connect(site.url).connect() as conn:
        p = conn.execute(select(people.c.family_name, people.c.given_names, people.c.address)
                         .where(people.c.national_id == person.national_id)).one()
        pseudonym = conn.execute(select(summonses.c.pseudonym).where(summonses.c.reference == person.reference)).scalar_one()
    return [person.national_id, p.family_name, p.address, pseudonym]


@pytest.fixture(scope="module")
def target(site):
    import dataclasses

    from callup.cases import civilian
    from callup.context import make_actor
    from callup.uow import UnitOfWork
    from callup.web import documents

    a = site.regions[0]
    person, other = site.in_region(a)[3], site.in_region(site.regions[1])[3]
    me = dataclasses.replace(site.admin, actor=make_actor("citizen (portal)", "citizen", person_id=person.national_id))
    with UnitOfWork(me) as uow:
        doc = documents.store(uow, b"%PDF-1.4 matrix")
        case = civilian.apply_for_civilian_service(uow, "spring-2027", person.national_id, statement="matrix",
                                                   evidence=f"upload:{doc}")
    return person, other, _secrets(site, person), case.id, doc


@pytest.mark.parametrize("role", ROLES)
def test_every_role_against_every_endpoint_and_page(site, target, role):
    person, other, secrets, case_id, doc = target
    failures = []
    c = client(site)  # one application for the role; each call starts with no cookie but its own session's
    for method, template, allowed, kind in MATRIX:
        path = template.format(nid=person.national_id, ref=person.reference, region=site.regions[0], case=case_id, doc=doc)
        c.cookies.clear()
        cookie = _cookie(site, role, person, other)
        headers = {}
        if cookie is not None:
            c.cookies.set("callup_session", cookie)
            if kind == "api" and method == "POST":
                headers["authorization"] = f"Bearer {cookie}"
        if method == "GET":
            r = c.get(path, headers=headers)
        elif kind == "api":
            body = {"outcome": "appeared"} if path.endswith("/appearance") else {"decision": "refuse", "reason": "matrix"} if path.endswith("/decision") else None
            r = c.post(path, json=body, headers=headers)
        else:
            form = c.get("/signin").text if cookie is None else c.get("/status/check").text
            data = {"csrf": csrf_of(form)}
            if path.endswith("/appearance"):
                data["outcome"] = "appeared"
            if path.endswith("/appeal"):
                data["reason"] = "matrix"
            r = c.post(path, data=data)
        expected = OK if role in allowed else DENY
        got = OK if (r.status_code < 300 or r.status_code in REACHED
                     or r.status_code == 303 and "signin" not in r.headers.get("location", "")) else DENY
        if got != expected:
            failures.append(f"{role} {method} {template}: {r.status_code} (expected {expected})")
            continue
        if expected == DENY:
            if role == "anonymous":
                ok_codes = {401} if kind == "api" else {303}
            else:
                ok_codes = {403, 404}
            if r.status_code not in ok_codes:
                failures.append(f"{role} {method} {template}: {r.status_code}, expected one of {sorted(ok_codes)}")
            leaked = [s for s in secrets if s and s in r.text]
            if leaked:
                failures.append(f"{role} {method} {template}: the refusal shows personal data")
        elif role == "officer-B":  # allowed lists and searches: nothing of region A in them (but the query it typed)
            leaked = [s for s in secrets if s and s in r.text and s not in path]
            if leaked:
                failures.append(f"{role} {method} {template}: a list shows a person of another region")
    assert not failures, "\n".join(failures)


def test_list_filters_cannot_widen_a_regional_scope(site, target):
    c = client(site)
    c.cookies.set("callup_session", session_cookie(site, user=f"officer-{site.regions[1]}"))
    asked = c.get("/api/v1/people", params={"region": site.regions[0], "limit": 500}).json()
    assert asked["items"] == []
    follow = c.get("/api/v1/campaigns/spring-2027/follow-up", params={"region": site.regions[0], "days": 0}).json()
    assert follow["items"] == []
    report = c.get("/api/v1/campaigns/spring-2027/notices").json()
    assert set(report["by_region"]) == {site.regions[1]}
