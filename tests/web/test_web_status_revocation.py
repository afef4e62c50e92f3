"""Status documents can be withdrawn before they expire: when the holder's status changes (at once
when they download a new one, and by the daily refresh for everyone else) or by an officer. The
check page refuses a withdrawn document, and an offline checker with the signed revocation list
does too, told how old the list is; an altered list is refused."""

from __future__ import annotations

import json
import re

from callup_test_support import run_cli
from web_support import client, session_cookie


def _document_of(site, cit) -> str:  # noqa: ANN001
    c = client(site)
    c.cookies.set("callup_session", session_cookie(site, citizen=cit))
    page = c.get("/portal/document")
    return re.search(r"(CALLUP-STATUS:2:[A-Za-z0-9_\-.]+)", page.text).group(1)


def _claim(site, text):  # noqa: ANN001, ANN202
    import datetime as dt

    from callup.web import statusdoc

    keys = {kid: statusdoc.signing_key(site.keys, kid).public_key() for kid in site.keys.keys}
    return statusdoc.check(text, keys, on=dt.date(2027, 2, 1)).claim


def _env(site) -> dict[str, str]:  # noqa: ANN001

    return {"CALLUP_DATABASE_URL": site.url, "CALLUP_NOW": "2027-02-01T09:00:00Z", "CALLUP_ROLE": "officer",
            "CALLUP_REGIONS": ",".join(site.regions), "CALLUP_ACTOR": "officer-x",
            "CALLUP_KEYS": site.keys_json()}


def _verify(tmp_path, text: str, revoked: dict | None, keys: dict) -> tuple[int, str]:
    (tmp_path / "keys.json").write_text(json.dumps(keys))
    args = ["status", "verify", text, "--keys", str(tmp_path / "keys.json"), "--on", "2027-02-10"]
    if revoked is not None:
        (tmp_path / "revoked.json").write_text(json.dumps(revoked))
        args += ["--revoked", str(tmp_path / "revoked.json")]
    code, out, err, uncaught = run_cli(args)
    assert uncaught is None
    return code, out + err


def test_a_document_withdrawn_by_the_office_fails_online_and_offline(site, tmp_path):
    text = _document_of(site, site.citizens[60])
    serial = _claim(site, text).serial
    web = client(site)
    keys = web.get("/status/keys").json()
    before = _verify(tmp_path, text, web.get("/status/revoked").json(), keys)
    assert before[0] == 0 and "revocation list of" in before[1]
    code, out, err, _ = run_cli(["status", "revoke", serial.lower()], env=_env(site))  # as typed: case does not matter
    assert code == 0 and "withdrawn" in out, err
    page = web.get("/status/check", params={"document": text})
    assert "Not valid" in page.text and "The office withdrew this document" in page.text
    listed = web.get("/status/revoked").json()
    assert serial in listed["payload"]
    after = _verify(tmp_path, text, listed, keys)
    assert after[0] == 1 and "office withdrew the document" in after[1] and "old" in after[1]
    unchecked = _verify(tmp_path, text, None, keys)  # without a list the checker is told what was not checked
    assert unchecked[0] == 0 and "not checked against a revocation list" in unchecked[1]


def test_an_altered_revocation_list_is_refused_in_one_line(site, tmp_path):
    web = client(site)
    text = _document_of(site, site.citizens[61])
    listed = web.get("/status/revoked").json()
    listed["payload"] = listed["payload"].replace('"revoked":[', '"revoked":[{"serial":"X","since":"2027-01-01",'
                                                  '"valid_until":"2027-03-01","why":"status changed"},', 1)
    result = _verify(tmp_path, text, listed, web.get("/status/keys").json())
    assert result[0] == 2 and "signature does not match" in result[1] and len(result[1].strip().splitlines()) == 1


def test_a_document_naming_an_old_status_is_withdrawn_when_the_status_changes(site):
    from callup.military_service.status_documents import refresh
    from callup.notices.releases import release
    from callup.uow import UnitOfWork

    cit = site.citizens[62]
    summoned = _document_of(site, cit)
    assert _claim(site, summoned).status == "summoned"
    with UnitOfWork(site.admin) as uow:
        release(uow, "spring-2027", cit.national_id, "unfit")
    assert refresh(site.admin) == 1
    assert refresh(site.admin) == 0  # run again: nothing more to withdraw
    web = client(site)
    page = web.get("/status/check", params={"document": summoned}).text
    assert "The office withdrew this document" in page and "status changed" in page
    released = _document_of(site, cit)  # the new document stands
    assert _claim(site, released).status == "released"
    assert "Not valid" not in web.get("/status/check", params={"document": released}).text
    assert _claim(site, released).serial not in web.get("/status/revoked").json()["payload"]


def test_a_new_document_withdraws_the_holder_s_earlier_one_at_once(site):
    from callup.notices.releases import release
    from callup.uow import UnitOfWork

    cit = site.citizens[63]
    summoned = _document_of(site, cit)
    with UnitOfWork(site.admin) as uow:
        release(uow, "spring-2027", cit.national_id, "unfit")
    _document_of(site, cit)  # no refresh ran: downloading the new one withdraws the old
    assert _claim(site, summoned).serial in client(site).get("/status/revoked").json()["payload"]


def test_an_officer_cannot_withdraw_a_document_outside_their_regions(site):
    import pytest

    from callup.context import Context, make_actor
    from callup.errors import NotFound
    from callup.military_service.status_documents import revoke
    from callup.uow import UnitOfWork

    a, b = site.regions[0], site.regions[1]
    cit = site.in_region(b)[0]
    serial = _claim(site, _document_of(site, cit)).serial
    officer = Context(actor=make_actor("officer-a", "officer", regions=a), database_url=site.url, clock=site.admin.clock,
                      keys=site.keys, policy_path=site.admin.policy_path)
    with pytest.raises(NotFound), UnitOfWork(officer) as uow:
        revoke(uow, serial)
    assert serial not in client(site).get("/status/revoked").json()["payload"]
