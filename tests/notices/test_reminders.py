"""Reminders by e-mail (through a real local SMTP server) and text message (through a fake SMS provider's
HTTP interface): queued when due by the policy, sent at a bounded rate, each attempt recorded, opt-outs kept."""

from __future__ import annotations

import datetime as dt
import pathlib
import re
import sys
import threading

import pytest
from sqlalchemy import func, select

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "campaigns"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from message_servers import sms_server, smtp_server  # noqa: E402

from callup import audit  # noqa: E402
from callup.examples import path as example  # noqa: E402
from callup.notices import reminders, service  # noqa: E402
from callup.notices.channels import Channels, HttpSmsChannel, SmsSettings, SmtpChannel, SmtpSettings  # noqa: E402
from callup.notices.offices import load_offices  # noqa: E402
from callup.notices.tables import REMINDER, Reminder, ReminderAttempt, Summons  # noqa: E402
from callup.register.tables import Person  # noqa: E402
from callup.uow import UnitOfWork  # noqa: E402
from campaign_helpers import drawn, load_register, on_day  # noqa: E402

ISSUE_DAY = dt.date(2027, 3, 25)
reminders_t, attempts_t, summonses_t, people_t = Reminder.__table__, ReminderAttempt.__table__, Summons.__table__, Person.__table__


@pytest.fixture
def servers():
    with smtp_server() as (box, port), sms_server() as (provider, url):
        channels = Channels(email=SmtpChannel(SmtpSettings(host="127.0.0.1", port=port, sender="reminders@agency.example")),
                            sms=HttpSmsChannel(SmsSettings(url=url, key=provider.key)))
        yield box, provider, channels


def published(ctx, tmp_path, *, people=3000, quota=40, russian=()):  # noqa: ANN001, ANN201
    """A campaign whose summonses were issued and published on ISSUE_DAY; the context standing on that day.
    People in `russian` (national ids, or "half": every other one in the register) read Russian."""
    load_register(ctx, tmp_path, people=people)
    if russian:
        from sqlalchemy import update

        with ctx.engine().begin() as conn:
            ids = conn.execute(select(people_t.c.national_id).order_by(people_t.c.national_id)).scalars().all()
            chosen = ids[::2] if russian == "half" else list(russian)
            conn.execute(update(people_t).where(people_t.c.national_id.in_(chosen)).values(language="ru"))
    drawn(ctx, quota=quota, over_call="0")
    day = on_day(ctx, ISSUE_DAY)
    with UnitOfWork(day) as uow:
        service.issue_summonses(uow, "spring-2027", offices_path=example("offices/republic-of-example.csv"))
        service.publish_notices(uow, "spring-2027")
    return day


def _contacts(engine):  # noqa: ANN001, ANN202
    """national id -> (email, phone, name parts) of every summoned person."""
    with engine.connect() as conn:
        rows = conn.execute(select(people_t.c.national_id, people_t.c.email, people_t.c.phone, people_t.c.given_names,
                                   people_t.c.family_name).join(summonses_t, summonses_t.c.national_id == people_t.c.national_id))
        return {r.national_id: r for r in rows}


def _states(engine):  # noqa: ANN001, ANN202
    with engine.connect() as conn:
        return {(r.channel, getattr(r.state, "value", r.state)): r.n for r in conn.execute(
            select(reminders_t.c.channel, reminders_t.c.state, func.count().label("n")).group_by(reminders_t.c.channel, reminders_t.c.state))}


def test_published_summonses_are_announced_by_email_and_text_to_everyone_with_an_address_or_number(ctx, engine, tmp_path, servers):
    box, provider, channels = servers
    day = published(ctx, tmp_path)
    contacts = _contacts(engine)
    with UnitOfWork(day) as uow:
        queued = reminders.plan(uow, ISSUE_DAY)
    with_email = {c.email for c in contacts.values() if c.email}
    with_phone = {c.phone for c in contacts.values() if c.phone}
    assert queued == {"published": len(with_email) + len(with_phone)} and with_email and with_phone

    report = reminders.send_due(day, channels, rate=1000)
    assert report.attempted == len(with_email) + len(with_phone)
    assert {m["To"] for m in box.messages} == with_email and len(box.messages) == len(with_email)
    assert {m["to"] for m in provider.received} == with_phone and len(provider.received) == len(with_phone)
    assert _states(engine) == {("email", "delivered"): len(with_email), ("sms", "delivered"): len(with_phone)}
    # Each attempt is evidence with the provider's answer, and one audit entry naming the person.
    with engine.connect() as conn:
        details = conn.execute(select(attempts_t.c.outcome, attempts_t.c.detail)).all()
    entries = audit.entries(engine, action="notices.reminder")
    assert len(details) == len(entries) == report.attempted
    assert all(o == "delivered" and ("250" in d or "HTTP 201" in d) for o, d in details)
    # The summonses are not delivered by a reminder: a reminder is never evidence of delivery.
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).where(summonses_t.c.delivered_at.is_not(None))).scalar_one() == 0

    # The texts name the appointment and the portal, nothing of the person: no id, no name, no code.
    mail = box.messages[0]
    body = mail.get_content()
    assert mail["Subject"] == "You have a call-up summons" and mail["From"] == "reminders@agency.example"
    assert "portal.example.gov" in body and re.search(r"\b20\d\d\b", body)
    offices = load_offices(example("offices/republic-of-example.csv"))  # the office's name and its address's lines
    assert any(f", {', '.join([o.name, *o.address])}." in body for o in offices) and "('" not in body
    for message in [m.get_content() for m in box.messages] + [s["body"] for s in provider.received]:
        for person in contacts.values():
            assert person.national_id not in message and person.family_name not in message

    # Planned and sent again: nothing new (each reminder once).
    with UnitOfWork(day) as uow:
        assert reminders.plan(uow, ISSUE_DAY) == {}
    assert reminders.send_due(day, channels, rate=1000).attempted == 0
    assert len(box.messages) == len(with_email)


def test_a_reminder_goes_before_each_deadline_and_the_day_before_the_appointment_not_sooner(ctx, engine, tmp_path):
    day = published(ctx, tmp_path, quota=20)
    policy = day.policy().in_force(ISSUE_DAY)
    rules, response_days = policy.notices.reminders, policy.notices.response_days
    answer_by = ISSUE_DAY + dt.timedelta(days=response_days)
    with engine.connect() as conn:
        first = conn.execute(select(summonses_t.c.id, summonses_t.c.date)
                             .join(people_t, people_t.c.national_id == summonses_t.c.national_id).where(people_t.c.email.is_not(None))
                             .order_by(summonses_t.c.date, summonses_t.c.id).limit(1)).mappings().one()
    kinds: dict[dt.date, set[str]] = {}
    for offset in range(0, (first["date"] - ISSUE_DAY).days + 2):
        today = ISSUE_DAY + dt.timedelta(days=offset)
        with UnitOfWork(on_day(day, today)) as uow:
            reminders.plan(uow, today)
        with engine.connect() as conn:
            made = conn.execute(select(reminders_t.c.key).where(reminders_t.c.key.like(f"summons:{first['id']}:%"),
                                                                 reminders_t.c.created_at >= dt.datetime.combine(today, dt.time(0), tzinfo=dt.UTC),
                                                                 reminders_t.c.created_at < dt.datetime.combine(today, dt.time(23), tzinfo=dt.UTC))).scalars().all()
        if made:
            kinds[today] = {k.split(":")[2] for k in made}
    deadline = min(answer_by, first["date"])
    expected_deadline_day = deadline - dt.timedelta(days=rules.days_before_deadline)
    expected_appointment_day = first["date"] - dt.timedelta(days=rules.days_before_appointment)
    assert kinds[ISSUE_DAY] >= {"published"}
    assert "deadline" in kinds[max(expected_deadline_day, ISSUE_DAY)]
    assert "appointment" in kinds[expected_appointment_day]
    assert all("appointment" not in k for d, k in kinds.items() if d != expected_appointment_day)


def test_a_person_who_opted_out_gets_nothing_and_their_queued_reminders_are_not_sent(ctx, engine, tmp_path, servers):
    box, provider, channels = servers
    day = published(ctx, tmp_path)
    with UnitOfWork(day) as uow:
        reminders.plan(uow, ISSUE_DAY)
    contacts = _contacts(engine)
    late, early = [n for n, c in contacts.items() if c.email and c.phone][:2]
    with UnitOfWork(day) as uow:  # opted out after the reminders were queued
        assert reminders.set_opt_out(uow, late, opt_out=True)
        assert not reminders.set_opt_out(uow, late, opt_out=True)  # already
    reminders.send_due(day, channels, rate=1000)
    assert not box.to(contacts[late].email) and contacts[late].phone not in {s["to"] for s in provider.received}
    with engine.connect() as conn:
        states = {getattr(s, "value", s) for s in conn.execute(select(reminders_t.c.state).where(reminders_t.c.national_id == late)).scalars()}
        detail = conn.execute(select(attempts_t.c.detail).join(reminders_t).where(reminders_t.c.national_id == late)).scalars().first()
    assert states == {"permanent-failure"} and "opted out" in detail
    # Opted out before: nothing is even queued for them.
    with UnitOfWork(day) as uow:
        reminders.set_opt_out(uow, early, opt_out=True)
        assert reminders.send(uow, early, "appointment", key="test:appointment", params={"date": "2027-04-20"}) == 0


def test_a_refused_address_fails_for_good_and_a_busy_provider_is_tried_again_later(ctx, engine, tmp_path, servers):
    box, provider, channels = servers
    day = published(ctx, tmp_path)
    with UnitOfWork(day) as uow:
        reminders.plan(uow, ISSUE_DAY)
    contacts = _contacts(engine)
    refused = next(c.email for c in contacts.values() if c.email)
    box.refuse.add(refused)
    provider.busy = 2
    reminders.send_due(day, channels, rate=1000)
    states = _states(engine)
    assert states[("email", "permanent-failure")] == 1 and states[("sms", "temporary-failure")] == 2
    # Not retried before its time; retried after it, and then sent.
    assert reminders.send_due(day, channels, rate=1000).attempted == 0
    later = on_day(day, ISSUE_DAY)
    later.clock.advance(reminders.RETRY_AFTER + dt.timedelta(minutes=1))
    assert reminders.send_due(later, channels, rate=1000).outcomes == {"delivered": 2}
    states = _states(engine)
    assert ("sms", "temporary-failure") not in states and states[("email", "permanent-failure")] == 1
    with engine.connect() as conn:
        retried = conn.execute(select(reminders_t.c.attempts).where(reminders_t.c.attempts > 1)).scalars().all()
        refusal = conn.execute(select(attempts_t.c.detail).where(attempts_t.c.outcome == "permanent-failure")).scalar_one()
    assert retried == [2, 2] and refusal.startswith("550") and refused not in refusal


def test_two_senders_at_once_send_each_reminder_once(ctx, engine, tmp_path, servers):
    box, provider, channels = servers
    day = published(ctx, tmp_path)
    with UnitOfWork(day) as uow:
        queued = sum(reminders.plan(uow, ISSUE_DAY).values())
    threads = [threading.Thread(target=reminders.send_due, args=(day, channels), kwargs={"rate": 1000, "batch": 5}) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(box.messages) + len(provider.received) == queued
    assert len({m["Message-ID"] for m in box.messages}) == len(box.messages)


def test_sending_keeps_to_the_rate(ctx, engine, tmp_path, servers):
    box, provider, channels = servers
    day = published(ctx, tmp_path)
    with UnitOfWork(day) as uow:
        queued = sum(reminders.plan(uow, ISSUE_DAY).values())
    now = [0.0]  # a clock that moves only when the sender waits: what it waited is what the rate asks
    report = reminders.send_due(day, channels, rate=4, sleep=lambda s: now.__setitem__(0, now[0] + s), monotonic=lambda: now[0])
    assert report.attempted == queued > 4
    assert now[0] == pytest.approx((queued - 1) / 4)


def test_texts_are_in_the_persons_language_in_plain_words():
    params = {"date": "2027-04-20", "start": "08:00", "end": "10:00", "place": "Office 1, 1 Main Street",
              "deadline": "2027-04-08", "closes": ["deferral", "civilian_service", "appeal"]}
    for kind in ("published", "deadline", "appointment"):
        subject, body = reminders.render(kind, "ru", params, channel="email")
        _, sms = reminders.render(kind, "ru", params, channel="sms")
        for text in (subject, body, sms):
            assert re.search("[а-яё]", text) and not re.search(r"\b(the|your|summons|appointment)\b", text, re.I)
            assert not re.search(r"\b[a-z]+_[a-z]+\b", text)  # no internal codes
        assert "20 апреля 2027" in body and "с 08:00 до 10:00" in body
        subject, body = reminders.render(kind, "en", params, channel="email")
        assert "20 April 2027" in body and not re.search("[а-яё]", body)
    _, body = reminders.render("deadline", "ru", params, channel="email")
    assert "отсрочке, подать заявление об альтернативной гражданской службе или обжаловать повестку" in body
    _, body = reminders.render("deadline", "en", params, channel="email")
    assert "apply for a deferral, apply for civilian service or appeal the summons" in body
    assert "your call-up appointment" in reminders.render("appointment", "xx", params, channel="sms")[1]  # unknown: the default


def test_the_reminder_machine_never_leaves_delivered_or_permanent_failure():
    for final in ("delivered", "permanent-failure"):
        assert REMINDER.allowed(final) == []
    assert REMINDER.step("temporary-failure", "send", subject="r") == "sending"


def test_another_feature_sends_its_own_message_through_the_same_channels(ctx, engine, tmp_path, servers):
    box, provider, channels = servers
    day = published(ctx, tmp_path)
    contacts = _contacts(engine)
    someone = next(n for n, c in contacts.items() if c.email)
    words = {"en": ("Please answer the questionnaire", "Answer it by {deadline} on {portal}.", "Answer by {deadline}."),
             "ru": ("Пожалуйста, заполните анкету", "Заполните её до {deadline} на {portal}.", "Заполните анкету до {deadline}.")}
    with UnitOfWork(day) as uow:
        queued = reminders.send(uow, someone, "questionnaire", key="questionnaire:1:reminder", params={"deadline": "2027-05-01"},
                                texts=words, language="ru")
        assert reminders.send(uow, someone, "questionnaire", key="questionnaire:1:reminder", texts=words) == 0  # once
    assert queued >= 1
    reminders.send_due(day, channels, rate=1000)
    mail = box.to(contacts[someone].email)[0]
    assert mail["Subject"] == "Пожалуйста, заполните анкету" and "до 1 мая 2027 г. на portal.example.gov" in mail.get_content()


def test_officers_see_counts_and_record_an_opt_out_said_at_the_office(ctx, engine, tmp_path):
    from callup_test_support import run_cli

    day = published(ctx, tmp_path)
    with UnitOfWork(day) as uow:
        reminders.plan(uow, ISSUE_DAY)
    someone = next(iter(_contacts(engine)))
    code, out, err, _ = run_cli(["notices", "reminders", "--opt-out", someone, "--json"])
    assert code == 0, err
    import json

    data = json.loads(out)
    assert data["changed"] is True and data["opted_out"] == 1 and data["by_kind"]["published"] > 0
    assert set(data["by_state"]) <= {"email", "sms"} and someone not in out
    code, _, err, _ = run_cli(["notices", "reminders", "--opt-out", "NOBODY-1"])
    assert code != 0 and "no person with that national id" in err


def test_each_person_is_reminded_in_their_own_language(ctx, engine, tmp_path, servers):
    box, provider, channels = servers
    day = published(ctx, tmp_path, russian="half")
    with engine.connect() as conn:
        language = dict(conn.execute(select(people_t.c.email, people_t.c.language).where(people_t.c.email.is_not(None))).all())
    with UnitOfWork(day) as uow:
        reminders.plan(uow, ISSUE_DAY)
    reminders.send_due(day, channels, rate=1000)
    seen = {language[m["To"]] for m in box.messages}
    assert seen == {"ru", None}
    for mail in box.messages:
        russian = language[mail["To"]] == "ru"
        assert (mail["Subject"] == "Вам направлена повестка") is russian
        assert bool(re.search("[а-яё]", mail.get_content())) is russian


def test_a_text_the_provider_took_as_sending_gets_its_final_word_later_and_is_not_sent_again(ctx, engine, tmp_path, servers):
    box, provider, channels = servers
    provider.first_word = "sending"
    day = published(ctx, tmp_path)
    with UnitOfWork(day) as uow:
        reminders.plan(uow, ISSUE_DAY)
    reminders.send_due(day, channels, rate=1000)
    taken = len(provider.received)
    assert taken >= 2 and _states(engine)[("sms", "sending")] == taken
    later = on_day(day, ISSUE_DAY)
    later.clock.advance(reminders.ASK_AFTER + dt.timedelta(minutes=1))
    provider.later = {"sms-1": "permanent-failure", **{f"sms-{n}": "delivered" for n in range(2, taken)}}  # the last: no word yet
    report = reminders.send_due(later, channels, rate=1000)
    assert report.attempted == 0 and report.outcomes == {"permanent-failure": 1, "delivered": taken - 2}
    assert len(provider.received) == taken  # nothing sent twice
    states = _states(engine)
    assert states[("sms", "delivered")] == taken - 2 and states[("sms", "permanent-failure")] == 1
    assert states[("sms", "sending")] == 1
    assert len(provider.asked) == taken


def test_a_reminder_the_summons_has_overtaken_is_not_sent(ctx, engine, tmp_path, servers):
    from sqlalchemy import update

    box, provider, channels = servers
    day = published(ctx, tmp_path)
    with UnitOfWork(day) as uow:
        reminders.plan(uow, ISSUE_DAY)
    with engine.connect() as conn:
        with_email = conn.execute(select(reminders_t.c.key).where(reminders_t.c.channel == "email")
                                  .order_by(reminders_t.c.id).limit(2)).scalars().all()
    cancelled, moved = (int(k.split(":")[1]) for k in with_email)
    with engine.begin() as conn:  # after queueing: one summons cancelled (a release), one appointment moved
        conn.execute(update(summonses_t).where(summonses_t.c.id == cancelled).values(status="cancelled"))
        conn.execute(update(summonses_t).where(summonses_t.c.id == moved).values(date=dt.date(2027, 7, 1)))
    reminders.send_due(day, channels, rate=1000)
    with engine.connect() as conn:
        why = dict(conn.execute(select(reminders_t.c.key, attempts_t.c.detail).join(attempts_t)
                                .where(reminders_t.c.key.in_(with_email))).all())
    assert why[with_email[0]] == "not sent: the summons is no longer in force"
    assert why[with_email[1]] == "not sent: the appointment moved"
    assert len(box.messages) == _states(engine)[("email", "delivered")]


class _Scripted:
    """A channel answering each message with the next outcome of a script (hypothesis draws the script)."""

    name = "email"

    def __init__(self, script):  # noqa: ANN001
        self.script, self.sent = list(script), 0

    def send(self, message):  # noqa: ANN001, ANN201
        from callup.notices.channels import Outcome

        self.sent += 1
        return Outcome(self.script.pop(0) if self.script else "delivered", "scripted")

    def status(self, ref):  # noqa: ANN001, ANN201
        from callup.notices.channels import Outcome

        return Outcome("sending", "scripted")


@pytest.mark.db
@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)  # a property over one store: the backends are tested above
def test_whatever_the_provider_answers_a_reminder_is_tried_at_most_the_policys_attempts_and_ends_once(ctx, engine, tmp_path):
    from hypothesis import HealthCheck, given, settings, strategies as st

    load_register(ctx, tmp_path, people=300)
    with engine.connect() as conn:
        someone = conn.execute(select(people_t.c.national_id).where(people_t.c.email.is_not(None), people_t.c.civil_status == "alive")
                               .limit(1)).scalar_one()
    allowed = ctx.policy().in_force(ISSUE_DAY).notices.reminders.attempts
    counter = iter(range(10**6))

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(st.sampled_from(["delivered", "permanent-failure", "temporary-failure"]), min_size=0, max_size=6))
    def check(script):  # noqa: ANN001, ANN202
        key = f"test:{next(counter)}"
        day = on_day(ctx, ISSUE_DAY)
        with UnitOfWork(day) as uow:
            reminders.send(uow, someone, "appointment", key=key, params={"date": "2027-04-20"})
        channel = _Scripted(script)
        for _ in range(allowed + 3):  # more runs than attempts, each after the retry delay
            reminders.send_due(day, Channels(email=channel), rate=1000)
            day.clock.advance(dt.timedelta(days=1))
        with engine.connect() as conn:
            row = conn.execute(select(reminders_t.c.id, reminders_t.c.state, reminders_t.c.attempts)
                               .where(reminders_t.c.key == key, reminders_t.c.channel == "email")).one()
            tried = conn.execute(select(func.count()).where(attempts_t.c.reminder_id == row.id)).scalar_one()
        state = getattr(row.state, "value", row.state)
        assert channel.sent == tried == row.attempts <= allowed
        first_final = next((i for i, o in enumerate(script + ["delivered"]) if o != "temporary-failure"), None)
        if first_final is not None and first_final < allowed:
            assert channel.sent == first_final + 1 and state == (script + ["delivered"])[first_final]
        else:
            assert channel.sent == allowed and state == "temporary-failure"

    check()
