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
        if other_name != name:  # two people may share a name (the holder's is then shown, rightly)
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


def test_without_on_the_check_is_on_the_jurisdiction_s_today_not_the_machine_s(tmp_path, monkeypatch):
    """`status verify` without --on judges validity on the day CALLUP_NOW (and CALLUP_TIMEZONE) give, as
    every command does: a document issued that day is valid, and expired once its 30 days are past."""
    import base64
    import datetime as dt

    from callup.crypto.keys import load_keyring
    from callup.web import statusdoc
    from callup_test_support import run_cli

    ring = load_keyring({"CALLUP_KEYS": json.dumps({"current": "k1", "keys": {"k1": base64.b64encode(b"s" * 32).decode()}})})
    issued = dt.date(2031, 3, 2)  # years from the machine's date, either way
    text = statusdoc.issue(ring, pseudonym="0" * 32, campaign="c1", status="summoned", on=issued, holder="Adam Novak",
                           born=dt.date(2004, 5, 6))
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"algorithm": "Ed25519", "keys": statusdoc.public_keys(ring)}))
    for name in ("CALLUP_DATABASE_URL", "CALLUP_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CALLUP_NOW", "2031-03-10T09:00:00Z")
    code, out, err, _ = run_cli(["status", "verify", text, "--keys", str(keys)])
    assert code == 0 and "valid: signature good, not expired" in out, (out, err)
    monkeypatch.setenv("CALLUP_NOW", "2031-04-02T09:00:00Z")
    code, out, _, _ = run_cli(["status", "verify", text, "--keys", str(keys)])
    assert code == 1 and "expired on 2031-04-01" in out, out
