"""The auditor's pages in the console: verify the audit chain (whole, or against a published
anchor), any person's access history (with a reason), a published draw re-verified from its
files, and the deployment guardrail report.

Read-only: nothing here changes the register or a campaign. Each page calls the service the
command line calls (`callup audit verify`, `audit log --person`, `callup verify`, `service
guardrail-report`), whose role rule decides who may open it, and each view is itself recorded
in the audit log by that service. The pages show plain words, never the log's action codes.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from callup.audit import chain
from callup.context import Role
from callup.errors import CallupError, InputError
from callup.uow import UnitOfWork
from callup.web.pages import csrf_guard, gettext, render, staff

router = APIRouter(prefix="/console/audit", dependencies=[Depends(csrf_guard)], include_in_schema=False)

#: Who is shown each page in the console's navigation: the roles its service allows (the service decides).
LOG_READERS = (Role.administrator, Role.auditor)
GUARDRAIL_READERS = (Role.administrator, Role.officer, Role.auditor)


def shown(role: Role) -> dict[str, bool]:
    """Which auditor pages the navigation offers to `role`."""
    return {"log": role in LOG_READERS, "guardrail": role in GUARDRAIL_READERS}


def _worded(request: Request, exc: CallupError, field: str | None) -> str:
    """The service's refusal in the page's language, by the field it names and its kind (the service decides; the
    page only says it in words its reader reads); any other refusal as the service words it."""
    _ = gettext(request)
    words = {
        ("anchor", 422): _("Choose one of the published anchors, or paste one you hold."),
        ("pasted", 422): _("The pasted text is not an anchor: paste its JSON text, with head_hash (64 characters, 0-9 and a-f) "
                           "and count (a whole number)."),
        ("national_id", 422): _("Enter the person's national id."),
        ("national_id", 404): _("No person with this national id is in the register or the audit log."),
        ("reason", 422): _("Give a reason: it is written in the audit log and shown to the person."),
        ("since", 422): _("Enter the date as YYYY-MM-DD (for example 2027-05-01), or leave it empty."),
        ("announced", 422): _("The announced commitment hash has 64 characters, 0-9 and a-f, as published before the draw."),
        ("campaign", 404): _("Choose one of the campaigns listed."),
        ("campaign", 409): _("This campaign has not been drawn: there is no draw to verify."),
        ("step", 422): _("The step to continue from is not well-formed: start the verification again."),
    }
    return words.get((field or "", exc.http_status), exc.message)


#: Entries one request checks when the whole chain is verified; a longer chain is checked in steps the auditor
#: continues (about ten seconds a step on a loaded machine: BENCHMARKS.md, "Verifying the audit chain").
STEP = 250_000


@router.get("")
def audit_chain(request: Request, check: str = "", anchor: str = "", pasted: str = "", after: str = "",
                prev: str = ""):  # noqa: ANN201
    """The chain's verification: `check=chain` verifies every entry, `STEP` entries a request (from entry `after`,
    whose hash the step before found to be `prev`); `check=anchor` holds the whole chain to the published anchor
    recorded at entry `anchor`, or to the anchor JSON `pasted` (one held outside the office)."""
    ctx = staff(request, *LOG_READERS)
    anchors = chain.published_anchors(ctx)
    values: dict[str, Any] = {"anchor": anchor, "pasted": pasted[:2000], "step": STEP}
    result, held = None, None
    status = 200
    try:
        if check == "anchor":
            held = _anchor_of(anchors, anchor, pasted[:2000])
            result = chain.verify_chain(ctx, anchor=held)
        elif check == "chain":
            start, start_hash = _step_of(after, prev)
            result = chain.verify_chain(ctx, after=start, after_hash=start_hash, limit=STEP)
    except CallupError as exc:
        if exc.http_status in (403, 404):
            raise
        status, values["error"] = exc.http_status, _worded(request, exc, exc.field)
        values["field"] = exc.field if exc.field != "step" else None  # the step is no field to correct
    last = None
    if result is None:  # no check was recorded: the view is
        chain.page_viewed(ctx, "chain")
        last = chain.last_verification(ctx)
    return render(request, "console/audit_chain.html", status=status, ctx=ctx, anchors=anchors, result=result, held=held,
                  last=last, **values)


def _step_of(after: str, prev: str) -> tuple[int, str]:
    """Where a step of the chain's verification starts: after entry `after`, whose hash was `prev` (from the start when
    neither is given)."""
    import re

    if not after.strip() and not prev.strip():
        return 0, chain.GENESIS
    if not after.strip().isdigit() or not re.fullmatch(r"[0-9a-f]{64}", prev.strip()):
        raise InputError("the step to continue from is not well-formed: start the verification again", field="step")
    return int(after.strip()), prev.strip()


def _anchor_of(anchors: list[chain.PublishedAnchor], chosen: str, pasted: str) -> dict[str, Any]:
    if pasted.strip():
        return chain.parse_anchor(pasted, source="pasted anchor", field="pasted")
    picked = next((a for a in anchors if str(a.seq) == chosen.strip()), None)
    if picked is None:
        raise InputError("anchor: choose a published anchor, or paste one you hold", field="anchor")
    return picked.as_anchor()


@router.get("/people")
def access_history(request: Request, national_id: str = "", reason: str = ""):  # noqa: ANN201
    """Who read or changed a person's record: every entry naming them, in words, with actor, role, reason and time."""
    from callup.web.accounts import offices_of
    from callup.web.portal import ACTIONS, UNNAMED_ACTION

    ctx = staff(request, *LOG_READERS)
    national_id, reason = national_id.strip()[:32], " ".join(reason.split())[:300]
    values: dict[str, Any] = {"national_id": national_id, "reason": reason}
    if not national_id and not reason:
        chain.page_viewed(ctx, "history")
        return render(request, "console/audit_people.html", ctx=ctx, rows=None, **values)
    try:
        found = chain.person_history(ctx, national_id, reason=reason)
    except CallupError as exc:
        if exc.http_status == 403:
            raise
        chain.page_viewed(ctx, "history")
        field = exc.field or "national_id"
        return render(request, "console/audit_people.html", status=exc.http_status, ctx=ctx, rows=None,
                      error=_worded(request, exc, field), field=field, **values)
    with UnitOfWork(ctx, write=False) as uow:
        offices = offices_of(uow, {e.actor for e in found})
    rows = [{"at": e.at, "actor": e.actor, "role": e.role, "office": offices.get(e.actor), "reason": e.reason,
             "action": ACTIONS.get(e.action, UNNAMED_ACTION)} for e in reversed(found)]
    return render(request, "console/audit_people.html", ctx=ctx, rows=rows, **values)


#: The statuses and zones the deployment rules name (the policy's codes), in words for the catalogue.
STATUSES = {"conscript": "conscript", "alternative_service": "in alternative service", "contract": "contract soldier"}
ZONES = {"combat": "combat", "military_installation": "military installation", "overseas": "overseas",
         "training": "training", "garrison": "garrison"}


def named(table: dict[str, str], code: str) -> str:
    """The English words of `code` in `table` (translated by the page), never the code itself."""
    from callup.web.words import UNNAMED

    return table.get(code, UNNAMED)


#: Why the guardrail refused an attempt, from its recorded problem (the page shows words for each).
_GUARDRAIL_WHY = (("allows no override", "no_override_here"), ("needs a second officer", "needs_second"),
                  ("needs a reason", "needs_reason"), ("taken by an officer", "officer_only"),
                  ("has not approved", "not_approved"), ("approved one override", "approved"))


def guardrail_why(problem: str) -> str:
    """The kind of a recorded problem: one of `_GUARDRAIL_WHY`'s, else `forbidden` (the zone is forbidden)."""
    return next((kind for words, kind in _GUARDRAIL_WHY if words in problem), "forbidden")


@router.get("/guardrail")
def guardrail(request: Request, since: str = ""):  # noqa: ANN201
    """The deployment guardrail report: every assignment it refused and every override, in the actor's regions."""
    import datetime as dt

    from callup.military_service.guardrail import read_report

    ctx = staff(request, *GUARDRAIL_READERS)
    since = since.strip()[:10]
    try:
        try:
            start = dt.date.fromisoformat(since) if since else None
        except ValueError:
            raise InputError("since: not a date; write it as YYYY-MM-DD, e.g. 2027-05-01", field="since") from None
        with UnitOfWork(ctx) as uow:  # writes: the view and each person listed are recorded
            rows = read_report(uow, since=start)
    except CallupError as exc:
        if exc.http_status == 403:
            raise
        return render(request, "console/audit_guardrail.html", status=exc.http_status, ctx=ctx, rows=None, since=since,
                      error=_worded(request, exc, exc.field or "since"), field=exc.field or "since")
    return render(request, "console/audit_guardrail.html", ctx=ctx, rows=rows, since=since, why=guardrail_why, named=named,
                  statuses=STATUSES, zones=ZONES)


@router.get("/draws")
def draws(request: Request, campaign: str = "", announced: str = ""):  # noqa: ANN201
    """A campaign's published draw re-verified from its published files (`callup verify`), each check in words."""
    from callup.campaigns.service import list_campaigns
    from callup.campaigns.verification import verify_published

    ctx = staff(request, *LOG_READERS)
    with UnitOfWork(ctx, write=False) as uow:
        drawn = [c for c in list_campaigns(uow) if c.status in ("drawn", "closed")]
    campaign, announced = campaign.strip()[:64], announced.strip()[:80]
    values: dict[str, Any] = {"campaign": campaign, "announced": announced, "campaigns": drawn, "result": None}
    if not campaign:
        chain.page_viewed(ctx, "draws")
    else:
        try:
            values["result"] = verify_published(ctx, campaign, announced=announced or None)
        except CallupError as exc:
            if exc.http_status == 403:
                raise
            chain.page_viewed(ctx, "draws")
            field = exc.field if exc.field == "announced" else "campaign"
            return render(request, "console/audit_draws.html", status=exc.http_status, ctx=ctx,
                          error=_worded(request, exc, field), field=field, **values)
    return render(request, "console/audit_draws.html", ctx=ctx, **values)
