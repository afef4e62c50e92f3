"""Start-up, accounts, sign-in (password + TOTP; summons reference + code), attempt limits across
workers, sessions, CSRF and security headers."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from web_support import PASSWORD, client, csrf_of, session_cookie, totp_now


def _signin_page(c, path="/officer/signin"):  # noqa: ANN001, ANN202
    page = c.get(path)
    assert page.status_code == 200
    return csrf_of(page.text)


@pytest.mark.db
def test_the_app_refuses_a_store_whose_schema_is_behind_naming_the_upgrade_command(tmp_path):
    from callup.context import FixedClock
    from callup.errors import CallupError
    from callup.store.engine import connect
    from callup.store.migrate import upgrade
    from callup.web.app import create_app
    from callup.web.settings import WebSettings
    from web_support import NOW, test_keys

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(connect(url), "0005")
    with pytest.raises(CallupError, match=r"callup db upgrade"):
        create_app(WebSettings(database_url=url, keys=test_keys(), clock=FixedClock(NOW)))
    with pytest.raises(CallupError, match=r"empty.*callup db upgrade"):
        create_app(WebSettings(database_url=f"sqlite:///{tmp_path / 'none.db'}", keys=test_keys(), clock=FixedClock(NOW)))


@pytest.mark.db
def test_serve_refuses_a_store_behind_head_in_one_line(tmp_path, monkeypatch):
    from callup.cli import app
    from callup.store.engine import connect
    from callup.store.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(connect(url), "0005")
    monkeypatch.setenv("CALLUP_DATABASE_URL", url)
    result = CliRunner().invoke(app, ["serve", "--port", "8999"])
    assert result.exit_code != 0
    assert "callup db upgrade" in str(result.exception)


@pytest.mark.db
def test_users_add_prints_the_totp_secret_once_and_stores_only_hashes_and_ciphertext(tmp_path, monkeypatch):
    from callup.cli import app
    from callup.store import open_store

    url = f"sqlite:///{tmp_path / 'users.db'}"
    open_store(url)
    monkeypatch.setenv("CALLUP_DATABASE_URL", url)
    runner = CliRunner()
    result = runner.invoke(app, ["users", "add", "olga", "--role", "officer", "--region", "R01", "--password-stdin"],
                           input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    uri = re.search(r"otpauth://totp/\S+", result.output).group(0)
    secret = re.search(r"secret=([A-Z2-7]+)", uri).group(1)
    from callup.store.engine import connect

    with connect(url).connect() as conn:
        stored = conn.execute(text("SELECT password_hash, totp_secret, role, regions FROM web_users")).one()
    assert stored.password_hash.startswith("$argon2id$") and PASSWORD not in stored.password_hash
    assert secret not in stored.totp_secret and (stored.role, stored.regions) == ("officer", "R01")
    refused = runner.invoke(app, ["users", "add", "pavel", "--role", "officer", "--password-stdin"], input=PASSWORD + "\n")
    assert refused.exit_code != 0 and "region" in str(refused.exception)
    listed = runner.invoke(app, ["users", "list"])
    assert "olga\tofficer\tR01" in listed.output


def test_an_officer_signs_in_with_password_and_totp_and_the_same_code_is_not_accepted_twice(site):
    c = client(site)
    name = next(n for n, s in site.users.items() if s["role"] == "officer")
    token = _signin_page(c)
    wrong = c.post("/officer/signin", data={"csrf": token, "name": name, "password": PASSWORD, "totp": "000000"})
    assert wrong.status_code == 401 and "callup_session" not in wrong.headers.get("set-cookie", "x")[:0] + "x"
    ok = c.post("/officer/signin", data={"csrf": token, "name": name, "password": PASSWORD, "totp": totp_now()})
    assert ok.status_code == 303 and ok.headers["location"] == "/console"
    cookie = ok.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    queue = c.get("/console")
    assert queue.status_code == 200 and name in queue.text
    other = client(site)  # the same code again, on another worker: a replay
    again = other.post("/officer/signin", data={"csrf": _signin_page(other), "name": name, "password": PASSWORD, "totp": totp_now()})
    assert again.status_code == 401
    later = other.post("/officer/signin", data={"csrf": _signin_page(other), "name": name, "password": PASSWORD, "totp": totp_now(1)})
    assert later.status_code == 303


def test_failed_sign_ins_are_limited_in_the_store_so_the_limit_holds_across_workers(site):
    name = "auditor"
    workers = [client(site), client(site)]  # two apps (two workers) on one store
    for i in range(5):
        c = workers[i % 2]
        r = c.post("/officer/signin", data={"csrf": _signin_page(c), "name": name, "password": "wrong password!", "totp": "123456"})
        assert r.status_code == 401
    c = workers[1]
    blocked = c.post("/officer/signin", data={"csrf": _signin_page(c), "name": name, "password": PASSWORD, "totp": totp_now(-1)})
    assert blocked.status_code == 429  # even the right password is not checked now
    with __import__("callup.store.engine", fromlist=["connect"]).connect(site.url).begin() as conn:
        conn.execute(text("DELETE FROM web_limits"))


def test_a_citizen_signs_in_with_reference_and_code_and_guesses_are_limited_per_reference(site):
    c = client(site)
    mine, other = site.citizens[5], site.citizens[6]
    r = c.post("/signin", data={"csrf": _signin_page(c, "/signin"), "reference": mine.reference, "code": other.code})
    assert r.status_code == 401 and mine.reference in r.text  # the form keeps the reference, says nothing else
    for _ in range(4):
        c.post("/signin", data={"csrf": _signin_page(c, "/signin"), "reference": mine.reference, "code": "AAAA-AAAA"})
    blocked = client(site).post("/signin", data={"csrf": _signin_page(c, "/signin"), "reference": mine.reference, "code": mine.code})
    assert blocked.status_code in (403, 429)
    c2 = client(site)
    blocked = c2.post("/signin", data={"csrf": _signin_page(c2, "/signin"), "reference": mine.reference, "code": mine.code})
    assert blocked.status_code == 429
    ok = c2.post("/signin", data={"csrf": _signin_page(c2, "/signin"), "reference": other.reference.replace("-", "").lower(),
                                  "code": other.code})
    assert ok.status_code == 303 and ok.headers["location"] == "/portal"
    with __import__("callup.store.engine", fromlist=["connect"]).connect(site.url).begin() as conn:
        conn.execute(text("DELETE FROM web_limits"))


def test_forms_without_the_session_s_csrf_token_are_refused(site):
    c = client(site)
    cit = site.citizens[7]
    assert c.post("/signin", data={"reference": cit.reference, "code": cit.code}).status_code == 403
    token = _signin_page(c, "/signin")
    other = client(site)
    other.get("/signin")  # another session: its token does not fit this one
    assert other.post("/signin", data={"csrf": token, "reference": cit.reference, "code": cit.code}).status_code == 403
    c.cookies.set("callup_session", session_cookie(site, citizen=cit))
    refused = c.post(f"/portal/summons/{cit.reference}/acknowledge", data={})
    assert refused.status_code == 403 and cit.national_id not in refused.text


def test_every_response_carries_the_security_headers_and_tls_adds_secure_cookies_and_hsts(site):
    c = client(site)
    r = c.get("/signin")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert r.headers["referrer-policy"] == "no-referrer" and r.headers["x-content-type-options"] == "nosniff"
    assert "strict-transport-security" not in r.headers
    assert "<script" not in r.text and "style=" not in r.text  # nothing inline for the CSP to refuse
    tls = client(site, tls=True)
    r = tls.get("/signin")
    assert "max-age=" in r.headers["strict-transport-security"]
    assert "Secure" in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"]


def test_the_actor_comes_from_the_session_never_from_the_environment(site, monkeypatch):
    from callup import audit
    from callup.store.engine import connect

    monkeypatch.setenv("CALLUP_ACTOR", "someone-else")
    monkeypatch.setenv("CALLUP_ROLE", "administrator")
    cit = site.citizens[8]
    c = client(site)
    c.cookies.set("callup_session", session_cookie(site, citizen=cit))
    page = c.get(f"/portal/summons/{cit.reference}")
    token = csrf_of(page.text)
    assert c.post(f"/portal/summons/{cit.reference}/acknowledge", data={"csrf": token}).status_code == 303
    last = audit.entries(connect(site.url), action="notices.change")[-1]
    assert (last.actor, last.role, last.details["step"]) == ("citizen (portal)", "citizen", "acknowledge")


def test_a_tampered_or_expired_session_is_no_session(site):
    c = client(site)
    cookie = session_cookie(site, user="admin")
    c.cookies.set("callup_session", cookie[:-4] + ("AAAA" if not cookie.endswith("AAAA") else "BBBB"))
    assert c.get("/console").status_code == 303
    from callup.web.sessions import Sealer, new_session

    expired = new_session("officer", now=0, name="admin", role="administrator")
    c.cookies.set("callup_session", Sealer(site.keys).seal(expired))
    assert c.get("/console").headers["location"].startswith("/officer/signin")


def _limits(site) -> int:  # noqa: ANN001
    from callup.store.engine import connect

    with connect(site.url).connect() as conn:
        return conn.execute(text("SELECT coalesce(sum(failures), 0) FROM web_limits")).scalar_one()


@pytest.fixture
def fresh_limits(site):  # noqa: ANN001, ANN201
    """The attempt counters cleared after the test (the site's clock stands still: a window never ends by itself)."""
    yield
    from callup.store.engine import connect

    with connect(site.url).begin() as conn:
        conn.execute(text("DELETE FROM web_limits"))


def test_a_reference_with_a_typing_mistake_is_named_as_one_beside_its_field_and_costs_no_attempt(site, fresh_limits):
    # References are random: one whose last two characters differ, so that swapping them is a mistake
    cit = next(c for c in site.citizens[40:] if c.reference[-1] != c.reference[-2])
    swapped = cit.reference[:-2] + cit.reference[-1] + cit.reference[-2]  # the last two characters swapped
    assert swapped != cit.reference
    c = client(site)
    before = _limits(site)
    r = c.post("/signin", data={"csrf": _signin_page(c, "/signin"), "reference": swapped, "code": cit.code})
    assert r.status_code == 422 and "There is a typing mistake in the reference" in r.text
    assert 'href="#reference"' in r.text and 'id="reference-error"' in r.text and 'aria-invalid="true"' in r.text
    assert swapped in r.text and _limits(site) == before  # kept in the field; nothing counted
    short = c.post("/signin", data={"csrf": _signin_page(c, "/signin"), "reference": cit.reference[:-3], "code": cit.code})
    assert short.status_code == 422 and "you typed 17" in short.text
    c.cookies.set("callup_lang", "ru")
    assert "В номере опечатка" in c.post("/signin", data={"csrf": _signin_page(c, "/signin"), "reference": swapped,
                                                          "code": cit.code}).text


def test_a_lock_says_what_is_locked_and_until_when(site, monkeypatch, fresh_limits):
    import dataclasses

    from callup.web import accounts

    mine, other = site.citizens[41], site.citizens[43]
    c = client(site)
    for _ in range(accounts.LIMITS["reference"].failures + 1):
        r = c.post("/signin", data={"csrf": _signin_page(c, "/signin"), "reference": mine.reference, "code": "AAAA-AAAA"})
    assert r.status_code == 429 and "signing in with it is locked until 1 February 2027, 10:00" in r.text  # an hour on
    monkeypatch.setitem(accounts.LIMITS, "address", dataclasses.replace(accounts.LIMITS["address"], failures=0))
    network = client(site)
    r = network.post("/signin", data={"csrf": _signin_page(network, "/signin"), "reference": other.reference, "code": other.code})
    assert r.status_code == 429 and "came from your network" in r.text and "locked until 1 February 2027, 09:15" in r.text
    assert "this summons" not in r.text
