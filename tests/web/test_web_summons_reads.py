"""Reading a summons is audited wherever staff read it, and the citizen sees those reads under "who read my record"."""

from __future__ import annotations

from callup import audit
from callup.store.engine import connect
from web_support import client, session_cookie


def _reads(site, citizen):  # noqa: ANN001, ANN202
    return [(e.actor, e.details.get("view")) for e in audit.entries(connect(site.url), person_id=citizen.national_id,
                                                                    action="notices.read")]


def test_staff_reads_of_a_summons_are_audited_and_shown_to_its_person(site):
    citizen = site.citizens[40]
    before = _reads(site, citizen)
    officer = f"officer-{citizen.region}" if f"officer-{citizen.region}" in site.users else "admin"
    staff = client(site)
    staff.cookies.set("callup_session", session_cookie(site, user=officer))
    bearer = {"authorization": f"Bearer {session_cookie(site, user='admin')}"}
    assert staff.get(f"/console/summons/{citizen.reference}").status_code == 200
    assert client(site).get(f"/api/v1/summonses/{citizen.reference}", headers=bearer).status_code == 200
    assert client(site).get(f"/api/v1/people/{citizen.national_id}/summonses", headers=bearer).status_code == 200
    assert _reads(site, citizen)[len(before):] == [(officer, "summons"), ("admin", "summons"), ("admin", "person's summonses")]

    own = client(site)
    own.cookies.set("callup_session", session_cookie(site, citizen=citizen))
    assert own.get(f"/portal/summons/{citizen.reference}").status_code == 200  # a person reading their own: not a read by staff
    assert len(_reads(site, citizen)) == len(before) + 3
    page = own.get("/portal/reads")
    assert page.status_code == 200
    # One user's reads close together are one visit (newest first): the admin's two reads lead, and the officer's
    # read is a visit of its own unless the officer is the admin.
    newest = page.text.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert "read your summons" in newest and "entries" in newest
    assert page.text.count("read your summons") >= len({officer, "admin"})


def test_the_follow_up_list_records_a_read_for_every_summons_it_lists(site):
    bearer = {"authorization": f"Bearer {session_cookie(site, user='admin')}"}
    listed = client(site).get("/api/v1/campaigns/spring-2027/follow-up", params={"days": 0, "limit": 200}, headers=bearer)
    assert listed.status_code == 200, listed.text
    references = {item["reference"] for item in listed.json()["items"]}
    assert references  # published on the issue day: every one is unconfirmed after 0 days
    engine = connect(site.url)
    logged = {e.details["reference"] for e in audit.entries(engine, action="notices.read")
              if e.details.get("view") == "follow-up list"}
    assert references <= logged
