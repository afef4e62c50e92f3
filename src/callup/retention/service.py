"""`retention apply`: erase personal data past its retention period under the policy in force.

What goes, for the policy version in force on the date `on` (`[versions.retention]`):

- everything personal about people whose liability ended more than
  `register_years_after_liability` years before `on` (born on or before `on` less `until_age`
  plus those years), and about people recorded deceased or emigrated by an import that finished
  more than that many years before `on` -- except anyone in the pool of a campaign that is not
  closed yet, who is kept until it closes:
  - their register record, officers' notes, contact-change requests, reminders (and their opt-out), uploaded documents and
    external registry entries are deleted, and the medical findings of their cases;
  - in the campaign, case and service tables their national id is replaced by a random token,
    the same for one person everywhere (`erased-` and 16 hex digits), and the free text about
    them (evidence, reasons, the postcode and delivery evidence of a summons) is cleared: the
    counts, the draw's order and calls and the published pseudonyms stay, naming nobody;
  - the salt linking them to their audit entries (`callup.audit.tables.AuditSubject`): the
    entries stay, and the chain still verifies, but they name nobody any more;
- medical findings recorded more than `medical_years` before `on` (the fitness category stays on
  the case; the health details go);
- the link between the audit log and anyone whose entries are all older than `audit_years`
  (their salt): the entries stay in the chain, naming nobody;
- the questionnaire (answers, the routes they took and the letters' references) of the erased, and of
  everyone in a round past its `answers_kept_months` (the round itself stays, with nobody in it).

It works in batches, one transaction each, audited by category and count (never by id), and is
idempotent: a second run on the same date finds nothing more, and a run killed part-way is
finished by running it again. `dry_run` counts what would go and changes nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from typing import Any, ClassVar, cast

from sqlalchemy import Table, and_, delete, exists, func, or_, select, text

from callup.audit import AuditEvent
from callup.audit.chain import erase_subjects
from callup.audit.tables import AuditEntry, AuditSubject, PersonNote
from callup.campaigns.tables import Campaign, CampaignStatus, PoolEntry
from callup.cases.tables import Case, MedicalFinding
from callup.context import Context, Role
from callup.questionnaire.service import rounds_past_keeping
from callup.questionnaire.tables import QuestionnaireRecipient
from callup.register.eligibility import years_before
from callup.register.tables import CivilStatus, Import, Person
from callup.uow import UnitOfWork

BATCH = 2_000
#: How an erased person is named where a row must stay (a call, a case): never derived from the id.
TOKEN = "erased-"

#: Rows about the person that go with them.
DELETED = ("person_notes", "contact_requests", "web_documents", "registry_entries", "status_documents", "reminders",
           "reminder_opt_outs", "pool_holds")
#: Columns naming the person in rows that stay (counts, the draw, case and service history).
PSEUDONYMISED = (("campaign_pool", "national_id"), ("campaign_order", "national_id"), ("campaign_calls", "national_id"),
                 ("campaign_calls", "replaces"), ("summonses", "national_id"), ("cases", "national_id"),
                 ("service_records", "national_id"), ("deployment_attempts", "national_id"))
#: Free text about the person in rows that stay: (table, assignments, the person's rows).
CLEARED = (
    ("summonses", "postcode = '', delivery_evidence = NULL, return_reason = NULL, closed_reason = NULL",
     "national_id IN (SELECT token FROM _erased)"),
    ("cases", "evidence = NULL, decision_reason = NULL, check_source = NULL", "national_id IN (SELECT token FROM _erased)"),
    ("case_transitions", "reason = NULL, evidence = NULL",
     "case_id IN (SELECT id FROM cases WHERE national_id IN (SELECT token FROM _erased))"),
    ("civilian_assignments", "employer = ''",
     "case_id IN (SELECT id FROM cases WHERE national_id IN (SELECT token FROM _erased))"),
    ("service_records", "end_reason = NULL", "national_id IN (SELECT token FROM _erased)"),
    ("service_steps", "reason = NULL",
     "record_id IN (SELECT id FROM service_records WHERE national_id IN (SELECT token FROM _erased))"),
    ("deployment_attempts", "override_reason = NULL", "national_id IN (SELECT token FROM _erased)"),
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class RetentionApplied(AuditEvent):
    """retention.apply: one batch of personal data past its retention period was erased (counts only)."""

    action: ClassVar[str] = "retention.apply"
    on: str
    policy_version: str
    people: int
    notes: int
    audit_subjects: int
    medical_findings: int = 0
    rows_pseudonymised: int = 0
    questionnaires: int = 0


@dataclasses.dataclass(frozen=True)
class Category:
    name: str
    rule: str
    due: int  # found past the period (in a dry run: what would go)
    erased: int  # erased by this run


@dataclasses.dataclass(frozen=True)
class RetentionReport:
    on: dt.date
    dry_run: bool
    policy_version: str
    categories: list[Category]
    batches: int


def _due_people(version, on: dt.date):  # noqa: ANN001, ANN202 - a Core SELECT of national ids
    people, imports, pool, campaigns = Person.__table__, Import.__table__, PoolEntry.__table__, Campaign.__table__
    years = version.retention.register_years_after_liability
    liability_over = years_before(on, version.conscription.until_age + years)
    left = dt.datetime.combine(years_before(on, years), dt.time(), tzinfo=dt.UTC)
    recorded_gone = and_(people.c.civil_status.in_([CivilStatus.deceased, CivilStatus.emigrated]),
                         people.c.import_id.in_(select(imports.c.id).where(imports.c.finished_at <= left)))
    in_open_campaign = exists(select(pool.c.national_id).join(campaigns, campaigns.c.id == pool.c.campaign_id).where(
        (pool.c.national_id == people.c.national_id) & (campaigns.c.status != CampaignStatus.closed)))
    return select(people.c.national_id).where(or_(people.c.date_of_birth <= liability_over, recorded_gone), ~in_open_campaign)


def _old_findings(version, on: dt.date):  # noqa: ANN001, ANN202 - a Core SELECT of finding ids
    findings = MedicalFinding.__table__
    cutoff = dt.datetime.combine(years_before(on, version.retention.medical_years), dt.time(), tzinfo=dt.UTC)
    return select(findings.c.id).where(findings.c.recorded_at < cutoff)


_COMMITMENT = re.compile(r"person#[0-9a-f]{32}")


def _stale_subjects(uow: UnitOfWork, version: Any, on: dt.date) -> list[str]:
    """National ids whose every audit entry is older than `audit_years` (their salt may go)."""
    log = AuditEntry.__table__
    cutoff = years_before(on, version.retention.audit_years).isoformat()
    recent: set[str] = set()
    for target, details in uow.execute(select(log.c.target, log.c.details).where(log.c.at >= cutoff)):
        recent.update(_COMMITMENT.findall(target))
        recent.update(_COMMITMENT.findall(details))
    subjects = AuditSubject.__table__
    return [n for n, c in uow.execute(select(subjects.c.national_id, subjects.c.commitment)) if c not in recent]


def _erase_people(uow: UnitOfWork, ids: list[str]) -> tuple[int, int, int, int]:
    """Erase these people (see the module docstring): (people, notes, medical findings, rows pseudonymised)."""
    conn = uow.conn
    conn.execute(text("CREATE TEMPORARY TABLE IF NOT EXISTS _erased (national_id VARCHAR(200) PRIMARY KEY, token VARCHAR(32))"))
    conn.execute(text("DELETE FROM _erased"))
    conn.execute(text("INSERT INTO _erased (national_id, token) VALUES (:n, :t)"),
                 [{"n": n, "t": TOKEN + uow.ctx.random(8).hex()} for n in ids])
    people = conn.execute(text("DELETE FROM people WHERE national_id IN (SELECT national_id FROM _erased)")).rowcount
    conn.execute(text("DELETE FROM reminder_attempts WHERE reminder_id IN "
                      "(SELECT id FROM reminders WHERE national_id IN (SELECT national_id FROM _erased))"))
    counts = {t: conn.execute(text(f"DELETE FROM {t} WHERE national_id IN (SELECT national_id FROM _erased)")).rowcount
              for t in DELETED}
    _erase_questionnaires(conn, "national_id IN (SELECT national_id FROM _erased)")
    findings = conn.execute(text("DELETE FROM medical_findings WHERE case_id IN "
                                 "(SELECT id FROM cases WHERE national_id IN (SELECT national_id FROM _erased))")).rowcount
    moved = 0
    for table, column in PSEUDONYMISED:
        moved += conn.execute(text(f"UPDATE {table} SET {column} = (SELECT token FROM _erased WHERE _erased.national_id = "
                                   f"{table}.{column}) WHERE {column} IN (SELECT national_id FROM _erased)")).rowcount
    for table, assignments, where in CLEARED:
        conn.execute(text(f"UPDATE {table} SET {assignments} WHERE {where}"))
    moved += _pseudonymise_effects(conn)
    conn.execute(text("DROP TABLE _erased"))
    return people, counts["person_notes"], findings, moved


def _erase_questionnaires(conn: Any, recipients: str) -> int:
    """Delete the questionnaire rows of the recipients `recipients` (a condition on questionnaire_recipients):
    their routes and answers, then the letters; how many letters went."""
    theirs = f"recipient_id IN (SELECT id FROM questionnaire_recipients WHERE {recipients})"
    conn.execute(text(f"DELETE FROM questionnaire_routes WHERE {theirs}"))
    conn.execute(text(f"DELETE FROM questionnaire_answers WHERE {theirs}"))
    return int(conn.execute(text(f"DELETE FROM questionnaire_recipients WHERE {recipients}")).rowcount)


def _pseudonymise_effects(conn: Any) -> int:
    """A case step's effect (JSON) names the replacement called (or kept when an overturn gave the call back):
    the erased among them become their tokens."""
    tokens = dict(conn.execute(text("SELECT national_id, token FROM _erased")).tuples().all())
    changed = 0
    for row_id, effect in conn.execute(text("SELECT id, effect FROM case_transitions WHERE effect LIKE '%\"replacement%'")).all():
        value = json.loads(effect)
        named = [k for k in ("replacement", "replacement_kept") if isinstance(value, dict) and value.get(k) in tokens]
        for key in named:
            value[key] = tokens[value[key]]
        if named:
            conn.execute(text("UPDATE case_transitions SET effect = :e WHERE id = :i"), {"e": json.dumps(value), "i": row_id})
            changed += 1
    return changed


def apply_retention(ctx: Context, on: dt.date, *, dry_run: bool = False, batch: int = BATCH) -> RetentionReport:
    """Erase what is past its retention period on `on` (see the module docstring); `dry_run` only counts."""
    ctx.require(Role.administrator, Role.system, doing="applying retention")
    version = ctx.policy().in_force(on)
    years, retention = version.retention.register_years_after_liability, version.retention
    rules = {
        "register": f"people whose liability ended, or who were recorded deceased or emigrated, more than {years} years "
                    "before the date (not while in the pool of an open campaign): their records deleted, their ids in "
                    "campaigns, cases and service replaced by a token",
        "notes": "officers' notes about those people",
        "medical": f"medical findings of those people, and every finding older than {retention.medical_years} years",
        "audit": "the salt linking those people, and anyone whose audit entries are all older than "
                 f"{retention.audit_years} years, to their entries (the entries stay, naming nobody)",
        "questionnaire": "questionnaire answers, routes and letters of those people, and of every round past the "
                         "months its policy keeps answers after the deadline",
    }
    due_people, old_findings = _due_people(version, on), _old_findings(version, on)
    notes, subjects, findings, cases = PersonNote.__table__, AuditSubject.__table__, cast(Table, MedicalFinding.__table__), Case.__table__
    letters = QuestionnaireRecipient.__table__
    with UnitOfWork(ctx, write=False) as uow:
        due = uow.execute(select(func.count()).select_from(due_people.subquery())).scalar_one()
        due_notes = uow.execute(select(func.count()).where(notes.c.national_id.in_(due_people))).scalar_one()
        due_findings = uow.execute(select(func.count()).where(or_(
            findings.c.id.in_(old_findings),
            findings.c.case_id.in_(select(cases.c.id).where(cases.c.national_id.in_(due_people)))))).scalar_one()
        stale = set(_stale_subjects(uow, version, on))
        old_rounds = rounds_past_keeping(ctx, on, uow)
        due_letters = uow.execute(select(func.count()).where(or_(
            letters.c.national_id.in_(due_people), letters.c.round_id.in_(old_rounds)))).scalar_one()
        due_subjects = uow.execute(select(subjects.c.national_id).where(subjects.c.national_id.in_(due_people))).scalars().all()
        due_audit = len(stale | set(due_subjects))
    erased = {"register": 0, "notes": 0, "medical": 0, "audit": 0, "questionnaire": 0}
    batches = 0
    while not dry_run:
        with UnitOfWork(ctx) as uow:
            ids = list(uow.execute(due_people.order_by(Person.__table__.c.national_id).limit(batch)).scalars())
            gone_letters = 0
            if ids:
                before = uow.execute(select(func.count()).select_from(letters)).scalar_one()
                people, gone_notes, gone_findings, moved = _erase_people(uow, ids)
                gone_letters = before - uow.execute(select(func.count()).select_from(letters)).scalar_one()
                gone_subjects = erase_subjects(uow.conn, ids, tail=uow.audit_tail)
            else:  # the people are done: what is past its own period
                old = list(uow.execute(old_findings.order_by(findings.c.id).limit(batch)).scalars())
                gone_findings = uow.execute(delete(findings).where(findings.c.id.in_(old))).rowcount if old else 0
                stale_now = _stale_subjects(uow, version, on)[:batch]
                gone_subjects = erase_subjects(uow.conn, stale_now, tail=uow.audit_tail)
                people = gone_notes = moved = 0
                old_letters = list(uow.execute(select(letters.c.id).where(letters.c.round_id.in_(old_rounds))
                                               .order_by(letters.c.id).limit(batch)).scalars()) if old_rounds else []
                if old_letters:
                    gone_letters = _erase_questionnaires(uow.conn, f"id IN ({', '.join(str(int(i)) for i in old_letters)})")
                if not gone_findings and not gone_subjects and not gone_letters:
                    break
            uow.record(RetentionApplied(target="retention:register", on=on.isoformat(), policy_version=version.version,
                                        people=people, notes=gone_notes, audit_subjects=gone_subjects,
                                        medical_findings=gone_findings, rows_pseudonymised=moved,
                                        questionnaires=gone_letters))
        erased["register"] += people
        erased["notes"] += gone_notes
        erased["medical"] += gone_findings
        erased["audit"] += gone_subjects
        erased["questionnaire"] += gone_letters
        batches += 1
    counts = {"register": due, "notes": due_notes, "medical": due_findings, "audit": due_audit, "questionnaire": due_letters}
    return RetentionReport(on=on, dry_run=dry_run, policy_version=version.version, batches=batches,
                           categories=[Category(name, rules[name], counts[name], erased[name]) for name in rules])
