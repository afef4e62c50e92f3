"""A person's language from the register: their summons, its letter and their portal pages are in it (the
policy's language when the register gives none), and the language switch still wins."""

from __future__ import annotations

import subprocess

from sqlalchemy import text

from callup.uow import UnitOfWork
from web_support import client, csrf_of


def _language(site, cit) -> tuple[str | None, str]:  # noqa: ANN001
    """The register's language of `cit` and their summons' language."""
    with UnitOfWork(site.admin, write=False) as uow:
        registered = uow.execute(text("SELECT language FROM people WHERE national_id = :n"), {"n": cit.national_id}).scalar()
        summons = uow.execute(text("SELECT language FROM summonses WHERE reference = :r"), {"r": cit.reference}).scalar_one()
    return registered, summons


def _pick(site, want: str | None):  # noqa: ANN001, ANN202
    return next(c for c in site.citizens if _language(site, c)[0] == want)


def _sign_in(site, cit):  # noqa: ANN001, ANN202
    c = client(site)
    form = c.get("/signin")
    r = c.post("/signin", data={"csrf": csrf_of(form.text), "reference": cit.reference, "code": cit.code, "next": "/portal"})
    assert r.status_code == 303, r.text
    return c


def test_a_summons_is_in_the_register_s_language_else_in_the_policy_s(site):
    russian, unknown = _pick(site, "ru"), _pick(site, None)
    assert _language(site, russian) == ("ru", "ru")
    assert _language(site, unknown) == (None, "en")  # the example policy writes in English


def test_a_person_registered_in_russian_gets_russian_pages_and_a_russian_letter_until_they_switch(site, tmp_path):
    russian = _pick(site, "ru")
    c = _sign_in(site, russian)
    page = c.get("/portal", headers={"accept-language": "en"})  # the register's language comes before the browser's
    assert '<html lang="ru">' in page.text and "Мой статус" in page.text
    letter = c.get(f"/portal/summons/{russian.reference}/letter.pdf")
    path = tmp_path / "letter.pdf"
    path.write_bytes(letter.content)
    words = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "ПОВЕСТКА" in words.upper()
    c.get("/lang/en", params={"next": "/portal"})
    assert '<html lang="en">' in c.get("/portal").text  # the switch wins over the register

    english = _sign_in(site, _pick(site, None))
    assert '<html lang="ru">' in english.get("/portal", headers={"accept-language": "ru"}).text  # none registered: the browser's
