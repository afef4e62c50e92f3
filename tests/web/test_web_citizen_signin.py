"""A citizen keeps the way in that the letter gives: the sign-in code of a summons whose call has
ended still opens the portal (to read the decision and appeal) until the code's printed expiry;
a summons replaced by a newer one does not (its letter is void)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from web_support import NOW, client, csrf_of


def _sign_in(site, cit):  # noqa: ANN001, ANN202
    c = client(site)
    form = c.get("/signin")
    return c, c.post("/signin", data={"csrf": csrf_of(form.text), "reference": cit.reference, "code": cit.code})


def _released(site, cit) -> None:  # noqa: ANN001
    from callup.notices.releases import release
    from callup.uow import UnitOfWork

    with UnitOfWork(site.admin) as uow:
        release(uow, "spring-2027", cit.national_id, "unfit")


def test_a_citizen_whose_call_has_ended_still_signs_in_and_sees_the_outcome(site):
    cit = site.citizens[40]
    _released(site, cit)
    c, r = _sign_in(site, cit)
    assert r.status_code == 303 and r.headers["location"] == "/portal"
    assert c.get("/portal").status_code == 200
    assert c.get("/portal/cases").status_code == 200


def test_the_sign_in_code_works_again_and_again_until_its_expiry_and_not_after(site):
    cit = site.citizens[41]
    for _ in range(3):  # what the letter says: the same code, each visit
        assert _sign_in(site, cit)[1].status_code == 303
    from callup.store.engine import connect

    with connect(site.url).begin() as conn:
        conn.execute(text("UPDATE summonses SET code_expires = :d WHERE reference = :r"),
                     {"d": NOW.date() - dt.timedelta(days=1), "r": cit.reference})
    assert _sign_in(site, cit)[1].status_code == 401


def test_the_letter_and_the_portal_call_it_a_sign_in_code_with_its_expiry_not_one_time(site):
    c = client(site)
    for lang in ("en", "ru"):
        page = c.get(f"/lang/{lang}", params={"next": "/signin"})
        form = c.get("/signin").text.lower()
        assert "one-time" not in form and "одноразов" not in form
    import importlib.resources

    for lang in ("en", "ru"):
        letter = importlib.resources.files("callup.notices").joinpath("templates", f"{lang}.toml").read_text("utf-8").lower()
        assert "one-time" not in letter and "одноразов" not in letter
        assert "sign-in code" in letter or "код для входа" in letter
    assert page.status_code == 303
