"""The self-declaration questionnaire: sent to a birth cohort before it is called, answered on the portal or on
paper, its answers routing people to lists the policy names.

- `send_questionnaire` sends the questionnaire of the policy in force to its cohort (everyone born in the window
  the policy's `age` gives whom the conscription rules could call), each with a letter reference and sign-in
  code; sending the same round again adds only people registered since.
- A citizen signs in with the letter's reference and code (`check_sign_in`), answers one question at a time
  (`save_answer`: each answer is saved as it is given, so they can stop and come back), checks their answers
  and sends them (`submit_answers`), which takes the policy's effects (`routes`). An officer keys a paper form
  (`key_answers`) in one step.
- Answers are encrypted at rest; only the roles the policy names read them (`read_answers`, `routed`), and every
  read is audited. An answer never refuses anything: a route is a list for people to look at, and a campaign
  may leave out of its pool only the people on a route the policy names (`left_out_of_pool`), which spares a
  call and nothing else. Not answering leaves nobody out.
- `status` gives the response rates by region; `remind` lists who has not answered and records the reminder.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import re
from typing import Any, ClassVar, cast

from sqlalchemy import Table, case, exists, func, insert, select, update

from callup.audit import AuditEvent, person
from callup.context import Context, Role
from callup.errors import Forbidden, InputError, NotFound, StateError
from callup.policy.model import PolicyVersion, Question, Questionnaire
from callup.questionnaire.tables import QuestionnaireAnswers, QuestionnaireRecipient, QuestionnaireRound, QuestionnaireRoute
from callup.references import check_code, hash_code, new_code, new_reference, parse_reference
from callup.register.eligibility import cohort_query, years_before
from callup.uow import UnitOfWork

rounds_t = cast(Table, QuestionnaireRound.__table__)
recipients_t = cast(Table, QuestionnaireRecipient.__table__)
answers_t = cast(Table, QuestionnaireAnswers.__table__)
routes_t = cast(Table, QuestionnaireRoute.__table__)

PORTAL, PAPER = "portal", "paper"
TEXT_LIMIT = 500
BATCH = 5000

#: What a citizen is told when an answer cannot be taken: fixed sentences (the portal translates them).
CHOOSE_YES_NO = "Choose yes or no."
CHOOSE_ONE = "Choose one of the answers."
REAL_DATE = "Enter a real date, for example 30 6 2029."
TOO_LONG = "The answer can be at most 500 characters."
NEEDED = "Answer this question to go on."
UNANSWERED = "Some questions are not answered yet."
ALREADY_SENT = "You have already sent your answers."


class AnswerInvalid(InputError):
    """An answer the question cannot take; `field` is the question's id, the message one of the fixed sentences."""


# --- audit events -----------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class QuestionnaireSent(AuditEvent):
    """questionnaire.send: a questionnaire was sent to a birth cohort (counts and the cohort's birth dates)."""

    action: ClassVar[str] = "questionnaire.send"
    recipients: int
    born_from: str
    born_to: str
    deadline: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class QuestionnaireAnswered(AuditEvent):
    """questionnaire.answer: a person's answers were sent (on the portal, or keyed from the paper form by an officer),
    with the routes they took (never the answers)."""

    action: ClassVar[str] = "questionnaire.answer"
    round: str
    channel: str
    routes: list[str]


@dataclasses.dataclass(frozen=True, kw_only=True)
class QuestionnaireRead(AuditEvent):
    """questionnaire.read: a reader the policy names displayed a person's answers, or listed them on a route."""

    action: ClassVar[str] = "questionnaire.read"
    round: str
    view: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class QuestionnaireReminded(AuditEvent):
    """questionnaire.remind: the people of a round who had not answered were listed for a reminder (a count)."""

    action: ClassVar[str] = "questionnaire.remind"
    reminded: int
    channel: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class RouteClosed(AuditEvent):
    """questionnaire.route: a person's route was closed (the medical board has seen them, the deferral was checked)."""

    action: ClassVar[str] = "questionnaire.route"
    round: str
    route: str


# --- results ----------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SendResult:
    round: str
    policy_version: str
    sent_on: dt.date
    deadline: dt.date
    born_from: dt.date
    born_to: dt.date
    sent: int  # by this run
    recipients: int  # in the round after it


@dataclasses.dataclass(frozen=True)
class RegionRate:
    region: str
    sent: int
    answered: int
    on_paper: int
    started: int  # answers saved, not sent yet
    reminded: int

    @property
    def rate(self) -> float:
        return self.answered / self.sent if self.sent else 0.0


@dataclasses.dataclass(frozen=True)
class StatusReport:
    round: str
    policy_version: str
    sent_on: dt.date
    deadline: dt.date
    regions: list[RegionRate]
    routes: dict[str, int]  # open routes by name

    @property
    def sent(self) -> int:
        return sum(r.sent for r in self.regions)

    @property
    def answered(self) -> int:
        return sum(r.answered for r in self.regions)

    @property
    def rate(self) -> float:
        return self.answered / self.sent if self.sent else 0.0


@dataclasses.dataclass(frozen=True)
class Reminder:
    national_id: str
    region: str
    reference: str


@dataclasses.dataclass(frozen=True)
class RemindResult:
    round: str
    deadline: dt.date
    people: list[Reminder]


@dataclasses.dataclass(frozen=True)
class MyQuestionnaire:
    """What the signed-in citizen sees: the questions of their round, their answers so far, and whether sent."""

    round: str
    reference: str
    deadline: dt.date
    questions: list[Question]
    answers: dict[str, str]
    submitted_at: dt.datetime | None
    channel: str | None

    def question(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        raise NotFound("no such question in your questionnaire", field="question")

    def after(self, qid: str) -> str | None:
        """The id of the question after `qid` (None after the last)."""
        ids = [q.id for q in self.questions]
        at = ids.index(qid)
        return ids[at + 1] if at + 1 < len(ids) else None

    def before(self, qid: str) -> str | None:
        ids = [q.id for q in self.questions]
        at = ids.index(qid)
        return ids[at - 1] if at > 0 else None

    def first_unanswered(self) -> str | None:
        """Where to resume: the first question without an answer (None when every one has one or was passed)."""
        for q in self.questions:
            if q.id not in self.answers:
                return q.id
        return None

    def missing(self) -> list[str]:
        return [q.id for q in self.questions if q.mandatory and not self.answers.get(q.id)]


@dataclasses.dataclass(frozen=True)
class Receipt:
    round: str
    reference: str
    submitted_at: dt.datetime
    channel: str
    routes: list[str]


@dataclasses.dataclass(frozen=True)
class AnswersView:
    round: str
    reference: str
    region: str
    channel: str | None
    submitted_at: dt.datetime | None
    keyed_by: str | None
    answers: list[tuple[str, str, str]]  # question id, question (English), answer as written


@dataclasses.dataclass(frozen=True)
class RoutedPerson:
    national_id: str
    region: str
    route: str
    ground: str | None
    detail: str | None
    opened_at: dt.datetime
    closed_at: dt.datetime | None


# --- the policy ---------------------------------------------------------------------------------------------------


def questionnaire_of(ctx: Context, version_name: str) -> Questionnaire:
    """The questionnaire of policy version `version_name` (a round keeps the version it was sent under)."""
    for version in ctx.policy().versions:
        if version.version == version_name and version.questionnaire is not None:
            return version.questionnaire
    raise StateError(f"policy version {version_name} has no questionnaire (the policy file was changed after it was sent)")


def cohort_window(q: Questionnaire, on: dt.date) -> tuple[dt.date, dt.date]:
    """The birth dates (first, last) of the cohort a questionnaire sent on `on` goes to."""
    if q.in_year_of_birthday:
        year = on.year - q.age
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    return years_before(on, q.age + 1) + dt.timedelta(days=1), years_before(on, q.age)


def _version(ctx: Context, on: dt.date) -> tuple[PolicyVersion, Questionnaire]:
    policy = ctx.policy()
    version = policy.in_force(on)
    if version.questionnaire is None:
        raise StateError(f"the policy {policy.code} {version.version} in force on {on.isoformat()} sends no questionnaire "
                         "(no [versions.questionnaire] table)")
    return version, version.questionnaire


def code_key(ctx: Context) -> bytes:
    """The key of sign-in code hashes: derived from the current encryption key, never stored."""
    ring = ctx.keyring()
    return hmac.new(ring.keys[ring.current], b"callup questionnaire sign-in codes v1", hashlib.sha256).digest()


# --- sending ------------------------------------------------------------------------------------------------------


def _round(uow: UnitOfWork, name: str) -> Any:
    row = uow.execute(select(rounds_t).where(rounds_t.c.name == name.strip())).mappings().first()
    if row is None:
        known = uow.execute(select(rounds_t.c.name).order_by(rounds_t.c.id.desc()).limit(5)).scalars().all()
        raise NotFound(f"no questionnaire round named {name.strip()[:64]!r} (rounds: {', '.join(known) or 'none sent yet'})",
                       field="round")
    return row


def default_round_name(ctx: Context, on: dt.date) -> str:
    """The name of the round sent on `on` when none is given: the cohort's birth year (or its first birth date)."""
    _, q = _version(ctx, on)
    born_from, born_to = cohort_window(q, on)
    return f"born-{born_from.year}" if q.in_year_of_birthday else f"born-{born_from.isoformat()}"


def send_questionnaire(ctx: Context, *, on: dt.date | None = None, name: str | None = None) -> SendResult:
    """Send the questionnaire of the policy in force on `on` (default today) to its cohort; see the module docstring.

    A round is named by the cohort's birth year unless `name` is given; sending it again sends to the people of
    the cohort not yet in it (registered since) and nobody twice. Raises `StateError` when the policy sends none.
    """
    ctx.require(Role.administrator, Role.system, doing="sending a questionnaire")
    on = on or ctx.today()
    version, q = _version(ctx, on)
    name = (name or default_round_name(ctx, on)).strip()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", name):
        raise InputError("a round name is 1 to 64 letters, digits, dots, dashes or underscores", field="name")
    with UnitOfWork(ctx) as uow:
        row = uow.execute(select(rounds_t).where(rounds_t.c.name == name)).mappings().first()
        if row is None:
            born_from, born_to = cohort_window(q, on)
            round_id = uow.execute(insert(rounds_t).values(
                name=name, policy_version=version.version, sent_on=on, deadline=on + dt.timedelta(days=q.deadline_days),
                code_expires=on + dt.timedelta(days=q.code_valid_days), born_from=born_from, born_to=born_to,
                sent_at=uow.now(), sent_by=uow.actor.label())).inserted_primary_key[0]
            row = uow.execute(select(rounds_t).where(rounds_t.c.id == round_id)).mappings().one()
        already = set(uow.execute(select(recipients_t.c.national_id).where(recipients_t.c.round_id == row["id"])).scalars())
        cohort = uow.execute(cohort_query(version, row["born_from"], row["born_to"])).all()
        key = code_key(ctx)
        rows = []
        for national_id, region in cohort:
            if national_id in already:
                continue
            reference, code = new_reference(ctx.random), new_code(ctx.random)
            rows.append({"round_id": row["id"], "national_id": national_id, "region": region, "reference": reference,
                         "code": code, "code_hash": hash_code(code, reference=reference, key=key), "reminders": 0})
        for i in range(0, len(rows), BATCH):
            uow.execute(insert(recipients_t), rows[i:i + BATCH])
        if rows or not already:
            uow.record(QuestionnaireSent(target=f"questionnaire:{name}", recipients=len(rows),
                                         born_from=row["born_from"].isoformat(), born_to=row["born_to"].isoformat(),
                                         deadline=row["deadline"].isoformat()))
    return SendResult(name, row["policy_version"], row["sent_on"], row["deadline"], row["born_from"], row["born_to"],
                      len(rows), len(already) + len(rows))


def list_rounds(uow: UnitOfWork) -> list[str]:
    """Names of the rounds sent, newest first."""
    return list(uow.execute(select(rounds_t.c.name).order_by(rounds_t.c.sent_on.desc(), rounds_t.c.id.desc())).scalars())


# --- status and reminders -------------------------------------------------------------------------------------------


def status(uow: UnitOfWork, name: str) -> StatusReport:
    """Sent, answered, started and reminded per region of the round (counts only; within the actor's regions)."""
    uow.ctx.require(Role.administrator, Role.officer, Role.medical, Role.auditor, Role.system,
                    doing="reading a questionnaire's status")
    r = _round(uow, name)
    answered = answers_t.c.submitted_at.is_not(None)
    query = (select(recipients_t.c.region, func.count().label("sent"),
                    func.count(answers_t.c.submitted_at).label("answered"),
                    func.sum(case(((answers_t.c.channel == PAPER) & answered, 1), else_=0)).label("on_paper"),
                    func.sum(case((answers_t.c.recipient_id.is_not(None) & ~answered, 1), else_=0)).label("started"),
                    func.sum(case((recipients_t.c.reminders > 0, 1), else_=0)).label("reminded"))
             .select_from(recipients_t.outerjoin(answers_t, answers_t.c.recipient_id == recipients_t.c.id))
             .where(recipients_t.c.round_id == r["id"]).group_by(recipients_t.c.region).order_by(recipients_t.c.region))
    scope = uow.ctx.region_filter(recipients_t.c.region)
    if scope is not None:
        query = query.where(scope)
    regions = [RegionRate(x.region, x.sent, x.answered, int(x.on_paper or 0), int(x.started or 0), int(x.reminded or 0))
               for x in uow.execute(query)]
    routes_query = (select(routes_t.c.route, func.count()).join(recipients_t, recipients_t.c.id == routes_t.c.recipient_id)
                    .where(recipients_t.c.round_id == r["id"], routes_t.c.closed_at.is_(None)).group_by(routes_t.c.route))
    if scope is not None:
        routes_query = routes_query.where(uow.ctx.region_filter(routes_t.c.region))
    routes = {route: n for route, n in uow.execute(routes_query)}
    return StatusReport(r["name"], r["policy_version"], r["sent_on"], r["deadline"], regions, routes)


def rates_by_region(uow: UnitOfWork, *, before: dt.date) -> StatusReport | None:
    """The status of the newest round sent on or before `before` (a campaign's report), None when none was sent."""
    name = uow.execute(select(rounds_t.c.name).where(rounds_t.c.sent_on <= before)
                       .order_by(rounds_t.c.sent_on.desc(), rounds_t.c.id.desc()).limit(1)).scalar()
    return status(uow, name) if name is not None else None


def _answered() -> Any:
    """Whether the recipient row at hand has sent answers: an anti-join's condition (`~_answered()`), where NOT IN a
    subquery of every answer would be read again for each recipient once the answers outgrow memory."""
    return exists().where(answers_t.c.recipient_id == recipients_t.c.id, answers_t.c.submitted_at.is_not(None))


def remind(uow: UnitOfWork, name: str, *, channel: str = "post") -> RemindResult:
    """Everyone of the round (in the actor's regions) who has not sent answers, in region and reference order;
    each is recorded as reminded once more. The caller hands the list to the channel (`channel` names it)."""
    uow.ctx.require(Role.administrator, Role.system, doing="reminding people to answer a questionnaire")
    r = _round(uow, name)
    query = (select(recipients_t.c.id, recipients_t.c.national_id, recipients_t.c.region, recipients_t.c.reference)
             .where(recipients_t.c.round_id == r["id"], ~_answered())
             .order_by(recipients_t.c.region, recipients_t.c.reference))
    scope = uow.ctx.region_filter(recipients_t.c.region)
    if scope is not None:
        query = query.where(scope)
    rows = uow.execute(query).all()
    ids = [x.id for x in rows]
    for i in range(0, len(ids), BATCH):
        uow.execute(update(recipients_t).where(recipients_t.c.id.in_(ids[i:i + BATCH]))
                    .values(reminders=recipients_t.c.reminders + 1, reminded_at=uow.now()))
    uow.record(QuestionnaireReminded(target=f"questionnaire:{r['name']}", reminded=len(rows), channel=channel))
    return RemindResult(r["name"], r["deadline"], [Reminder(x.national_id, x.region, x.reference) for x in rows])


# --- signing in and answering -------------------------------------------------------------------------------------


def check_sign_in(uow: UnitOfWork, reference: str, code: str) -> str | None:
    """The national id whose questionnaire letter `reference` has the sign-in `code`, until the code's expiry;
    None otherwise (a malformed reference or code too)."""
    try:
        canonical = parse_reference(reference)
    except InputError:
        return None
    row = uow.execute(select(recipients_t.c.national_id, recipients_t.c.code_hash, rounds_t.c.code_expires)
                      .join(rounds_t, rounds_t.c.id == recipients_t.c.round_id)
                      .where(recipients_t.c.reference == canonical)).first()
    if row is None or row.code_expires < uow.ctx.today():
        return None
    return row.national_id if check_code(code, bytes(row.code_hash), reference=canonical, key=code_key(uow.ctx)) else None


def _mine(uow: UnitOfWork, *, lock: bool = False) -> Any:
    national_id = uow.actor.person_id
    query = (select(recipients_t.c.id, recipients_t.c.reference, rounds_t.c.name, rounds_t.c.deadline,
                    rounds_t.c.policy_version)
             .join(rounds_t, rounds_t.c.id == recipients_t.c.round_id)
             .where(recipients_t.c.national_id == national_id)
             .order_by(rounds_t.c.sent_on.desc(), rounds_t.c.id.desc()).limit(1))
    return uow.execute(query).first()


def _answers_row(uow: UnitOfWork, recipient_id: int, *, lock: bool = False) -> Any:
    query = select(answers_t).where(answers_t.c.recipient_id == recipient_id)
    if lock and uow.conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return uow.execute(query).mappings().first()


def my_questionnaire(uow: UnitOfWork) -> MyQuestionnaire | None:
    """The signed-in citizen's newest questionnaire with their answers so far; None when none was sent to them."""
    uow.ctx.require(Role.citizen, doing="answering a questionnaire")
    mine = _mine(uow)
    if mine is None:
        return None
    saved = _answers_row(uow, mine.id)
    q = questionnaire_of(uow.ctx, mine.policy_version)
    return MyQuestionnaire(mine.name, mine.reference, mine.deadline, list(q.questions),
                           json.loads(saved["answers"]) if saved else {}, saved["submitted_at"] if saved else None,
                           saved["channel"] if saved else None)


_DATE_PARTS = re.compile(r"^\s*(\d{1,2})[\s./-]+(\d{1,2})[\s./-]+(\d{4})\s*$")


def check_answer(question: Question, value: str | None) -> str:
    """The answer `value` in its stored form ('' for no answer); `AnswerInvalid` (field: the question) when the
    question cannot take it. A date is YYYY-MM-DD or day, month and year ("30 6 2029")."""
    value = (value or "").strip()
    if not value:
        return ""
    if question.type == "yes_no":
        if value not in ("yes", "no"):
            raise AnswerInvalid(CHOOSE_YES_NO, field=question.id)
    elif question.type == "choice":
        if value not in {c.code for c in question.choices}:
            raise AnswerInvalid(CHOOSE_ONE, field=question.id)
    elif question.type == "date":
        parts = _DATE_PARTS.match(value)
        try:
            day = (dt.date(int(parts[3]), int(parts[2]), int(parts[1])) if parts else dt.date.fromisoformat(value))
        except ValueError:
            raise AnswerInvalid(REAL_DATE, field=question.id) from None
        if not 1900 <= day.year <= 2200:
            raise AnswerInvalid(REAL_DATE, field=question.id)
        value = day.isoformat()
    else:
        if len(value) > TEXT_LIMIT:
            raise AnswerInvalid(TOO_LONG, field=question.id)
        if any(not c.isprintable() for c in value):
            value = " ".join(value.split())
    return value


def save_answer(uow: UnitOfWork, qid: str, value: str | None) -> MyQuestionnaire:
    """Save the signed-in citizen's answer to question `qid` (each as it is given, so they can resume later).

    An empty answer to a mandatory question is refused (`AnswerInvalid` with `NEEDED`); to an optional one it is
    kept as passed over. Refused once the answers were sent (`StateError`)."""
    uow.ctx.require(Role.citizen, doing="answering a questionnaire")
    mine = _mine(uow)
    if mine is None:
        raise NotFound("no questionnaire was sent to you", field="question")
    q = questionnaire_of(uow.ctx, mine.policy_version)
    try:
        question = q.question(qid)
    except KeyError:
        raise NotFound("no such question in your questionnaire", field="question") from None
    answer = check_answer(question, value)
    if question.mandatory and not answer:
        raise AnswerInvalid(NEEDED, field=question.id)
    saved = _answers_row(uow, mine.id, lock=True)
    if saved is not None and saved["submitted_at"] is not None:
        raise StateError(ALREADY_SENT)
    answers = json.loads(saved["answers"]) if saved else {}
    answers[question.id] = answer
    _write(uow, mine.id, answers, saved is not None, channel=PORTAL)
    written = my_questionnaire(uow)
    assert written is not None, "there is one: it was just written"
    return written


def _write(uow: UnitOfWork, recipient_id: int, answers: dict[str, str], exists: bool, *, channel: str,
           submitted: bool = False, keyed_by: str | None = None) -> None:
    values: dict[str, Any] = {"answers": json.dumps(answers, ensure_ascii=False, sort_keys=True), "channel": channel,
                              "updated_at": uow.now()}
    if submitted:
        values.update(submitted_at=uow.now(), keyed_by=keyed_by)
    if exists:
        uow.execute(update(answers_t).where(answers_t.c.recipient_id == recipient_id).values(**values))
    else:
        uow.execute(insert(answers_t).values(recipient_id=recipient_id, **values))


def effects_of(q: Questionnaire, answers: dict[str, str]) -> list[tuple[str, str | None, str, str | None]]:
    """The routes `answers` take under `q`: (route, ground, question, detail), detail being the answer a
    deferral check is pre-filled with (nothing else is copied)."""
    taken: list[tuple[str, str | None, str, str | None]] = []
    for question in q.questions:
        answer = answers.get(question.id) or ""
        for effect in question.effects:
            if answer and (effect.when == "answered" or effect.when == answer):
                taken.append((effect.route, effect.ground, question.id,
                              answer if effect.route == "deferral_check" else None))
    return taken


def _submit(uow: UnitOfWork, recipient: Any, q: Questionnaire, answers: dict[str, str], exists: bool, *, channel: str,
            keyed_by: str | None) -> Receipt:
    missing = [question.id for question in q.questions if question.mandatory and not answers.get(question.id)]
    if missing:
        raise AnswerInvalid(UNANSWERED, field=missing[0])
    _write(uow, recipient.id, answers, exists, channel=channel, submitted=True, keyed_by=keyed_by)
    taken = effects_of(q, answers)
    now = uow.now()
    if taken:
        uow.execute(insert(routes_t), [{"recipient_id": recipient.id, "national_id": recipient.national_id,
                                        "region": recipient.region, "route": route, "ground": ground, "question": qid,
                                        "detail": detail, "opened_at": now} for route, ground, qid, detail in taken])
    routes = sorted({t[0] for t in taken})
    uow.record(QuestionnaireAnswered(target=person(recipient.national_id), round=recipient.name, channel=channel,
                                     routes=routes))
    return Receipt(recipient.name, recipient.reference, now, channel, routes)


def submit_answers(uow: UnitOfWork) -> Receipt:
    """Send the signed-in citizen's saved answers: every mandatory question must have one (`AnswerInvalid` naming
    the first without); takes the policy's effects. `StateError` when they were sent already."""
    uow.ctx.require(Role.citizen, doing="answering a questionnaire")
    mine = _mine(uow)
    if mine is None:
        raise NotFound("no questionnaire was sent to you", field="question")
    saved = _answers_row(uow, mine.id, lock=True)
    if saved is not None and saved["submitted_at"] is not None:
        raise StateError(ALREADY_SENT)
    recipient = _recipient(uow, reference=mine.reference)
    return _submit(uow, recipient, questionnaire_of(uow.ctx, mine.policy_version),
                   json.loads(saved["answers"]) if saved else {}, saved is not None, channel=PORTAL, keyed_by=None)


def receipt(uow: UnitOfWork) -> Receipt | None:
    """The signed-in citizen's receipt of their sent answers (None when not sent)."""
    uow.ctx.require(Role.citizen, doing="answering a questionnaire")
    mine = _mine(uow)
    saved = _answers_row(uow, mine.id) if mine is not None else None
    if mine is None or saved is None or saved["submitted_at"] is None:
        return None
    taken = uow.execute(select(routes_t.c.route).where(routes_t.c.recipient_id == mine.id)).scalars().all()
    return Receipt(mine.name, mine.reference, saved["submitted_at"], saved["channel"], sorted(set(taken)))


# --- the paper form, keyed by an officer ------------------------------------------------------------------------------


def _recipient(uow: UnitOfWork, *, reference: str) -> Any:
    canonical = parse_reference(reference)
    row = uow.execute(select(recipients_t.c.id, recipients_t.c.national_id, recipients_t.c.region,
                             recipients_t.c.reference, rounds_t.c.name, rounds_t.c.policy_version, rounds_t.c.deadline)
                      .join(rounds_t, rounds_t.c.id == recipients_t.c.round_id)
                      .where(recipients_t.c.reference == canonical)).first()
    uow.ctx.check_visible(row and row.region, row and row.national_id,
                          error=NotFound("no questionnaire with that reference", field="reference"))
    return row


def form_questions(uow: UnitOfWork, reference: str) -> tuple[str, list[Question], bool]:
    """The round and questions of the paper form `reference` (for keying it), and whether answers were sent
    already. Officers and administrators within their regions."""
    uow.ctx.require(Role.officer, Role.administrator, doing="keying a paper questionnaire")
    recipient = _recipient(uow, reference=reference)
    saved = _answers_row(uow, recipient.id)
    return recipient.name, list(questionnaire_of(uow.ctx, recipient.policy_version).questions), bool(
        saved and saved["submitted_at"])


def key_answers(uow: UnitOfWork, reference: str, answers: dict[str, str]) -> Receipt:
    """Record the answers of a paper form `reference` as the officer keys them, and send them in one step.

    Every answer is checked as on the portal (`AnswerInvalid` naming the question); unknown questions are
    refused. `StateError` when answers were sent already (on the portal or on another form)."""
    uow.ctx.require(Role.officer, Role.administrator, doing="keying a paper questionnaire")
    recipient = _recipient(uow, reference=reference)
    q = questionnaire_of(uow.ctx, recipient.policy_version)
    known = {question.id for question in q.questions}
    stray = sorted(set(answers) - known)
    if stray:
        raise InputError(f"question {stray[0]!r} is not on this form (its questions: {', '.join(sorted(known))})",
                         field="answer")
    checked = {question.id: check_answer(question, answers.get(question.id)) for question in q.questions}
    saved = _answers_row(uow, recipient.id, lock=True)
    if saved is not None and saved["submitted_at"] is not None:
        raise StateError("the answers of this questionnaire were sent already")
    return _submit(uow, recipient, q, checked, saved is not None, channel=PAPER, keyed_by=uow.actor.label())


# --- reading (the policy's readers) -----------------------------------------------------------------------------------


def _require_reader(uow: UnitOfWork, version_name: str, doing: str) -> None:
    readers = questionnaire_of(uow.ctx, version_name).readers
    if uow.actor.role.value not in readers:
        raise Forbidden(f"{doing} needs a role the policy names as a reader of answers ({', '.join(readers)}); "
                        f"you act as {uow.actor.role.value}")


def _shown(question: Question, answer: str) -> str:
    if question.type == "yes_no" and answer:
        return answer
    if question.type == "choice":
        return next((c.text.en for c in question.choices if c.code == answer), answer)
    return answer


def read_answers(uow: UnitOfWork, national_id: str, *, reason: str | None = None) -> list[AnswersView]:
    """A person's questionnaires and answers, newest first: the roles the policy names as readers, within their
    regions; every read is audited (one entry per questionnaire shown)."""
    national_id = national_id.strip()
    rows = uow.execute(select(recipients_t.c.id, recipients_t.c.region, recipients_t.c.reference, rounds_t.c.name,
                              rounds_t.c.policy_version, answers_t.c.answers, answers_t.c.channel, answers_t.c.submitted_at,
                              answers_t.c.keyed_by)
                       .join(rounds_t, rounds_t.c.id == recipients_t.c.round_id)
                       .outerjoin(answers_t, answers_t.c.recipient_id == recipients_t.c.id)
                       .where(recipients_t.c.national_id == national_id)
                       .order_by(rounds_t.c.sent_on.desc(), rounds_t.c.id.desc())).all()
    if not rows:
        uow.ctx.require(Role.administrator, Role.officer, Role.medical, Role.auditor, doing="reading answers")
        raise NotFound("no questionnaire was sent to anyone with that national id", field="national_id")
    views = []
    for row in rows:
        _require_reader(uow, row.policy_version, "reading questionnaire answers")
        uow.ctx.check_visible(row.region, national_id, error=NotFound("no questionnaire was sent to anyone with that national id",
                                                                      field="national_id"))
        given = json.loads(row.answers) if row.answers else {}
        q = questionnaire_of(uow.ctx, row.policy_version)
        shown = [(question.id, question.text.en, _shown(question, given.get(question.id, ""))) for question in q.questions]
        uow.record(QuestionnaireRead(target=person(national_id), reason=reason, round=row.name, view="answers"))
        views.append(AnswersView(row.name, row.reference, row.region, row.channel, row.submitted_at if row.answers else None,
                                 row.keyed_by, shown))
    return views


def routed(uow: UnitOfWork, name: str, route: str, *, include_closed: bool = False,
           reason: str | None = None) -> list[RoutedPerson]:
    """The people of round `name` an answer routed to `route` (within the actor's regions): the policy's readers
    only, each listed person's read audited."""
    r = _round(uow, name)
    _require_reader(uow, r["policy_version"], "listing a questionnaire's routes")
    if route not in ("medical_preassessment", "deferral_check"):
        raise InputError(f"route {route!r} is not one of medical_preassessment, deferral_check", field="route")
    query = (select(routes_t).join(recipients_t, recipients_t.c.id == routes_t.c.recipient_id)
             .where(recipients_t.c.round_id == r["id"], routes_t.c.route == route)
             .order_by(routes_t.c.region, routes_t.c.national_id))
    if not include_closed:
        query = query.where(routes_t.c.closed_at.is_(None))
    scope = uow.ctx.region_filter(routes_t.c.region)
    if scope is not None:
        query = query.where(scope)
    found = [RoutedPerson(x["national_id"], x["region"], x["route"], x["ground"], x["detail"], x["opened_at"],
                          x["closed_at"]) for x in uow.execute(query).mappings()]
    for p in found:
        uow.record(QuestionnaireRead(target=person(p.national_id), reason=reason, round=r["name"], view=f"route {route}"))
    return found


def close_route(uow: UnitOfWork, national_id: str, route: str, *, reason: str) -> int:
    """Close a person's open routes of kind `route` (the medical board saw them: the medical role; a deferral
    check was made: an officer or administrator); a campaign no longer leaves them out. How many closed."""
    if route == "medical_preassessment":
        uow.ctx.require(Role.medical, doing="closing a medical pre-assessment")
    else:
        uow.ctx.require(Role.officer, Role.administrator, doing="closing a deferral check")
    if not reason.strip():
        raise InputError("give a reason", field="reason")
    national_id = national_id.strip()
    rows = uow.execute(select(routes_t.c.id, routes_t.c.region, rounds_t.c.name)
                       .join(recipients_t, recipients_t.c.id == routes_t.c.recipient_id)
                       .join(rounds_t, rounds_t.c.id == recipients_t.c.round_id)
                       .where(routes_t.c.national_id == national_id, routes_t.c.route == route,
                              routes_t.c.closed_at.is_(None))).all()
    visible = [x for x in rows if uow.ctx.may_see(x.region, national_id)]
    if not visible:
        raise NotFound(f"nobody with that national id has an open {route.replace('_', ' ')} route", field="national_id")
    uow.execute(update(routes_t).where(routes_t.c.id.in_([x.id for x in visible]))
                .values(closed_at=uow.now(), closed_by=uow.actor.label()))
    for name in sorted({x.name for x in visible}):
        uow.record(RouteClosed(target=person(national_id), reason=reason.strip(), round=name, route=route))
    return len(visible)


# --- what a campaign may use ------------------------------------------------------------------------------------------


def left_out_of_pool(version: PolicyVersion):  # noqa: ANN201 - a Core SELECT of national ids, or None
    """SELECT national_id of the people a campaign under `version` leaves out of its pool: those on an open route
    the policy's `leave_out_of_pool` names; None when it names none. Not answering leaves nobody out."""
    q = version.questionnaire
    if q is None or not q.leave_out_of_pool:
        return None
    return select(routes_t.c.national_id).where(routes_t.c.route.in_(q.leave_out_of_pool), routes_t.c.closed_at.is_(None))


# --- retention ------------------------------------------------------------------------------------------------------


def rounds_past_keeping(ctx: Context, on: dt.date, uow: UnitOfWork) -> list[int]:
    """Ids of the rounds whose answers are past `answers_kept_months` after their deadline on `on` (each round
    under the policy version it was sent with)."""
    from callup.policy.months import add_months

    past = []
    for round_id, version_name, deadline in uow.execute(select(rounds_t.c.id, rounds_t.c.policy_version, rounds_t.c.deadline)):
        try:
            months = questionnaire_of(ctx, version_name).answers_kept_months
        except StateError:  # the version is gone from the policy file: keep to the default
            months = Questionnaire.model_fields["answers_kept_months"].default
        if add_months(deadline, months) < on:
            past.append(round_id)
    return past


# --- paper forms ------------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class FormsPrinted(AuditEvent):
    """questionnaire.print: paper forms of a round were printed (a count; reminders say so)."""

    action: ClassVar[str] = "questionnaire.print"
    forms: int
    reminder: bool


@dataclasses.dataclass(frozen=True)
class Form:
    reference: str
    code: str
    name: str
    address: str
    postcode: str
    region: str


@dataclasses.dataclass(frozen=True)
class FormBatch:
    round: str
    deadline: dt.date
    jurisdiction: str
    questions: list[Question]
    forms: list[Form]


def forms_to_print(uow: UnitOfWork, name: str, *, region: str | None = None, references: list[str] | None = None,
                   reminder: bool = False) -> FormBatch:
    """The paper forms of round `name` (a region's, or those of `references`), with each person's name, address,
    reference and sign-in code; recorded as printed (one audit entry with the count). Administrators only."""
    from callup.register.queries import postal_addresses

    uow.ctx.require(Role.administrator, Role.system, doing="printing questionnaire forms")
    r = _round(uow, name)
    query = (select(recipients_t.c.id, recipients_t.c.national_id, recipients_t.c.region, recipients_t.c.reference,
                    recipients_t.c.code).where(recipients_t.c.round_id == r["id"])
             .order_by(recipients_t.c.region, recipients_t.c.reference))
    if region is not None:
        if region not in uow.ctx.policy().region_codes:
            raise InputError(f"unknown region {region[:16]!r}", field="region")
        query = query.where(recipients_t.c.region == region)
    rows = uow.execute(query).all()
    if references is not None:
        wanted = set(references)
        rows = [x for x in rows if x.reference in wanted]
    addresses = postal_addresses(uow, [x.national_id for x in rows])
    forms = [Form(x.reference, x.code, *addresses[x.national_id], x.region) for x in rows if x.national_id in addresses]
    ids = [x.id for x in rows]
    for i in range(0, len(ids), BATCH):
        uow.execute(update(recipients_t).where(recipients_t.c.id.in_(ids[i:i + BATCH])).values(printed_at=uow.now()))
    uow.record(FormsPrinted(target=f"questionnaire:{r['name']}", forms=len(forms), reminder=reminder))
    return FormBatch(r["name"], r["deadline"], uow.ctx.policy().name,
                     list(questionnaire_of(uow.ctx, r["policy_version"]).questions), forms)


# --- answers in bulk (scanned forms, rehearsals) -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class AnswersRecorded(AuditEvent):
    """questionnaire.answers: a batch of answers was recorded at once (scanned forms, a rehearsal): counts by channel
    and route, never the answers or who."""

    action: ClassVar[str] = "questionnaire.answers"
    answered: int
    channels: dict[str, int]
    routes: dict[str, int]


def recipients_without_answers(uow: UnitOfWork, name: str) -> list[tuple[str, str]]:
    """(reference, region) of everyone of round `name` who has not sent answers, in reference order (administrators
    and the system: for recording answers in bulk)."""
    uow.ctx.require(Role.administrator, Role.system, doing="listing who has not answered")
    r = _round(uow, name)
    return [(x.reference, x.region) for x in uow.execute(
        select(recipients_t.c.reference, recipients_t.c.region)
        .where(recipients_t.c.round_id == r["id"], ~_answered()).order_by(recipients_t.c.reference))]


def record_answers(ctx: Context, name: str, answered: list[tuple[str, dict[str, str], str]], *, batch: int = BATCH) -> int:
    """Record and send many people's answers of round `name` at once: (reference, answers, channel) each, checked as
    on the portal (`AnswerInvalid` names the question; nothing of that batch is kept). One transaction and one audit
    entry (counts only) per batch; a reference whose answers were sent already is passed over, so a rerun adds
    nothing. How many were recorded."""
    from collections import Counter

    ctx.require(Role.administrator, Role.system, doing="recording answers in bulk")
    recorded = 0
    for i in range(0, len(answered), batch):
        chunk = answered[i:i + batch]
        with UnitOfWork(ctx) as uow:
            r = _round(uow, name)
            q = questionnaire_of(ctx, r["policy_version"])
            wanted = [ref for ref, _, _ in chunk]
            found = {x.reference: x for x in uow.execute(
                select(recipients_t.c.id, recipients_t.c.national_id, recipients_t.c.region, recipients_t.c.reference,
                       answers_t.c.submitted_at, answers_t.c.recipient_id.label("saved"))
                .outerjoin(answers_t, answers_t.c.recipient_id == recipients_t.c.id)
                .where(recipients_t.c.round_id == r["id"], recipients_t.c.reference.in_(wanted)))}
            now, rows, routes = uow.now(), [], []
            channels: Counter[str] = Counter()
            taken_all: Counter[str] = Counter()
            for reference, given, channel in chunk:
                x = found.get(reference)
                if x is None or x.submitted_at is not None:
                    continue
                checked = {question.id: check_answer(question, given.get(question.id)) for question in q.questions}
                missing = [qid for qid in checked if q.question(qid).mandatory and not checked[qid]]
                if missing:
                    raise AnswerInvalid(UNANSWERED, field=missing[0])
                if x.saved is not None:  # a draft on the portal: the recorded form replaces it
                    uow.execute(answers_t.delete().where(answers_t.c.recipient_id == x.id))
                rows.append({"recipient_id": x.id, "answers": json.dumps(checked, ensure_ascii=False, sort_keys=True),
                             "channel": channel, "updated_at": now, "submitted_at": now,
                             "keyed_by": uow.actor.label() if channel == PAPER else None})
                for route, ground, qid, detail in effects_of(q, checked):
                    routes.append({"recipient_id": x.id, "national_id": x.national_id, "region": x.region, "route": route,
                                   "ground": ground, "question": qid, "detail": detail, "opened_at": now})
                    taken_all[route] += 1
                channels[channel] += 1
            if rows:
                uow.execute(insert(answers_t), rows)
            if routes:
                uow.execute(insert(routes_t), routes)
            if rows:
                uow.record(AnswersRecorded(target=f"questionnaire:{r['name']}", answered=len(rows), channels=dict(channels),
                                           routes=dict(taken_all)))
            recorded += len(rows)
    return recorded


def sign_in_details(uow: UnitOfWork, name: str) -> dict[str, str] | None:
    """The reference and sign-in code printed on the letter of the first person of round `name` who has not
    answered (for reprints and the demo; the code is otherwise only printed); audited. None when all answered."""
    uow.ctx.require(Role.administrator, Role.system, doing="reading a questionnaire letter's sign-in code")
    r = _round(uow, name)
    row = uow.execute(select(recipients_t.c.national_id, recipients_t.c.reference, recipients_t.c.code)
                      .where(recipients_t.c.round_id == r["id"], ~_answered())
                      .order_by(recipients_t.c.id).limit(1)).first()
    if row is None:
        return None
    uow.record(QuestionnaireRead(target=person(row.national_id), round=r["name"], view="sign-in code"))
    return {"reference": row.reference, "code": row.code}


def due_for_reminder(uow: UnitOfWork, on: dt.date, *, days_before: int) -> list[tuple[str, str, dt.date]]:
    """(national id, reference, deadline) of everyone who has not sent answers to a round whose deadline is from
    `on` to `days_before` days after it: whom the daily reminders remind (by e-mail and text message)."""
    uow.ctx.require(Role.administrator, Role.system, doing="listing who has not answered")
    rows = uow.execute(select(recipients_t.c.national_id, recipients_t.c.reference, rounds_t.c.deadline)
                       .join(rounds_t, rounds_t.c.id == recipients_t.c.round_id)
                       .where(rounds_t.c.deadline >= on, rounds_t.c.deadline <= on + dt.timedelta(days=days_before),
                              ~_answered())
                       .order_by(recipients_t.c.id)).all()
    return [(r.national_id, r.reference, r.deadline) for r in rows]


def answered(uow: UnitOfWork, reference: str) -> bool:
    """Whether the answers of the questionnaire letter `reference` were sent (a reminder queued before is moot)."""
    row = uow.execute(select(answers_t.c.submitted_at).join(recipients_t, recipients_t.c.id == answers_t.c.recipient_id)
                      .where(recipients_t.c.reference == reference)).first()
    return row is not None and row.submitted_at is not None
