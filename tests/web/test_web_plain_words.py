"""Every page state of the portal and the console, in English and Russian, speaks in words: no enum value
(`civilian_service`, `temporarily_unfit`, `deferral:refused`, a bare `applied`), no snake_case code, and on a
Russian page no English word of the site's own vocabulary.

The site is put through every state a page can show (a summons sent, opened, confirmed, cancelled by a
release, missed; each kind of case in each decided state, an appeal refused and allowed; a person in
service; contact-change requests waiting, confirmed and rejected; the check page's answers; sign-in
errors; error pages) through the services, then each page is rendered in both languages and read as a
person reads it: the visible text and the texts read out (labels, alt, title), without the data the
page shows (names, addresses, references, office names), which are the person's and the country's own,
and without recorded texts (reasons and evidence, marked `recorded`), which stay in the words of whoever
wrote them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
import urllib.parse

import pytest
from sqlalchemy import text

from callup.context import FixedClock, make_actor
from callup.uow import UnitOfWork
from web_support import ISSUE_DAY, client, signed_in

CAMPAIGN = "spring-2027"


def _ctx(site, role: str = "administrator", region: str | None = None, day: dt.date = ISSUE_DAY):  # noqa: ANN001, ANN202
    from campaign_helpers import on_day

    ctx = on_day(site.admin, day)
    return ctx if role == "administrator" else dataclasses.replace(ctx, actor=make_actor(f"{role}-x", role, regions=region))


@pytest.fixture(scope="module")
def states(site):  # noqa: ANN001, ANN201
    """Citizens of region A, each put in one state; returns {name: citizen} and the ids of the cases made."""
    from callup.cases import appeals, civilian, decisions, exemptions, medical, noshows
    from callup.examples import path as example
    from callup.military_service import induction
    from callup.military_service.units import import_units
    from callup.notices import service as notices
    from callup.register import contact

    people = iter(site.citizens[60:])
    made: dict = {}
    admin = _ctx(site)

    def who(name: str):  # noqa: ANN202
        made[name] = next(people)
        return made[name]

    def officer(name: str, second: bool = False):  # noqa: ANN202
        ctx = _ctx(site, "officer", made[name].region)
        return dataclasses.replace(ctx, actor=make_actor("officer-y", "officer", regions=made[name].region)) if second else ctx

    def board(name: str):  # noqa: ANN202
        return _ctx(site, "medical", made[name].region)

    with UnitOfWork(admin) as uow:
        notices.acknowledge(uow, who("acknowledged").reference, evidence="at the counter")
    who("sent")
    # medical: open, fit, unfit, temporarily unfit (the call ends: the summons is cancelled)
    cases: dict[str, int] = {}
    for name, category in (("exam-open", None), ("fit", "A"), ("unfit", "D"), ("temporary", "G")):
        with UnitOfWork(admin) as uow:
            cases[name] = medical.open_examination(uow, CAMPAIGN, who(name).national_id).id
        if category:
            with UnitOfWork(board(name)) as uow:
                medical.decide_fitness(uow, cases[name], category, reason="решение комиссии",
                                       reexamine_on=dt.date(2027, 10, 1) if category == "G" else None)
    # deferral: waiting, refused and appealed (appeal waiting), refused and appeal refused, granted and appeal allowed
    for name, decision, appeal in (("deferral-waiting", None, None), ("deferral-refused", "refuse", "lodge"),
                                   ("appeal-refused", "refuse", "uphold"), ("appeal-allowed", "grant", "overturn")):
        with UnitOfWork(admin) as uow:
            cases[name] = _apply_deferral(uow, who(name).national_id)
        if decision:
            with UnitOfWork(officer(name)) as uow:
                decisions.decide_application(uow, cases[name], decision, reason="по документам")
        if appeal:
            with UnitOfWork(_citizen(site, made[name])) as uow:
                appeal_id = appeals.lodge_appeal(uow, cases[name], reason="не согласен").id
            cases[f"{name}-appeal"] = appeal_id
            if appeal != "lodge":
                with UnitOfWork(officer(name, second=True)) as uow:
                    appeals.decide_appeal(uow, appeal_id, appeal, reason="рассмотрено")
    with UnitOfWork(admin) as uow:
        cases["exemption"] = exemptions.apply_for_exemption(uow, CAMPAIGN, who("exemption").national_id, "prior_service",
                                                         evidence="военный билет").id
        cases["civilian"] = civilian.apply_for_civilian_service(uow, CAMPAIGN, who("civilian").national_id,
                                                                statement="по убеждениям").id
    with UnitOfWork(officer("civilian")) as uow:
        decisions.decide_application(uow, cases["civilian"], "grant", reason="убедительно")
    # in service
    with UnitOfWork(admin) as uow:
        if not uow.execute(text("SELECT 1 FROM units LIMIT 1")).first():
            import_units(uow, example("units/republic-of-example.csv"))
        cases["inducted-exam"] = medical.open_examination(uow, CAMPAIGN, who("inducted").national_id).id
    with UnitOfWork(board("inducted")) as uow:
        medical.decide_fitness(uow, cases["inducted-exam"], "A")
    with UnitOfWork(admin) as uow:
        induction.induct(uow, CAMPAIGN, made["inducted"].national_id, unit="3-SIG", start=dt.date(2027, 5, 1))
    # a missed appointment, excused
    missed = who("no-show")
    with UnitOfWork(admin) as uow:
        notices.acknowledge(uow, missed.reference, evidence="at the counter")
        view = notices.view(uow, missed.reference)
    later = dataclasses.replace(officer("no-show"), clock=FixedClock(dt.datetime.combine(view.date, view.end, tzinfo=dt.UTC)))
    with UnitOfWork(later) as uow:
        notices.record_appearance(uow, missed.reference, "no_show")
    with UnitOfWork(dataclasses.replace(later, actor=admin.actor)) as uow:
        noshows.open_no_shows(uow, CAMPAIGN, references=[missed.reference])
        cases["no-show"] = uow.execute(text("SELECT id FROM cases WHERE kind = 'no_show' AND national_id = :n"),
                                       {"n": missed.national_id}).scalar_one()
    with UnitOfWork(later) as uow:
        noshows.resolve_no_show(uow, cases["no-show"], "excuse", reason="болел")
    # contact-change requests: waiting, confirmed, rejected
    for name, confirm in (("contact-waiting", None), ("contact-confirmed", True), ("contact-rejected", False)):
        with UnitOfWork(_citizen(site, who(name))) as uow:
            request = contact.request_change(uow, email=f"{name}@example.org")
        if confirm is not None:
            with UnitOfWork(admin) as uow:
                contact.decide(uow, request, confirm=confirm, reason=None if confirm else "не подтверждено")
    return made, cases


def _apply_deferral(uow, national_id):  # noqa: ANN001, ANN202
    from callup.cases import deferrals

    deferrals.apply_for_deferral(uow, CAMPAIGN, national_id, "family_care", evidence="справка")
    return uow.execute(text("SELECT max(id) FROM cases WHERE kind = 'deferral' AND national_id = :n"), {"n": national_id}).scalar_one()


def _citizen(site, cit):  # noqa: ANN001, ANN202
    from callup.context import Actor, Role

    return dataclasses.replace(_ctx(site), actor=Actor(name="citizen (portal)", role=Role.citizen, person_id=cit.national_id))


# --- reading a page as a person does ----------------------------------------------------------------------------

#: Elements whose text is data, not the site's words: references, pseudonyms, national ids, command lines.
DATA = re.compile(r'<(code|[a-z0-9]+ class="[^"]*\b(?:mono|recorded)\b[^"]*")[^>]*>.*?</[a-z0-9]+>', re.S)
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
CODE_PAIR = re.compile(r"\b[a-z_]+:[a-z_]+\b")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z']+")


def _said(page: str, data: list[str]) -> str:
    """The text a person reads or hears on `page`: visible text and the read-out attributes, without `data`."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r'<input type="hidden"[^>]*>', " ", page)
    page = DATA.sub(" ", page)
    heard = re.findall(r'\b(?:aria-label|alt|title|placeholder)="([^"]*)"', page)
    body = re.sub(r"<[^>]+>", " ", page)
    said = html.unescape(" ".join([body, *heard]))
    for value in sorted(data, key=len, reverse=True):
        said = said.replace(value, " ")
    return " ".join(said.split())


def _vocabulary() -> set[str]:
    """The English words of the site's catalogue (its msgids): what must not show on a Russian page."""
    from babel.messages.pofile import read_po

    from callup.web.i18n import LOCALE_DIR

    with (LOCALE_DIR / "ru" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="ru")
    words = set()
    for message in catalog:
        for msgid in (message.id if isinstance(message.id, tuple) else (message.id,)):
            words.update(w.lower() for w in LATIN_WORD.findall(re.sub(r"%\(\w+\)s|/[\w/.-]+|callup [a-z ]+", " ", msgid or "")))
    return words - ALLOWED


#: Latin words a Russian page may show: names of formats and of the site, units.
ALLOWED = {"pdf", "jpeg", "png", "qr", "callup", "mb", "id", "english", "callup-status", "json"}


def _codes() -> set[str]:
    """Every code the services use for a state, step, kind or source (a page shows none of them bare)."""
    from callup.cases.machines import MACHINES
    from callup.cases.tables import CaseKind
    from callup.context import Role
    from callup.notices.tables import NoticeStatus

    codes = {k.value for k in CaseKind} | {r.value for r in Role} | {s.value for s in NoticeStatus}
    for machine in MACHINES.values():
        for (state, step), to in machine.table.items():
            codes |= {str(getattr(state, "value", state)), step, str(getattr(to, "value", to))}
    return codes


def _pages(site, made, cases):  # noqa: ANN001, ANN202
    """(name, client, path) of every page state."""
    pages = []
    for name, cit in made.items():
        c = signed_in(site, citizen=cit)
        pages += [(f"{name}: status", c, "/portal"), (f"{name}: summons", c, f"/portal/summons/{cit.reference}"),
                  (f"{name}: cases", c, "/portal/cases")]
    sent = made["sent"]
    c = signed_in(site, citizen=sent)
    pages += [("move", c, f"/portal/summons/{sent.reference}/move"), ("contact", c, "/portal/contact"),
              ("reads", c, "/portal/reads"), ("document", c, "/portal/document")]
    for name in ("contact-waiting", "contact-confirmed", "contact-rejected"):
        pages.append((name, signed_in(site, citizen=made[name]), "/portal/contact"))
    pages += [("status document (in service)", signed_in(site, citizen=made["inducted"]), "/portal/document"),
              ("status document (released)", signed_in(site, citizen=made["temporary"]), "/portal/document")]
    move = f"/portal/summons/{sent.reference}/move"
    pages += [("move: no day chosen", c, move + "?pick=day")]
    day_page = c.get(move).text
    days = re.findall(r'name="day" value="([^"]+)"', day_page)
    if days:
        slots = re.findall(r'name="slot" value="([^"]+)"', c.get(move, params={"day": days[0]}).text)
        pages += [("move: time", c, f"{move}?day={days[0]}")]
        if slots:
            pages += [("move: confirm", c, f"{move}?day={days[0]}&slot={urllib.parse.quote(slots[0])}")]
    for code in ("deferral", "exemption", "civilian_service", "appeal"):
        pages += [(f"right {code}: start", c, f"/portal/rights/{code}"), (f"right {code}: first question", c, f"/portal/rights/{code}/ask")]
    pages += [("resume: nothing kept", c, "/resume/nothing"), ("questionnaire", c, "/portal/questionnaire")]
    anyone = client(site)
    pages += [("start", anyone, "/"), ("sign-in", anyone, "/signin"), ("officer sign-in", anyone, "/officer/signin"),
              ("check", anyone, "/status/check"), ("check: not a document", anyone, "/status/check?document=hello"),
              ("not found", anyone, "/nothing-here")]
    officer = signed_in(site, user="admin")
    pages += [("console queue", officer, "/console"), ("console cases", officer, "/console/cases"),
              ("console search", officer, "/console/search?q=" + made["sent"].national_id)]
    for name, case_id in cases.items():
        pages.append((f"console case {name}", officer, f"/console/cases/{case_id}"))
    pages += [("console day", officer, "/console/day"), ("console audit", officer, "/console/audit"),
              ("console guardrail", officer, "/console/audit/guardrail"), ("console draws", officer, "/console/audit/draws"),
              ("console questionnaire", officer, "/console/questionnaire")]
    board = signed_in(site, user=f"medical-{site.regions[0]}")
    pages += [("medical day list", board, "/console/medical")]
    for name in ("sent", "no-show", "temporary", "acknowledged"):
        cit = made[name]
        pages += [(f"console summons {name}", officer, f"/console/summons/{cit.reference}"),
                  (f"console person {name}", officer, f"/console/people/{cit.national_id}?reason=проверка")]
    return pages


def _data(site, made) -> list[str]:  # noqa: ANN001
    """What the pages show as data: people's names and addresses, office names and addresses, user offices."""
    from callup.notices import service as notices

    values = [f"Office of {r}" for r in [*site.regions, "the nation"]] + sorted(site.users, key=len, reverse=True)
    with UnitOfWork(site.admin, write=False) as uow:
        values += [v for v in notices.office_places(uow, CAMPAIGN).values()]
        rows = uow.execute(text("SELECT family_name, given_names, address, postcode, email FROM people WHERE national_id IN ("
                                + ",".join(f"'{c.national_id}'" for c in made.values()) + ")")).all()
    for row in rows:
        values += [v for v in row if v]
    values += [f"{name}@example.org" for name in made] + [c.reference for c in made.values()]
    values += [CAMPAIGN, "3-SIG", "R01", "EXR"] + list(site.regions)
    return values


def test_no_page_state_shows_a_code_or_english_on_a_russian_page(site, states):
    made, cases = states
    vocabulary, codes, data = _vocabulary(), _codes(), _data(site, made)
    problems = []
    for name, c, path in _pages(site, made, cases):
        for lang in ("en", "ru"):
            c.cookies.set("callup_lang", lang)
            r = c.get(path)
            assert r.status_code in (200, 404, 422), (name, lang, r.status_code)
            said = _said(r.text, data)
            found = set(SNAKE.findall(said)) | set(CODE_PAIR.findall(said))
            # a code shown bare as a value (a badge, a definition, a table cell): "applied", "sent"
            found |= {v for v in re.findall(r"<(?:dd|td|span class=\"badge\")[^>]*>\s*([^<]+?)\s*</", r.text)
                      if v.strip() in codes}
            if lang == "ru":
                found |= {w for w in LATIN_WORD.findall(said) if w.lower() in vocabulary}
                if "г.." in said:  # a Russian date ends with "г.": a sentence ending on one needs no second full stop
                    found.add("double full stop after a date")
            if found:
                problems.append(f"{name} [{lang}] {path}: {sorted(found)}")
    assert not problems, "\n".join(problems)


def test_the_letter_and_the_portal_write_an_appointment_alike_in_both_languages():
    from callup.notices.wording import load_templates
    from callup.web.i18n import Formats

    def alike(text: str) -> str:  # Babel keeps "2027 г." together with a narrow no-break space; the letter wraps it its own way
        return text.replace("\u202f", " ").replace("\xa0", " ")

    templates = load_templates()
    day, start, end = dt.date(2027, 10, 4), dt.time(8, 0), dt.time(8, 30)
    for lang in ("en", "ru"):
        fmt, letter = Formats(lang), templates[lang]
        assert letter.date(day, long=True) == alike(fmt.date(day, "full"))
        assert letter.date(day) == alike(fmt.date(day))
        assert fmt.time(start) in letter.time(start, end) and fmt.time(end) in letter.time(start, end)
    assert Formats("en").at(day, start) == "Monday, 4 October 2027, 08:00"


def test_every_reason_the_system_gives_is_in_words_in_both_languages():
    """A reason written in the code (`reason="..."`) is shown to the person on "who read my record" and to the
    auditor: each is one of the system's reasons, which the pages translate (a person's own reasons stay as written)."""
    import pathlib
    import re

    from callup.web import i18n
    from callup.web.words import SYSTEM_REASONS

    src = pathlib.Path(__file__).resolve().parents[2] / "src" / "callup"
    given = {m for path in src.rglob("*.py") for m in re.findall(r'reason="([a-z][^"]*)"', path.read_text(encoding="utf-8"))}
    assert len(given) >= 8
    assert given <= SYSTEM_REASONS, f"name these in web/words.py SYSTEM_REASONS: {sorted(given - SYSTEM_REASONS)}"
    russian = i18n.translations("ru")
    assert [r for r in SYSTEM_REASONS if russian.gettext(r) == r] == []


def test_a_civilian_service_case_names_its_ground_in_words():
    from callup.web import i18n
    from callup.web.words import UNNAMED, Words

    for lang in ("en", "ru"):
        gettext = i18n.translations(lang).gettext
        said = Words(gettext).ground("civilian_service", "conscience")
        assert said and said != gettext(UNNAMED) and "conscience" != said
