"""Sessions that respect the person: the session slides while it is used (capped from sign-in), a form sent after
it ended is kept (encrypted) and shown again after signing in, to its own person only, and a page that expired
says so in words instead of "Forbidden"."""

from __future__ import annotations

import re
import time
import urllib.parse

from sqlalchemy import text

from callup.context import Actor, Role
from callup.uow import UnitOfWork
from callup.web import session_records
from callup.web.sessions import LIFETIME, MAX_LIFETIME, Sealer, for_actor
from web_support import client, csrf_of

STATEMENT = "Я не могу брать в руки оружие.\n" + "Мои убеждения не позволяют мне служить в армии. " * 40


def _session(site, cit, *, signed_in_ago: float, ends_in: float):  # noqa: ANN001, ANN202
    """A citizen session of `cit`, signed in `signed_in_ago` seconds ago and ending `ends_in` seconds from now, recorded."""
    import dataclasses

    now = time.time()
    made = for_actor(Actor(name="citizen (portal)", role=Role.citizen, person_id=cit.national_id), reference=cit.reference,
                     now=now - signed_in_ago)
    made = dataclasses.replace(made, expires=int(now + ends_in))
    with UnitOfWork(site.admin) as uow:
        session_records.start(uow, made)
    return made


def _with(site, made):  # noqa: ANN001, ANN202
    c = client(site)
    c.cookies.set("callup_session", Sealer(site.keys).seal(made))
    return c


def _cookie_session(site, response):  # noqa: ANN001, ANN202
    found = re.search(r"callup_session=([^;]+)", response.headers.get("set-cookie", ""))
    return Sealer(site.keys).open(found.group(1)) if found else None


def test_a_session_in_use_slides_on_and_ends_at_the_latest_its_maximum_after_sign_in(site):
    cit = site.citizens[3]
    busy = _with(site, _session(site, cit, signed_in_ago=50 * 60, ends_in=10 * 60))
    page = busy.get("/portal")
    renewed = _cookie_session(site, page)
    assert page.status_code == 200 and renewed is not None
    assert abs(renewed.expires - (time.time() + LIFETIME["citizen"])) < 30  # a full hour from now, not from sign-in
    assert f'content="{renewed.expires}"' in page.text  # the page's warning counts down to the new end

    old = _session(site, cit, signed_in_ago=MAX_LIFETIME["citizen"] - 120, ends_in=60)
    late = _with(site, old).get("/portal")
    capped = _cookie_session(site, late)
    assert capped is not None and capped.expires == old.signed_in_at + MAX_LIFETIME["citizen"]  # two minutes more, no more

    fresh = _with(site, _session(site, cit, signed_in_ago=5, ends_in=LIFETIME["citizen"] - 5)).get("/portal")
    assert _cookie_session(site, fresh) is None  # renewed a moment ago: no new cookie on every request


def test_staying_signed_in_from_the_warning_moves_the_end_without_leaving_the_page(site):
    made = _session(site, site.citizens[4], signed_in_ago=56 * 60, ends_in=4 * 60)
    c = _with(site, made)
    page = c.get("/portal")
    assert 'id="session-warning"' in page.text and 'src="/static/session.js"' in page.text
    assert "<script>" not in page.text  # no inline script (the CSP forbids it)
    extended = c.post("/session/extend", data={"csrf": csrf_of(page.text)})
    assert extended.status_code == 200 and extended.json()["expires"] > made.expires + 50 * 60


def test_a_form_sent_after_the_session_ended_is_kept_and_shown_again_after_sign_in_to_its_person_only(site):
    cit, other = site.citizens[6], site.citizens[7]
    ended = _session(site, cit, signed_in_ago=2 * 3600, ends_in=-60)
    c = _with(site, ended)
    csrf = Sealer(site.keys).csrf_token(ended)
    sent = c.post("/portal/rights/civilian_service", data={"csrf": csrf, "step": "statement", "go": "continue",
                                                           "statement": STATEMENT, "case": ""})
    assert sent.status_code == 303
    target = urllib.parse.urlparse(sent.headers["location"])
    assert target.path == "/signin" and "ended=1" in target.query
    resume = urllib.parse.parse_qs(target.query)["next"][0]
    assert resume.startswith("/resume/")
    with UnitOfWork(site.admin, write=False) as uow:  # kept encrypted: the store does not hold the words
        stored = uow.execute(text("SELECT fields FROM web_drafts")).scalars().all()
    assert stored and not any("оружие" in value for value in stored)

    signin = c.get(sent.headers["location"])
    assert "what you were sending was kept" in signin.text
    stranger = client(site)
    _sign_in(stranger, other, resume)
    assert stranger.get(resume).status_code == 404  # someone else's draft: nothing shown, nothing taken

    after = _sign_in(c, cit, resume)
    assert after.headers["location"] == resume
    page = c.get(resume)
    assert page.status_code == 200 and "Мои убеждения не позволяют мне служить в армии." in page.text
    assert 'action="/portal/rights/civilian_service"' in page.text
    again = c.post("/portal/rights/civilian_service", data={"csrf": csrf_of(page.text), "step": "statement", "go": "continue",
                                                            "statement": STATEMENT, "case": ""})
    assert again.status_code == 200 and 'value="send"' in again.text and "Я не могу брать в руки оружие." in again.text
    assert c.get(resume).status_code == 404  # shown once


def test_a_page_that_expired_says_so_in_words_and_does_not_say_forbidden(site):
    r = client(site).post("/portal/contact", data={"csrf": "x", "email": "a@example.org"})
    assert r.status_code == 403 and "This page had expired" in r.text and "Forbidden" not in r.text


def _sign_in(c, cit, nxt):  # noqa: ANN001, ANN202
    form = c.get("/signin", params={"next": nxt})
    r = c.post("/signin", data={"csrf": csrf_of(form.text), "reference": cit.reference, "code": cit.code, "next": nxt})
    assert r.status_code == 303, r.text
    return r
