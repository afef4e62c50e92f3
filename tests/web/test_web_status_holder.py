"""The status document is bound to its holder: their name and birth date are signed into it, so
another person's document does not pass for the presenter, offline or on the check page, and an
old document that names no holder is refused."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from web_support import client, session_cookie


def _document_of(site, cit) -> str:  # noqa: ANN001
    c = client(site)
    c.cookies.set("callup_session", session_cookie(site, citizen=cit))
    page = c.get("/portal/document")
    return re.search(r"(CALLUP-STATUS:2:[A-Za-z0-9_\-.]+)", page.text).group(1)


def _card(site, cit) -> tuple[str, str]:  # noqa: ANN001
    from sqlalchemy import select

    from callup.register.tables import Person
    from callup.uow import UnitOfWork

    people = Person.__table__
    with UnitOfWork(site.admin, write=False) as uow:  # decoded as the store keeps them
        row = uow.execute(select(people.c.given_names, people.c.family_name, people.c.date_of_birth)
                          .where(people.c.national_id == cit.national_id)).first()
    return f"{row.given_names} {row.family_name}", str(row.date_of_birth)


def test_another_person_s_document_does_not_pass_for_the_presenter(site, tmp_path):
    from callup.cli import app

    holder, presenter = site.citizens[50], site.citizens[51]
    text = _document_of(site, holder)
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps(client(site).get("/status/keys").json()))
    runner = CliRunner()
    name, born = _card(site, holder)
    own = runner.invoke(app, ["status", "verify", text, "--keys", str(keys), "--on", "2027-02-10", "--name", name.upper(), "--born", born])
    assert own.exit_code == 0 and f"holder {name}" in own.output and "serial " in own.output
    other_name, other_born = _card(site, presenter)
    for args in (["--name", other_name, "--born", other_born], ["--name", other_name], ["--born", other_born]):
        if args[-1] in (name, born):
            continue
        refused = runner.invoke(app, ["status", "verify", text, "--keys", str(keys), "--on", "2027-02-10", *args])
        assert refused.exit_code == 1 and "belongs to someone else" in refused.output
        assert other_name not in refused.output  # the presenter's own data is not echoed
    page = client(site).get("/status/check", params={"document": text})
    assert name in page.text and "compare the name and date of birth" in page.text


def test_a_document_of_the_old_kind_without_a_holder_is_refused(site):
    import datetime as dt

    from callup.web import statusdoc

    keys = {kid: statusdoc.signing_key(site.keys, kid).public_key() for kid in site.keys.keys}
    old = "CALLUP-STATUS:1:" + _document_of(site, site.citizens[52])[len(statusdoc.PREFIX):]
    checked = statusdoc.check(old, keys, on=dt.date(2027, 2, 10))
    assert not checked.valid and "does not name its holder" in checked.problem
