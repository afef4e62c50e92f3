"""The JSON API: every endpoint, bearer tokens, cursor pagination and filters, problem+json naming the field."""

from __future__ import annotations

import datetime as dt

import pytest

from callup.context import FixedClock
from web_support import PASSWORD, client, session_cookie, totp_now


def _bearer(site, user):  # noqa: ANN001, ANN202
    return {"authorization": f"Bearer {session_cookie(site, user=user)}"}


def test_a_token_comes_from_name_password_and_totp_and_a_wrong_one_is_a_problem(site):
    c = client(site)
    wrong = c.post("/api/v1/token", json={"name": "admin", "password": "nope nope nope", "totp": "000000"})
    assert wrong.status_code == 401 and wrong.headers["content-type"] == "application/problem+json"
    assert wrong.json()["status"] == 401 and wrong.headers["www-authenticate"] == "Bearer"
    ok = c.post("/api/v1/token", json={"name": "admin", "password": PASSWORD, "totp": totp_now(-1)})
    assert ok.status_code == 200, ok.text
    token = ok.json()["token"]
    fresh = client(site)  # a token works on any worker, without a cookie
    assert fresh.get("/api/v1/campaigns", headers={"authorization": f"Bearer {token}"}).status_code == 200
    missing = c.post("/api/v1/token", json={"name": "admin"})
    assert missing.status_code == 422 and missing.json()["field"] == "password"


def test_people_are_listed_by_cursor_with_filters_and_a_bad_parameter_names_its_field(site):
    c = client(site)
    h = _bearer(site, "admin")
    first = c.get("/api/v1/people", params={"limit": 2}, headers=h).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = c.get("/api/v1/people", params={"limit": 2, "cursor": first["next_cursor"]}, headers=h).json()
    assert {p["national_id"] for p in first["items"]}.isdisjoint({p["national_id"] for p in second["items"]})
    assert second["items"][0]["national_id"] > first["items"][-1]["national_id"]
    region = site.regions[0]
    filtered = c.get("/api/v1/people", params={"region": region, "limit": 20}, headers=h).json()
    assert filtered["items"] and all(p["region"] == region for p in filtered["items"])
    one = site.citizens[0]
    by_id = c.get("/api/v1/people", params={"q": one.national_id}, headers=h).json()
    assert [p["national_id"] for p in by_id["items"]] == [one.national_id]
    bad = c.get("/api/v1/people", params={"limit": 0}, headers=h)
    assert bad.status_code == 422 and bad.json()["field"] == "limit" and bad.headers["content-type"] == "application/problem+json"
    garbage = c.get("/api/v1/people", params={"cursor": "%%%"}, headers=h)
    assert garbage.status_code == 422 and garbage.json()["field"] == "cursor"


def test_a_person_their_summonses_and_one_summons(site):
    c = client(site)
    h = _bearer(site, "admin")
    cit = site.citizens[30]
    person = c.get(f"/api/v1/people/{cit.national_id}", params={"reason": "api test"}, headers=h)
    assert person.status_code == 200 and person.json()["region"] == cit.region
    listed = c.get(f"/api/v1/people/{cit.national_id}/summonses", headers=h).json()
    assert [s["reference"] for s in listed] == [cit.reference]
    one = c.get(f"/api/v1/summonses/{cit.reference}", headers=h).json()
    assert one["campaign"] == "spring-2027" and "code" not in one
    missing = c.get("/api/v1/people/NOBODY-0", headers=h)
    assert missing.status_code == 404 and missing.json()["title"] == "Not found"


def test_campaigns_are_listed_filtered_and_summarised_with_notice_counts_and_follow_up(site):
    c = client(site)
    h = _bearer(site, "admin")
    listed = c.get("/api/v1/campaigns", headers=h).json()
    assert [x["name"] for x in listed["items"]] == ["spring-2027"] and listed["next_cursor"] is None
    assert c.get("/api/v1/campaigns", params={"status": "open"}, headers=h).json()["items"] == []
    assert c.get("/api/v1/campaigns", params={"status": "nonsense"}, headers=h).json()["field"] == "status"
    summary = c.get("/api/v1/campaigns/spring-2027", headers=h).json()
    assert summary["status"] == "drawn" and summary["called"] == len(site.citizens)
    report = c.get("/api/v1/campaigns/spring-2027/notices", headers=h).json()
    assert sum(report["by_status"].values()) == len(site.citizens) and report["published"] == len(site.citizens)
    regional = c.get("/api/v1/campaigns/spring-2027", headers=_bearer(site, f"officer-{site.regions[0]}")).json()
    assert [r["region"] for r in regional["regions"]] == [site.regions[0]]
    follow = c.get("/api/v1/campaigns/spring-2027/follow-up", params={"days": 0, "limit": 3}, headers=h).json()
    assert len(follow["items"]) == 3 and follow["next_cursor"]
    rest = c.get("/api/v1/campaigns/spring-2027/follow-up", params={"days": 0, "limit": 3, "cursor": follow["next_cursor"]},
                 headers=h).json()
    assert {f["reference"] for f in follow["items"]}.isdisjoint({f["reference"] for f in rest["items"]})
    region = site.regions[1]
    only = c.get("/api/v1/campaigns/spring-2027/follow-up", params={"days": 0, "region": region, "limit": 500}, headers=h).json()
    assert only["items"] and {f["region"] for f in only["items"]} == {region}
    unknown = c.get("/api/v1/campaigns/nope", headers=h)
    assert unknown.status_code == 404 and unknown.json()["field"] == "name"


def test_appearance_and_acknowledgement_need_a_bearer_token_and_answer_the_summons(site):
    cit = site.citizens[31]
    c = client(site)
    c.cookies.set("callup_session", session_cookie(site, user="admin"))
    cookie_only = c.post(f"/api/v1/summonses/{cit.reference}/appearance", json={"outcome": "appeared"})
    assert cookie_only.status_code == 401  # a cookie alone never changes anything through the API
    h = _bearer(site, "admin")
    bad = client(site).post(f"/api/v1/summonses/{cit.reference}/appearance", json={"outcome": "maybe"}, headers=h)
    assert bad.status_code == 422 and bad.json()["field"] == "outcome"
    undelivered = client(site).post(f"/api/v1/summonses/{cit.reference}/appearance", json={"outcome": "no_show"}, headers=h)
    assert undelivered.status_code == 409 and "not been delivered" in undelivered.json()["detail"]
    ack = client(site).post(f"/api/v1/summonses/{cit.reference}/acknowledge", headers=h)
    assert ack.status_code == 200 and ack.json()["status"] == "acknowledged"
    early = client(site).post(f"/api/v1/summonses/{cit.reference}/appearance", json={"outcome": "no_show"}, headers=h)
    assert early.status_code == 409 and early.json()["field"] == "outcome"
    day = FixedClock(dt.datetime.fromisoformat(f"{ack.json()['date']}T{ack.json()['end']}+00:00"))
    done = client(site, clock=day).post(f"/api/v1/summonses/{cit.reference}/appearance", json={"outcome": "no_show"}, headers=h)
    assert done.status_code == 200 and done.json()["appearance"] == "no_show" and done.json()["appearance_at"]
    follow = client(site, clock=day).get("/api/v1/campaigns/spring-2027/follow-up", params={"reason": "no_show", "limit": 500},
                                         headers=h).json()
    assert cit.reference in {f["reference"] for f in follow["items"]}


def test_my_status_is_the_citizen_s_own(site):
    cit = site.citizens[32]
    c = client(site)
    c.cookies.set("callup_session", session_cookie(site, citizen=cit))
    mine = c.get("/api/v1/me/status")
    assert mine.status_code == 200 and mine.json()["status"] == "summoned"
    assert [s["reference"] for s in mine.json()["summonses"]] == [cit.reference]


def test_the_openapi_schema_documents_every_endpoint_with_problem_responses():
    from callup.web import api

    paths = {route.path for router in (api.first, api.router) for route in router.routes}
    assert len(paths) == 15  # 12, and 3 of case work
    assert api.Problem.model_json_schema()["required"] == ["title", "status", "detail"]


@pytest.mark.parametrize("path", ["/api/openapi.json"])
def test_the_schema_is_served(site, path):
    schema = client(site).get(path).json()
    assert "Problem" in schema["components"]["schemas"] and "bearer" in schema["components"]["securitySchemes"]
    assert all(op.get("security") for p, ops in schema["paths"].items() if p != "/api/v1/token" for op in ops.values())


def test_a_nul_character_is_refused_as_input_on_every_backend_never_a_server_error(site):
    h = _bearer(site, "admin")
    r = client(site).get("/api/v1/people", params={"q": "ab\x00c"}, headers=h)
    assert r.status_code in (200, 422) and r.headers["content-type"].startswith("application/")
    if r.status_code == 422:
        assert "NUL" in r.json()["detail"]
    token = client(site).post("/api/v1/token", json={"name": "\x00", "password": "x", "totp": "123456"})
    assert token.status_code == 422 and token.json()["field"] == "name"
    from web_support import csrf_of

    c = client(site)
    form = c.get("/officer/signin")
    page = c.post("/officer/signin", data={"csrf": csrf_of(form.text), "name": "a\x00b", "password": "x", "totp": "123456"})
    assert page.status_code in (401, 422)


def test_the_status_read_survives_a_connection_the_server_dropped(site):
    """The status page's pool does not ping before each use: a dropped connection is retried once on a fresh one."""
    from sqlalchemy import text

    from callup.store.engine import connect

    cit = site.citizens[33]
    c = client(site)
    c.cookies.set("callup_session", session_cookie(site, citizen=cit))
    assert c.get("/api/v1/me/status").status_code == 200
    web = c.app.state.web
    if web.read_engine.dialect.name != "postgresql":
        return
    with web.read_engine.connect() as conn:
        pids = [conn.execute(text("SELECT pg_backend_pid()")).scalar()]
    with connect(site.url).connect() as admin:
        for pid in pids:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    again = c.get("/api/v1/me/status")
    assert again.status_code == 200 and again.json()["summonses"][0]["reference"] == cit.reference


def test_cases_are_queued_by_cursor_read_and_decided_through_the_api(site):
    import dataclasses

    from callup.cases import deferrals
    from callup.context import make_actor
    from callup.uow import UnitOfWork

    a = site.regions[0]
    opened = []
    for cit in site.in_region(a)[8:11]:
        me = dataclasses.replace(site.admin, actor=make_actor("citizen (portal)", "citizen", person_id=cit.national_id))
        with UnitOfWork(me) as uow:
            opened.append(deferrals.apply_for_deferral(uow, "spring-2027", cit.national_id, "family_care",
                                                       evidence="care assessment 12").case.id)
    h = _bearer(site, f"officer-{a}")
    c = client(site)
    first = c.get("/api/v1/cases", params={"kind": "deferral", "limit": 2}, headers=h).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = c.get("/api/v1/cases", params={"kind": "deferral", "limit": 2, "cursor": first["next_cursor"]}, headers=h).json()
    seen = [i["id"] for i in first["items"] + rest["items"]]
    assert set(opened) <= set(seen) and len(seen) == len(set(seen))
    other = c.get("/api/v1/cases", params={"kind": "deferral"}, headers=_bearer(site, f"officer-{site.regions[1]}")).json()
    assert not set(opened) & {i["id"] for i in other["items"]}
    one = c.get(f"/api/v1/cases/{opened[0]}", params={"reason": "api test"}, headers=h).json()
    assert one["state"] == "applied" and one["ground"] == "family_care" and one["history"][0]["step"]
    bad = c.post(f"/api/v1/cases/{opened[0]}/decision", json={"decision": "grant", "reason": "ok", "until": "2099-01-01"}, headers=h)
    assert bad.status_code == 422 and bad.json()["field"] == "until"
    from callup import audit

    def reads() -> int:  # the citizen's "who read my record"
        person_id = site.in_region(a)[8].national_id
        return sum(e.action == "person.read" for e in audit.entries(site.admin.engine(), person_id=person_id))

    read_before = reads()
    done = c.post(f"/api/v1/cases/{opened[0]}/decision", json={"decision": "grant", "reason": "carer confirmed"}, headers=h)
    assert done.status_code == 200 and done.json()["state"] == "granted" and done.json()["until"]
    assert reads() == read_before  # the decision is audited as a step, not as reads of the record
    again = c.post(f"/api/v1/cases/{opened[0]}/decision", json={"decision": "refuse", "reason": "no"}, headers=h)
    assert again.status_code == 409
    owner = client(site)
    owner.cookies.set("callup_session", session_cookie(site, citizen=site.in_region(a)[8]))
    mine = owner.get(f"/api/v1/cases/{opened[0]}").json()
    assert mine["decision_reason"] == "carer confirmed" and mine["appeal_deadline"]


def test_the_api_and_the_status_document_say_the_same_status(site):
    import re

    from callup.notices.releases import release
    from callup.uow import UnitOfWork

    cit = site.citizens[33]
    with UnitOfWork(site.admin) as uow:
        release(uow, "spring-2027", cit.national_id, "unfit")
    c = client(site)
    c.cookies.set("callup_session", session_cookie(site, citizen=cit))
    assert c.get("/api/v1/me/status").json()["status"] == "released"
    document = c.get("/portal/document").text
    assert re.search(r"CALLUP-STATUS:2:", document)
    from callup.web import statusdoc

    text = re.search(r"(CALLUP-STATUS:2:[A-Za-z0-9_\-.]+)", document).group(1)
    keys = {kid: statusdoc.signing_key(site.keys, kid).public_key() for kid in site.keys.keys}
    import datetime as dt

    assert statusdoc.check(text, keys, on=dt.date(2027, 2, 1)).claim.status == "released"
