"""The officers' console: my region's daily queue, people search, a person's record (read with a
reason, audited), summonses with appearance recording, contact-change decisions.

Region scope is enforced by the services through the request's Context (a person or summons of
another region answers "not found"), not by hiding links. The case pages (applications and
appeals to decide) are in `callup.web.console_cases`, whose queue joins this one.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request

from callup.campaigns.service import list_campaigns
from callup.context import Role
from callup.errors import CallupError, Forbidden
from callup.military_service.person_file import person_file, record_file
from callup.notices import service as notices
from callup.register import contact, search as people
from callup.register.queries import check_person
from callup.uow import UnitOfWork
from callup.web import console_cases
from callup.web.pages import csrf_guard, gettext, redirect, render, staff

router = APIRouter(prefix="/console", dependencies=[Depends(csrf_guard)], include_in_schema=False)
QUEUE_ROLES = (Role.administrator, Role.officer, Role.auditor, Role.system)
#: Who records appearances and decides contact changes: only they are shown those forms.
RECORDERS = (Role.administrator, Role.officer)


@router.get("")
def queue(request: Request):  # noqa: ANN201
    ctx = staff(request)
    if ctx.actor.role is Role.medical:  # the board's own list is its queue (signing in lands here)
        return redirect("/console/medical")
    return _queue_page(request)


def _queue_page(request: Request, *, status: int = 200, **values: Any) -> Any:
    ctx = staff(request)
    items: list[dict[str, Any]] = []
    requests: list[contact.ContactChange] = []
    with UnitOfWork(ctx) as uow:  # writes: the follow-up list's reads are audited
        if ctx.actor.role in QUEUE_ROLES:
            for c in list_campaigns(uow):
                if c.status not in ("drawn", "closed"):
                    continue
                try:
                    found = notices.follow_up(uow, c.name)
                except CallupError:
                    continue
                items.extend({"campaign": c.name, "reference": f.reference, "region": f.region, "why": f.why,
                              "detail": f.detail, "days": f.days, "since": f.since} for f in found)
            requests = contact.pending(uow)
        cases = console_cases.queue(uow)
    values.setdefault("form", {})
    return render(request, "console/queue.html", status=status, items=items, requests=requests, cases=cases, ctx=ctx,
                  decides_contact=ctx.actor.role in RECORDERS, **values)


@router.get("/search")
def search(request: Request, q: str = "", after: str = ""):  # noqa: ANN201
    ctx = staff(request)
    rows: list[people.PersonRow] = []
    if q.strip():
        with UnitOfWork(ctx) as uow:
            rows = people.search(uow, q, after=after or None, limit=50)
    return render(request, "console/search.html", q=q, rows=rows, ctx=ctx)


@router.get("/people/{national_id}")
def person(request: Request, national_id: str, reason: str = ""):  # noqa: ANN201
    ctx = staff(request)
    reason = " ".join(reason.split())[:300]
    if not reason:
        with UnitOfWork(ctx, write=False) as uow:  # the same answer for a person outside the region as for none
            check_person(uow, national_id)
        return render(request, "console/reason.html", national_id=national_id, ctx=ctx)
    with UnitOfWork(ctx) as uow:
        file = person_file(uow, national_id, reason=reason)
    return render(request, "console/person.html", file=file, record=file.record, reason=reason, ctx=ctx)


def _service_page(request: Request, record_id: int, *, status: int = 200, **values: Any) -> Any:
    ctx = staff(request)
    with UnitOfWork(ctx) as uow:
        file = record_file(uow, record_id, reason="service record in the console")
    r = file.record
    # The contract form is offered only where the service would take it: a serving conscript, a policy that allows
    # contracts today, an actor whose role may record one (the conditions themselves are checked when it is sent).
    signs = (ctx.actor.role in RECORDERS and r.state == "serving" and r.service_status == "conscript"
             and ctx.policy().in_force(ctx.today()).contract is not None)
    values.setdefault("form", {"signed_on": ctx.today().isoformat(), "note": ""})
    return render(request, "console/service.html", status=status, file=file, ctx=ctx, signs=signs, **values)


@router.get("/service/{record_id}")
def service_record(request: Request, record_id: int, done: str = ""):  # noqa: ANN201
    return _service_page(request, record_id, done=done)


@router.post("/service/{record_id}/contract")
def sign_contract(request: Request, record_id: int, signed_on: Annotated[str, Form(max_length=10)] = "",
                  note: Annotated[str, Form(max_length=500)] = ""):  # noqa: ANN201
    """Record a contract the conscript signed: the same service as `callup service convert`."""
    import datetime as dt

    from callup.errors import InputError
    from callup.military_service.induction import ConditionsNotMet, convert
    ctx = staff(request)
    if ctx.actor.role not in RECORDERS:
        raise Forbidden("recording a contract needs the role administrator or officer")
    _ = gettext(request)
    form = {"signed_on": signed_on, "note": note}
    try:
        try:
            on = dt.date.fromisoformat(signed_on.strip())
        except ValueError:
            raise InputError("signed_on: not a date", field="signed_on") from None
        with UnitOfWork(ctx) as uow:
            done = convert(uow, record_id, on=on, reason=note)
    except ConditionsNotMet as exc:
        texts = {"months_served": _("%(value)s whole months served; the policy asks at least %(required)s"),
                 "fitness_category": _("fitness category %(value)s; the policy asks %(required)s"),
                 "age": _("aged %(value)s; the policy asks under %(required)s")}
        unmet = "; ".join(texts[c.name] % {"value": c.value, "required": c.required.replace(" or ", _(" or "))} for c in exc.unmet)
        error = _("This conscript does not meet the policy's conditions for a contract on that day: %(unmet)s.") % {"unmet": unmet}
        return _service_page(request, record_id, status=exc.http_status, error=error, field="signed_on", form=form)
    except CallupError as exc:
        if exc.http_status in (403, 404):
            raise
        error = (_("Enter the day the contract was signed, within the conscript's term and not after today, as YYYY-MM-DD "
                   "(for example 2027-08-01).") if exc.field in ("signed_on", "on") else exc.message)
        return _service_page(request, record_id, status=exc.http_status, error=error, field="signed_on", form=form)
    if done.contract is None:  # the guardrail refused the unit for a contract soldier; the attempt is recorded
        error = _("The unit's zone is closed to contract soldiers under the policy: transfer the conscript first.")
        return _service_page(request, record_id, status=403, error=error, field="signed_on", form=form)
    return redirect(f"/console/service/{done.contract.id}?done=contract")


def _summons_page(request: Request, reference: str, *, status: int = 200, **values: Any) -> Any:
    ctx = staff(request)
    with UnitOfWork(ctx) as uow:  # writes: the read is audited
        view = notices.view(uow, reference)
        places = notices.office_places(uow, view.campaign)
        inducted = bool(notices.inducted_among(uow, [view.reference]))
    # The form is offered only when the service would take it: the actor's role, a delivered summons, the day come.
    refusal = notices.appearance_refusal(view.status, view.date, ctx.today())
    return render(request, "console/summons.html", status=status, view=view, ctx=ctx, places=places,
                  today=ctx.today(), records=ctx.actor.role in RECORDERS and refusal is None, inducted=inducted, **values)


@router.get("/summons/{reference}")
def summons(request: Request, reference: str, done: str = ""):  # noqa: ANN201
    return _summons_page(request, reference, done=done)


@router.post("/summons/{reference}/appearance")
def appearance(request: Request, reference: str, outcome: Annotated[str, Form(max_length=16)] = "",
               shown: Annotated[str | None, Form(max_length=16)] = None):  # noqa: ANN201
    ctx = staff(request)
    try:
        if outcome not in ("appeared", "no_show"):
            from callup.errors import InputError

            raise InputError("outcome: choose appeared or did not appear", field="outcome")
        with UnitOfWork(ctx) as uow:
            # The form says what the page showed (empty: nothing recorded), so a colleague's recording meanwhile is not overwritten.
            view = notices.record_appearance(uow, reference, outcome, shown=notices.UNSEEN if shown is None else (shown or None))
    except CallupError as exc:
        if exc.http_status in (403, 404):
            raise
        return _summons_page(request, reference, status=exc.http_status, error=exc.message, field=exc.field)
    return redirect(f"/console/summons/{view.reference}?done=appearance")


@router.post("/contact/{request_id}")
def decide_contact(request: Request, request_id: int, decision: Annotated[str, Form(max_length=16)] = "",
                   reason: Annotated[str, Form(max_length=500)] = ""):  # noqa: ANN201
    ctx = staff(request)
    if ctx.actor.role not in (Role.administrator, Role.officer):
        raise Forbidden("deciding contact-change requests needs the role administrator or officer")
    try:
        with UnitOfWork(ctx) as uow:
            contact.decide(uow, request_id, confirm=decision == "confirm", reason=reason)
    except CallupError as exc:  # a rejection without its reason, or decided meanwhile: the queue again, the reason kept
        if exc.http_status in (403, 404):
            raise
        _ = gettext(request)
        message = _("Write the reason for rejecting the request.") if exc.field == "reason" else exc.message
        return _queue_page(request, status=exc.http_status, error=message,
                           field=f"reason-{request_id}" if exc.field == "reason" else None,
                           form={"request": request_id, "reason": reason})
    return redirect("/console")
