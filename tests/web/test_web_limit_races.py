"""Sign-in attempt limits under parallel requests: many guesses sent at once on one account or one
summons reference, on the citizen form, the officer form and /api/v1/token. No more guesses than
the limit may reach the check of the password, TOTP code or summons code."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from web_support import PASSWORD, client, csrf_of

PARALLEL = 16


@pytest.fixture
def checks(monkeypatch):
    """Count the guesses that reach a check (each check is slowed, so parallel requests overlap in it)."""
    import callup.notices.service as notices
    import callup.web.accounts as accounts

    counted = {"n": 0}
    lock = threading.Lock()

    def counting(original):  # noqa: ANN001, ANN202
        def check(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            with lock:
                counted["n"] += 1
            time.sleep(0.05)
            return original(*args, **kwargs)
        return check

    monkeypatch.setattr(accounts, "_password_ok", counting(accounts._password_ok))
    monkeypatch.setattr(notices, "check_sign_in", counting(notices.check_sign_in))
    yield counted


@pytest.fixture
def clean_limits(site):
    yield
    from callup.store.engine import connect

    with connect(site.url).begin() as conn:
        conn.execute(text("DELETE FROM web_limits"))


def _in_parallel(send):  # noqa: ANN001, ANN202
    start = threading.Barrier(PARALLEL)

    def one(i):  # noqa: ANN001, ANN202
        start.wait()
        return send(i)

    with ThreadPoolExecutor(PARALLEL) as pool:
        return list(pool.map(one, range(PARALLEL)))


def _form_clients(site, path):  # noqa: ANN001, ANN202
    made = []
    for _ in range(PARALLEL):
        c = client(site)
        made.append((c, csrf_of(c.get(path).text)))
    return made


def test_parallel_wrong_codes_on_one_summons_reference_check_no_more_than_the_limit(site, checks, clean_limits):
    from callup.web.accounts import LIMITS

    cit = site.citizens[20]
    clients = _form_clients(site, "/signin")
    codes = _in_parallel(lambda i: clients[i][0].post("/signin", data={"csrf": clients[i][1], "reference": cit.reference,
                                                                        "code": "AAAA-AAAA"}).status_code)
    assert checks["n"] <= LIMITS["reference"].failures
    assert codes.count(429) == PARALLEL - checks["n"] and set(codes) == {401, 429}


def test_parallel_wrong_passwords_on_one_account_check_no_more_than_the_limit_on_the_form(site, checks, clean_limits):
    from callup.web.accounts import LIMITS

    clients = _form_clients(site, "/officer/signin")
    codes = _in_parallel(lambda i: clients[i][0].post("/officer/signin", data={
        "csrf": clients[i][1], "name": "auditor", "password": f"wrong password {i}", "totp": "123456"}).status_code)
    assert checks["n"] <= LIMITS["user"].failures
    assert codes.count(429) == PARALLEL - checks["n"]


def test_parallel_totp_guesses_on_one_account_check_no_more_than_the_limit_on_the_api(site, checks, clean_limits):
    from callup.web.accounts import LIMITS

    name = next(n for n, s in site.users.items() if s["role"] == "officer")
    clients = [client(site) for _ in range(PARALLEL)]
    codes = _in_parallel(lambda i: clients[i].post("/api/v1/token", json={
        "name": name, "password": PASSWORD, "totp": f"{i:06d}"}).status_code)
    assert checks["n"] <= LIMITS["user"].failures
    assert codes.count(429) == PARALLEL - checks["n"] and set(codes) <= {401, 429}
