"""Sessions end when they should: after sign-out, disabling the account, a change of its role or
regions, a password and TOTP reset and `users revoke-sessions`, the old cookie no longer opens the
console and the old API bearer token no longer answers, on any worker."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from web_support import PASSWORD, TOTP, client, csrf_of, session_cookie, totp_now


@pytest.fixture
def cli(site, monkeypatch):  # noqa: ANN001, ANN201
    """`callup ...` run in-process on the site's store with its keys."""

    from callup.cli import app

    monkeypatch.setenv("CALLUP_DATABASE_URL", site.url)
    monkeypatch.setenv("CALLUP_KEYS", site.keys_json())

    def run(*args: str, stdin: str | None = None):  # noqa: ANN202
        result = CliRunner().invoke(app, list(args), input=stdin)
        assert result.exit_code == 0, (result.output, result.exception)
        return result.output

    return run


def _account(site, name: str) -> None:  # noqa: ANN001
    from callup.uow import UnitOfWork
    from callup.web.accounts import add_user

    with UnitOfWork(site.admin) as uow:
        add_user(uow, name, role="officer", regions=site.regions[0], password=PASSWORD, totp_secret=TOTP)


def _signed_in(site, name: str):  # noqa: ANN001, ANN202
    """A browser signed in on the form and an API token, both for `name` (two TOTP steps)."""
    browser = client(site)
    form = browser.get("/officer/signin")
    r = browser.post("/officer/signin", data={"csrf": csrf_of(form.text), "name": name, "password": PASSWORD, "totp": totp_now(-1)})
    assert r.status_code == 303
    r = client(site).post("/api/v1/token", json={"name": name, "password": PASSWORD, "totp": totp_now(0)})
    assert r.status_code == 200
    return browser, r.json()["token"]


def _works(site, browser, token) -> tuple[bool, bool]:  # noqa: ANN001
    page = browser.get("/console")
    api = client(site).get("/api/v1/people", params={"limit": 1}, headers={"authorization": f"Bearer {token}"})
    assert page.status_code in (200, 303) and api.status_code in (200, 401)
    return page.status_code == 200, api.status_code == 200


@pytest.mark.parametrize("how", ["disable", "revoke-sessions", "change", "reset"])
def test_the_old_cookie_and_api_token_stop_working_after_an_administrator_acts(site, cli, how):
    name = f"officer-{how}"
    _account(site, name)
    browser, token = _signed_in(site, name)
    assert _works(site, browser, token) == (True, True)
    if how == "change":
        out = cli("users", "change", name, "--role", "officer", "--region", site.regions[1])
    elif how == "reset":
        out = cli("users", "reset", name, "--password-stdin", stdin=PASSWORD + " new\n")
        assert "otpauth://" in out
    else:
        out = cli("users", how, name)
    assert "2 session(s) ended" in out
    assert _works(site, browser, token) == (False, False)
    if how == "disable":  # and it cannot come back in until enabled
        again = client(site).post("/api/v1/token", json={"name": name, "password": PASSWORD, "totp": totp_now(1)})
        assert again.status_code == 401
        cli("users", "enable", name)
        again = client(site).post("/api/v1/token", json={"name": name, "password": PASSWORD, "totp": totp_now(1)})
        assert again.status_code == 200


def test_signing_out_ends_the_cookie_and_deleting_the_token_ends_the_token(site):
    name = "officer-signout"
    _account(site, name)
    browser, token = _signed_in(site, name)
    copied = browser.cookies.get("callup_session")
    page = browser.get("/console")
    assert browser.post("/signout", data={"csrf": csrf_of(page.text)}).status_code == 303
    replay = client(site)  # the cookie kept by someone (or another worker) after sign-out
    replay.cookies.set("callup_session", copied)
    assert replay.get("/console").status_code == 303
    assert replay.get("/api/v1/people", headers={"authorization": f"Bearer {copied}"}).status_code == 401
    assert _works(site, client(site), token)[1]  # the API token is its own session: still working
    bearer = {"authorization": f"Bearer {token}"}
    assert client(site).delete("/api/v1/token", headers=bearer).status_code == 204
    assert client(site).get("/api/v1/people", headers=bearer).status_code == 401


def test_a_citizen_who_signs_out_cannot_come_back_with_the_old_cookie(site):
    cit = site.citizens[30]
    c = client(site)
    cookie = session_cookie(site, citizen=cit)
    c.cookies.set("callup_session", cookie)
    page = c.get("/portal")
    assert page.status_code == 200
    assert c.post("/signout", data={"csrf": csrf_of(page.text)}).status_code == 303
    replay = client(site)
    replay.cookies.set("callup_session", cookie)
    assert replay.get("/portal").status_code in (303, 401)


def test_a_sealed_session_with_no_record_in_the_store_opens_nothing(site):
    from callup.context import make_actor
    from callup.web.sessions import Sealer, for_actor

    forged_elsewhere = Sealer(site.keys).seal(for_actor(make_actor("admin", "administrator")))
    c = client(site)
    c.cookies.set("callup_session", forged_elsewhere)
    assert c.get("/console").status_code == 303
