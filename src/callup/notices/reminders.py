"""Reminders by e-mail and text message: when a summons is published, before each deadline it sets,
and before the appointment, as the policy's `notices.reminders` chooses.

Three steps, each safe to repeat:

- `send(uow, national_id, kind, params=..., key=...)` queues one reminder per channel the policy
  names and the register holds a contact for (nothing for a person who opted out). `key` says what
  it reminds of, so queueing the same reminder again does nothing. Other features (a
  questionnaire) reuse it with their own `kind` and texts (`TEXTS`).
- `plan(uow, on)` queues the reminders of every summons that are due on day `on`.
- `send_due(ctx, channels)` hands the due reminders to the channels at a bounded rate, each claimed
  first (so two senders never send one twice) and each attempt recorded with the provider's
  answer (`reminder_attempts`) and one audit entry. A reminder is a courtesy: its outcome is
  evidence that it was sent, never that the summons was delivered.

Texts are in the person's language where a text exists (English, Russian), name the appointment
or the deadline and the portal, and nothing else about the person.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, cast

from sqlalchemy import Connection, Table, and_, delete, func, insert, or_, select, update

from callup.audit import AuditEvent, person
from callup.context import Context, Role
from callup.errors import InputError
from callup.notices.channels import DELIVERED, PERMANENT, SENDING, TEMPORARY, Channels, Message, Outcome
from callup.notices.rights import deadlines, issued_on, rights
from callup.notices.tables import (
    LIVE,
    REMINDER,
    Reminder,
    ReminderAttempt,
    ReminderOptOut,
    ReminderState,
    Summons,
)
from callup.notices.wording import load_templates, template_for
from callup.store.columns import enum_value as _value
from callup.uow import UnitOfWork

__all__ = ["TEXTS", "opted_out", "plan", "render", "send", "send_due", "set_opt_out", "summary"]

reminders, attempts_t, opt_outs = (cast(Table, t.__table__) for t in (Reminder, ReminderAttempt, ReminderOptOut))
summonses = cast(Table, Summons.__table__)
CHANNELS = ("email", "sms")
#: A reminder claimed this long ago and still "sending" without the provider's id: its sender died before handing it over.
STALE_CLAIM = dt.timedelta(minutes=15)
RETRY_AFTER = dt.timedelta(minutes=10)  # doubled at each further attempt


# --- texts -------------------------------------------------------------------------------------------
# kind -> (e-mail subject, e-mail body, text message). Placeholders: {agency}, {portal}, {date},
# {time}, {place}, {deadline}, {what}; plain words, no codes, no name or id of the person.

_EN_FOOTER = ("\n\nThis is a reminder, not the summons itself. You cannot reply to this message. "
              "To get no more reminders, say so on {portal} (contact details) or at your call-up office.\n{agency}")
_RU_FOOTER = ("\n\nЭто напоминание, а не сама повестка. Отвечать на это сообщение не нужно: ответ никто не прочтёт. "
              "Чтобы больше не получать напоминаний, сообщите об этом на {portal} (раздел «Контактные данные») "
              "или в призывном пункте.\n{agency}")

TEXTS: dict[str, dict[str, tuple[str, str, str]]] = {
    "en": {
        "published": (
            "You have a call-up summons",
            "A call-up summons for you is now on {portal}. Sign in there with the reference and the code printed "
            "on the letter we sent you by post.\n\nYour appointment: {date}, {time}, {place}." + _EN_FOOTER,
            "{agency}: you have a call-up summons. Appointment: {date}, {time}, {place}. Details on {portal}.",
        ),
        "deadline": (
            "Reminder: a deadline on {deadline}",
            "{deadline} is the last day to {what}, if you want to. You can do it on {portal}, signed in with the "
            "reference and code on your letter.\n\nYour appointment: {date}, {time}, {place}." + _EN_FOOTER,
            "{agency}: {deadline} is the last day to {what}. See {portal}.",
        ),
        "appointment": (
            "Reminder: your call-up appointment on {date}",
            "Your call-up appointment is on {date}, {time}, at {place}. Bring your identity document and the "
            "letter. If you cannot come, tell your call-up office before the appointment; {portal} says how."
            + _EN_FOOTER,
            "{agency}: your call-up appointment is on {date}, {time}, {place}. Bring your identity document.",
        ),
    },
    "ru": {
        "published": (
            "Вам направлена повестка",
            "На {portal} размещена повестка для вас. Войдите туда с номером повестки и кодом, напечатанными в "
            "письме, которое мы отправили вам по почте.\n\nВаша явка: {date}, {time}, {place}." + _RU_FOOTER,
            "{agency}: вам направлена повестка. Явка: {date}, {time}, {place}. Подробнее на {portal}.",
        ),
        "deadline": (
            "Напоминание: срок истекает {deadline}",
            "{deadline} — последний день, чтобы {what}, если вы этого хотите. Это можно сделать на {portal}, "
            "войдя с номером повестки и кодом из письма.\n\nВаша явка: {date}, {time}, {place}." + _RU_FOOTER,
            "{agency}: {deadline} — последний день, чтобы {what}. Подробнее на {portal}.",
        ),
        "appointment": (
            "Напоминание: явка по повестке — {date}",
            "Ваша явка по повестке: {date}, {time}, {place}. Возьмите с собой документ, удостоверяющий личность, и "
            "письмо. Если вы не можете прийти, сообщите в призывной пункт до дня явки; как это сделать, сказано на "
            "{portal}." + _RU_FOOTER,
            "{agency}: ваша явка по повестке: {date}, {time}, {place}. Возьмите документ, удостоверяющий личность.",
        ),
    },
}

#: The self-declaration's deadline reminder (a questionnaire letter, not a summons), by language.
QUESTIONNAIRE_TEXTS: dict[str, tuple[str, str, str]] = {
    "en": ("Reminder: your self-declaration is due on {deadline}",
           "Please answer your self-declaration by {deadline}. You can do it on {portal}, signed in with the reference "
           "and the code printed on the letter we sent you, or on its paper form.\n\nYou cannot reply to this message. "
           "To get no more reminders, say so on {portal} (contact details) or at your call-up office.\n{agency}",
           "{agency}: please answer your self-declaration by {deadline} on {portal} (reference and code on your letter)."),
    "ru": ("Напоминание: ответьте на анкету до {deadline}",
           "Пожалуйста, ответьте на анкету до {deadline}. Это можно сделать на {portal}, войдя с номером и кодом из "
           "письма, которое мы вам отправили, или на бумажном бланке.\n\nОтвечать на это сообщение не нужно: ответ "
           "никто не прочтёт. Чтобы больше не получать напоминаний, сообщите об этом на {portal} (раздел «Контактные "
           "данные») или в призывном пункте.\n{agency}",
           "{agency}: пожалуйста, ответьте на анкету до {deadline} на {portal} (номер и код в письме)."),
}

#: What closes on a deadline, in words, by right (`notices.rights`); joined as a list ending in "or".
WHAT: dict[str, dict[str, str]] = {
    "en": {"deferral": "apply for a deferral", "exemption": "claim an exemption",
           "civilian_service": "apply for civilian service", "appeal": "appeal the summons", "or": "or"},
    "ru": {"deferral": "подать заявление об отсрочке", "exemption": "заявить об освобождении от призыва",
           "civilian_service": "подать заявление об альтернативной гражданской службе", "appeal": "обжаловать повестку",
           "or": "или"},
}


def _either(items: list[str], word: str) -> str:
    """`a`, `a or b`, `a, b or c` (`or` in the language's word)."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {word} {items[-1]}" if items else ""


def render(kind: str, language: str, params: Mapping[str, Any], *, channel: str, default_language: str = "en") -> tuple[str, str]:
    """(subject, body) of a reminder in `language` (else the default, else English), dates in its format."""
    texts = params.get("texts") or {language: TEXTS.get(language, {}).get(kind) for language in TEXTS}
    texts = {lang: tuple(t) for lang, t in texts.items() if t}
    lang = language if language in texts else default_language if default_language in texts else next(iter(sorted(texts)))
    subject, body, sms = texts[lang]
    template = template_for(lang, load_templates())
    extra = {k: str(v) for k, v in params.items() if isinstance(v, (str, int)) and not isinstance(v, bool)}
    values = {**extra, "agency": template.sender.get("agency", ""), "portal": template.sender.get("portal", ""),
              "place": params.get("place", ""), "date": "", "time": "", "deadline": "", "what": ""}
    if params.get("date"):
        values["date"] = template.date(dt.date.fromisoformat(params["date"]), long=True)
    if params.get("start") and params.get("end"):
        values["time"] = template.time(dt.time.fromisoformat(params["start"]), dt.time.fromisoformat(params["end"]))
    if params.get("deadline"):
        values["deadline"] = template.date(dt.date.fromisoformat(params["deadline"]))
    words = WHAT.get(lang, WHAT["en"])
    values["what"] = _either([words[w] for w in params.get("closes", []) if w in words and w != "or"], words["or"])
    filled = collections.defaultdict(str, {k: str(v) for k, v in values.items()})  # a missing value is left out, not an error
    if channel == "sms":
        return "", sms.format_map(filled)
    return subject.format_map(filled), body.format_map(filled)


# --- audit events ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class RemindersQueued(AuditEvent):
    """notices.reminders_queued: reminders due on a day were queued (counts by kind)."""

    action: ClassVar[str] = "notices.reminders_queued"
    on: str
    queued: dict[str, int]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReminderAttempted(AuditEvent):
    """notices.reminder: one attempt at a reminder to a person and the provider's answer (evidence it was sent,
    never of delivery); the person's address was read from the register for it."""

    action: ClassVar[str] = "notices.reminder"
    kind: str
    channel: str
    outcome: str
    detail: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class RemindersOptOut(AuditEvent):
    """notices.reminders_opt_out: a person asked for no reminders (or for them again)."""

    action: ClassVar[str] = "notices.reminders_opt_out"
    opted_out: bool


# --- queueing ----------------------------------------------------------------------------------------


def opted_out(uow: UnitOfWork, national_id: str) -> bool:
    return uow.execute(select(opt_outs.c.national_id).where(opt_outs.c.national_id == national_id)).first() is not None


def set_opt_out(uow: UnitOfWork, national_id: str, *, opt_out: bool) -> bool:
    """Record that the person wants no reminders (`opt_out`) or wants them again; True if it changed.
    Reminders already queued for them are withdrawn when their turn comes."""
    uow.ctx.require(Role.citizen, Role.administrator, Role.officer, doing="changing reminders")
    from callup.register.queries import check_person

    check_person(uow, national_id)  # on the register and in the actor's scope (a citizen: themselves), else not found
    if opt_out == opted_out(uow, national_id):
        return False
    if opt_out:
        uow.execute(insert(opt_outs).values(national_id=national_id, at=uow.now()))
    else:
        uow.execute(delete(opt_outs).where(opt_outs.c.national_id == national_id))
    uow.record(RemindersOptOut(target=person(national_id), opted_out=opt_out))
    return True


def send(uow: UnitOfWork, national_id: str, kind: str, *, key: str, params: Mapping[str, Any] | None = None,
         language: str | None = None, on: dt.date | None = None,
         texts: Mapping[str, tuple[str, str, str]] | None = None) -> int:
    """Queue a reminder of `kind` to the person by each channel the policy in force names and the
    register holds a contact for; returns how many were queued (0 when they already were, the person
    opted out or has no address or number). The text is made when it is sent, from `TEXTS[language][kind]`
    or, for another feature's message, from `texts` (language -> (subject, e-mail body, text message),
    placeholders from `params` and {agency}, {portal}); an unknown language gets the policy's."""
    if texts is None and not any(kind in t for t in TEXTS.values()):
        raise InputError(f"no text for reminders of kind {kind!r}", field="kind")
    if texts is not None:
        params = {**(params or {}), "texts": {lang: list(t) for lang, t in texts.items()}}
    version = uow.ctx.policy().in_force(on or uow.ctx.today())
    return sum(_queue(uow, [(national_id, kind, key, dict(params or {}), language)], version=version).values())


CHUNK = 5000


def _queue(uow: UnitOfWork, items: list[tuple[str, str, str, dict[str, Any], str | None]], *, version: Any) -> Counter:
    """Queue (national id, kind, key, params, language) items in bulk: a few queries per 5,000, not per
    person (the day a campaign is published reminds everyone at once). Counts queued by kind."""
    from callup.register.queries import contacts_of

    queued: Counter = Counter()
    channels = list(version.notices.reminders.channels)
    now = uow.now()
    for i in range(0, len(items), CHUNK):
        part = items[i:i + CHUNK]
        ids = sorted({item[0] for item in part})
        out = set(uow.execute(select(opt_outs.c.national_id).where(opt_outs.c.national_id.in_(ids))).scalars())
        contacts = contacts_of(uow, ids)
        present = set(uow.execute(select(reminders.c.key, reminders.c.channel)
                                  .where(reminders.c.key.in_(sorted({item[2] for item in part})))).tuples())
        rows = []
        for national_id, kind, key, params, language in part:
            email, phone = contacts.get(national_id, (None, None))
            if national_id in out:
                continue
            for channel in channels:
                if (email if channel == "email" else phone) and (key, channel) not in present:
                    present.add((key, channel))
                    rows.append(dict(national_id=national_id, key=key, kind=kind, channel=channel,
                                     language=language or version.notices.language, params=json.dumps(params, sort_keys=True),
                                     state=ReminderState.created, attempts=0, created_at=now, next_attempt_at=now))
                    queued[kind] += 1
        if rows:
            uow.execute(insert(reminders), rows)
    return queued


def plan(uow: UnitOfWork, on: dt.date) -> dict[str, int]:
    """Queue every summons reminder due on day `on` by the policy in force, and the self-declaration's
    deadline reminder of everyone who has not answered (idempotent: a reminder already queued is not
    queued again). Counts by kind; one audit entry."""
    uow.ctx.require(Role.administrator, Role.system, doing="queueing reminders")
    version = uow.ctx.policy().in_force(on)
    rules = version.notices.reminders
    queued: Counter = Counter()
    if not rules.on:
        return {}
    from callup.notices.service import _places

    places: dict[int, dict[str, str]] = {}
    items: list[tuple[str, str, str, dict[str, Any], str | None]] = []
    dispatched = func.coalesce(summonses.c.printed_at, summonses.c.published_at)
    rows = uow.execute(select(summonses.c.id, summonses.c.campaign_id, summonses.c.national_id, summonses.c.language,
                              summonses.c.office, summonses.c.date, summonses.c.start, summonses.c.end,
                              summonses.c.published_at, summonses.c.printed_at)
                       .where(summonses.c.status.in_([s.value for s in LIVE]), summonses.c.date >= on,
                              summonses.c.appearance.is_(None), dispatched.is_not(None))
                       .order_by(summonses.c.id)).mappings().all()
    for r in rows:
        if r["campaign_id"] not in places:
            places[r["campaign_id"]] = _places(uow, r["campaign_id"])
        base = {"date": r["date"].isoformat(), "start": r["start"].strftime("%H:%M"), "end": r["end"].strftime("%H:%M"),
                "place": places[r["campaign_id"]].get(r["office"], r["office"])}
        due: list[tuple[str, str, dict[str, Any]]] = []
        if "published" in rules.on and r["published_at"] is not None and on - dt.timedelta(days=2) <= _day(r["published_at"]) <= on:
            due.append(("published", f"summons:{r['id']}:published", base))
        if "deadline" in rules.on:  # the deadlines the letter prints and the portal shows (notices.rights)
            issued = issued_on(r["printed_at"], r["published_at"], on)
            under = uow.ctx.policy().in_force(issued)
            due_by = deadlines(under, issued=issued, appointment=r["date"])
            closing: dict[dt.date, list[str]] = {}
            for right in rights(under):
                closing.setdefault(due_by.of(right), []).append(right.code)
            for day, closes in sorted(closing.items()):
                if day - dt.timedelta(days=rules.days_before_deadline) <= on <= day:
                    due.append(("deadline", f"summons:{r['id']}:deadline:{day.isoformat()}",
                                {**base, "deadline": day.isoformat(), "closes": closes}))
        if "appointment" in rules.on and r["date"] - dt.timedelta(days=rules.days_before_appointment) <= on < r["date"]:
            due.append(("appointment", f"summons:{r['id']}:appointment:{r['date'].isoformat()}", base))
        items.extend((r["national_id"], kind, key, params, r["language"]) for kind, key, params in due)
    if "deadline" in rules.on:  # the self-declaration's deadline, for those who have not answered (same channels)
        from callup.questionnaire.service import due_for_reminder

        texts = {lang: list(t) for lang, t in QUESTIONNAIRE_TEXTS.items()}
        for national_id, reference, deadline in due_for_reminder(uow, on, days_before=rules.days_before_deadline):
            items.append((national_id, "questionnaire", f"questionnaire:{reference}:deadline",
                          {"deadline": deadline.isoformat(), "texts": texts}, None))
    queued.update(_queue(uow, items, version=version))
    counts = {kind: n for kind, n in sorted(queued.items()) if n}
    uow.record(RemindersQueued(target="reminders", on=on.isoformat(), queued=counts))
    return counts


def _day(instant: dt.datetime) -> dt.date:
    return (instant if instant.tzinfo else instant.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).date()


# --- sending -----------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SendReport:
    """What one sending run did: reminders by the state each attempt left them in."""

    attempted: int
    outcomes: dict[str, int]


def _claim(uow: UnitOfWork, limit: int, max_attempts: int, channels: Iterable[str]) -> list[dict[str, Any]]:
    """Take up to `limit` due reminders for this sender: each moves to `sending` (attempt counted) in a
    guarded UPDATE, so of two senders exactly one gets it. Reminders left `sending` by a sender that
    died before the provider answered go back to `temporary-failure` first."""
    now = uow.now()
    uow.execute(update(reminders).where(reminders.c.state == ReminderState.sending, reminders.c.provider_ref.is_(None),
                                        reminders.c.claimed_at < now - STALE_CLAIM)
                .values(state=REMINDER.step(ReminderState.sending, "defer", subject="reminder")))
    due = (select(reminders).where(
        or_(reminders.c.state == ReminderState.created,
            and_(reminders.c.state == ReminderState.temporary_failure, reminders.c.attempts < max_attempts)),
        reminders.c.next_attempt_at <= now, reminders.c.channel.in_(list(channels))).order_by(reminders.c.next_attempt_at, reminders.c.id).limit(limit)
        .with_for_update(skip_locked=True))
    claimed = []
    for row in uow.execute(due).mappings().all():
        state = _value(row["state"])
        new = REMINDER.step(state, "send", subject=f"reminder {row['id']}")
        done = uow.execute(update(reminders).where(reminders.c.id == row["id"], reminders.c.state == state)
                           .values(state=new, attempts=row["attempts"] + 1, claimed_at=now)).rowcount
        if done == 1:
            claimed.append({**row, "state": new, "attempts": row["attempts"] + 1})
    return claimed


def _finish(uow: UnitOfWork, row: Mapping[str, Any], outcome: Outcome, *, retry_after: dt.timedelta) -> str:
    now = uow.now()
    step = {DELIVERED: "deliver", SENDING: "accept", PERMANENT: "fail", TEMPORARY: "defer"}[outcome.state]
    new = REMINDER.step(row["state"], step, subject=f"reminder {row['id']}")
    values: dict[str, Any] = {"state": new}
    if outcome.provider_ref:
        values["provider_ref"] = outcome.provider_ref
    if new in (DELIVERED, PERMANENT):
        values["finished_at"] = now
    if new == TEMPORARY:
        values["next_attempt_at"] = now + retry_after * (2 ** max(0, row["attempts"] - 1))
    uow.execute(update(reminders).where(reminders.c.id == row["id"]).values(values))
    uow.execute(insert(attempts_t).values(reminder_id=row["id"], attempt=row["attempts"], at=now, outcome=new,
                                          detail=outcome.detail))
    uow.record(ReminderAttempted(target=person(row["national_id"]), kind=row["kind"], channel=row["channel"], outcome=new,
                                 detail=outcome.detail))
    return new


def _overtaken(uow: UnitOfWork, row: Mapping[str, Any]) -> str | None:
    """Why a summons reminder queued earlier no longer says the truth (the summons was cancelled, the
    person attended, the appointment moved); None when it still does, or it is not about a summons."""
    parts = row["key"].split(":")
    if parts[0] == "questionnaire" and len(parts) >= 2:
        from callup.questionnaire.service import answered

        return "the self-declaration was answered" if answered(uow, parts[1]) else None
    if parts[0] != "summons" or len(parts) < 3 or not parts[1].isdigit():
        return None
    found = uow.execute(select(summonses.c.status, summonses.c.date, summonses.c.appearance)
                        .where(summonses.c.id == int(parts[1]))).first()
    if found is None or _value(found.status) not in {s.value for s in LIVE}:
        return "the summons is no longer in force"
    if found.appearance is not None:
        return "the person has been to the appointment"
    said = json.loads(row["params"]).get("date")
    if said and said != found.date.isoformat():
        return "the appointment moved"
    return None


#: How long after the provider took a message its final word is asked for (and again at each sending run).
ASK_AFTER = dt.timedelta(minutes=5)


def _follow_up_sending(ctx: Context, channels: Channels, configured: list[str]) -> Counter:
    """Ask the provider about the messages it took as `sending` a while ago; record its final word when it
    has one (a `sending` reminder whose word does not come stays so, and is not sent again)."""
    outcomes: Counter = Counter()
    with UnitOfWork(ctx, write=False) as uow:
        rows = uow.execute(select(reminders).where(
            reminders.c.state == ReminderState.sending, reminders.c.provider_ref.is_not(None),
            reminders.c.channel.in_(configured), reminders.c.claimed_at <= uow.now() - ASK_AFTER)
            .order_by(reminders.c.id).limit(500)).mappings().all()
    for row in rows:
        channel = channels.get(row["channel"])
        assert channel is not None
        try:
            outcome = channel.status(row["provider_ref"])
        except Exception:  # noqa: BLE001 - asked again at the next run
            continue
        if outcome.state == SENDING:
            continue
        with UnitOfWork(ctx) as uow:
            current = uow.execute(select(reminders.c.state).where(reminders.c.id == row["id"])).scalar_one()
            if _value(current) == ReminderState.sending.value:
                outcomes[_finish(uow, {**row, "state": _value(current)}, outcome, retry_after=RETRY_AFTER)] += 1
    return outcomes


def send_due(ctx: Context, channels: Channels, *, limit: int | None = None, rate: float = 10.0, batch: int = 50,
             sleep: Callable[[float], None] = time.sleep, monotonic: Callable[[], float] = time.monotonic) -> SendReport:
    """Send the reminders due now through `channels`, at most `rate` a second, at most `limit` in all.

    Each batch is claimed in one short transaction, each message sent outside any transaction, and
    its outcome written in another, so a slow provider holds no lock. A reminder to someone who has
    since opted out, or whose address or number is gone, is withdrawn (permanent failure) unsent; a
    channel that is not configured leaves its reminders waiting."""
    ctx.require(Role.administrator, Role.system, doing="sending reminders")
    from callup.register.queries import contact_of

    gap = 1.0 / rate if rate > 0 else 0.0
    outcomes: Counter = Counter()
    attempted = 0
    last = None
    max_attempts = ctx.policy().in_force(ctx.today()).notices.reminders.attempts
    default_language = ctx.policy().in_force(ctx.today()).notices.language
    configured = [c for c in CHANNELS if channels.get(c) is not None]
    if configured:
        outcomes.update(_follow_up_sending(ctx, channels, configured))
    while configured and (limit is None or attempted < limit):
        with UnitOfWork(ctx) as uow:
            size = batch if limit is None else min(batch, limit - attempted)
            claimed = _claim(uow, size, max_attempts, configured)
            work = []
            for row in claimed:
                email, phone = contact_of(uow, row["national_id"])
                to = email if row["channel"] == "email" else phone
                stale = _overtaken(uow, row)
                if to is None or stale or opted_out(uow, row["national_id"]):
                    why = stale or ("opted out of reminders" if to is not None else "no address or number on the register")
                    outcomes[_finish(uow, row, Outcome(PERMANENT, f"not sent: {why}"), retry_after=RETRY_AFTER)] += 1
                    continue
                work.append((row, to))
        if not claimed:
            break
        for row, to in work:
            if last is not None and gap:
                wait = last + gap - monotonic()
                if wait > 0:
                    sleep(wait)
            last = monotonic()
            channel = channels.get(row["channel"])
            assert channel is not None
            try:
                subject, body = render(row["kind"], row["language"], json.loads(row["params"]), channel=row["channel"],
                                       default_language=default_language)
                outcome = channel.send(Message(to=to, subject=subject, body=body, reference=f"callup-reminder-{row['id']}"))
            except Exception as exc:  # noqa: BLE001 - a channel's own bug is one failed attempt, not a stopped run
                outcome = Outcome(TEMPORARY, f"the {row['channel']} channel failed ({type(exc).__name__})")
            with UnitOfWork(ctx) as uow:
                outcomes[_finish(uow, row, outcome, retry_after=RETRY_AFTER)] += 1
        attempted += len(claimed)
    return SendReport(attempted, dict(sorted(outcomes.items())))


# --- what officers see -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ReminderSummary:
    by_state: dict[str, dict[str, int]]  # channel -> state -> count
    by_kind: dict[str, int]
    opted_out: int


def counts_by_state(conn: Connection) -> dict[tuple[str, str], int]:
    """How many reminders there are by (channel, state): no personal data (the summary and the operators' metrics)."""
    return {(channel, _value(state)): n for channel, state, n in conn.execute(
        select(reminders.c.channel, reminders.c.state, func.count()).group_by(reminders.c.channel, reminders.c.state)).all()}


def summary(uow: UnitOfWork) -> ReminderSummary:
    """Counts of reminders by channel and state, by kind, and of people who opted out (no personal data)."""
    uow.ctx.require(Role.administrator, Role.auditor, Role.system, doing="reading reminder counts")
    by_state: dict[str, dict[str, int]] = {}
    for (channel, state), n in counts_by_state(uow.conn).items():
        by_state.setdefault(channel, {})[state] = n
    by_kind = dict(uow.execute(select(reminders.c.kind, func.count()).group_by(reminders.c.kind)).all())
    out = uow.execute(select(func.count()).select_from(opt_outs)).scalar_one()
    return ReminderSummary(dict(sorted(by_state.items())), dict(sorted(by_kind.items())), out)
