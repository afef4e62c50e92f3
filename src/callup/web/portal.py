"""The citizens' portal: status, summons and appointment, letter, acknowledgement, moves, contact
details, who read my record, the signed status document.

Every page acts as the signed-in citizen: the services see a citizen actor whose national id is
the session's, so a reference of someone else's summons answers "not found" like a wrong one.

The case pages (applications, appeals, decisions) are in `callup.web.portal_cases`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from callup.audit.chain import entries
from callup.cases import rights
from callup.context import Context
from callup.errors import InputError
from callup.military_service import status_documents
from callup.military_service.standing import citizen_standing
from callup.notices import reminders, service as notices
from callup.questionnaire.service import my_questionnaire
from callup.register import contact
from callup.uow import UnitOfWork
from callup.web import statusdoc
from callup.web.page_cache import kept, kept_now
from callup.web.pages import citizen, csrf_guard, gettext, language, redirect, render, signed_in, web
from callup.web.sessions import CITIZEN, Session

router = APIRouter(prefix="/portal", dependencies=[Depends(csrf_guard)], include_in_schema=False)
#: The status page, which a whole country reloads at the announcement: tried before every other route.
first = APIRouter(prefix="/portal", include_in_schema=False)

#: Audit actions shown to a person as reads or changes of their record, in words.
ACTIONS = {
    "person.read": "read your register record",
    "person.note": "wrote a note on your record",
    "person.contact.decide": "decided on your contact-change request",
    "notices.change": "changed your summons",
    "notices.read": "read your summons",
    "campaign.replace": "changed your place in a campaign",
    "register.import": "updated your record from the population register",
    "register.import.start": "began loading your record from the population register",
    "register.import.block": "loaded your record from the population register",
    "register.import.resume": "resumed loading your record from the population register",
    "register.import.abandon": "stopped an unfinished load of the population register that included your record",
    "case.step": "took a step in one of your cases",
    "medical.read": "read your medical findings",
    "service.step": "recorded a step of your service (induction, transfer or discharge)",
    "notices.code_read": "read back your summons' sign-in code (for a reprint)",
    "notices.deem": "recorded your summons as delivered under the policy's rule",
    "notices.postal": "recorded the post's delivery evidence for your summons",
    "campaign.call": "called you up in a campaign",
    "campaign.release": "ended your call in a campaign",
    "campaign.restore": "restored your call in a campaign",
    "deployment.attempt": "checked a deployment of yours against the rules",
    "export.personal": "exported your record in a list",
    "person.search": "found your record in a search",
    "person.contact.request": "received your contact-change request",
    "audit.history": "looked up who read or changed your record",
    "deployment.report": "saw you in the deployment guardrail report",
    "notices.reminder": "sent you a reminder by e-mail or text message (your address or number was read for it)",
    "notices.reminders_opt_out": "recorded your choice about reminders",
    "status.revoke": "withdrew a status document of yours (your status changed, or it was issued in error)",
}
#: Shown for an action not yet named above: plain words, never the audit log's code.
UNNAMED_ACTION = "worked on your record"


def _status_key(request: Request, me: Session, ctx: Context) -> tuple:
    # The page shows the session (its end, the CSRF token), the language and the day's deadlines: kept for exactly those.
    return ("portal", me.sid, me.expires, language(request), ctx.today(), request.url.query)


@first.get("")
async def status(request: Request):  # noqa: ANN201
    """The citizen's status page. A reload this worker can answer from memory is answered on the event loop;
    anything else (the store to ask, the page to build) in a thread."""
    found = kept_now(request, _status_key)
    return HTMLResponse(found) if found is not None else await run_in_threadpool(_status, request)


def _status(request: Request) -> HTMLResponse:
    ctx = citizen(request)
    me = signed_in(request, kind=CITIZEN)

    def page() -> bytes:
        standing = web(request).read(ctx, citizen_standing, request=request)
        declaration = web(request).read(ctx, my_questionnaire)  # just sent: read where it was written
        return bytes(render(request, "portal/status.html", views=standing.summonses, service=standing.service,
                            places=standing.places, todo=standing.todo, declaration=declaration).body)

    return HTMLResponse(kept(request, ctx, _status_key(request, me, ctx), page))


@router.get("/summons/{reference}")
def summons(request: Request, reference: str, done: str = ""):  # noqa: ANN201
    """The summons; while opening it would deliver it, first a page saying so, with the deadlines it starts."""
    ctx = citizen(request)
    with UnitOfWork(ctx, write=False) as uow:
        if notices.opening_delivers(uow, reference):
            view = notices.view(uow, reference)
            due = rights.summons_deadlines(uow, view)
            places = notices.office_places(uow, view.campaign)
            deemed = notices.deemed_on(uow, view)
            return render(request, "portal/open.html", view=view, due=due, places=places, deemed=deemed)
    with UnitOfWork(ctx, write=False) as uow:
        view = notices.view(uow, reference)
        check = _draw_check(uow, view)
        can_move = notices.can_move(uow, reference)
        places = notices.office_places(uow, view.campaign)
        todo = citizen_standing(uow).todo if view.status == "cancelled" else None
    release = todo.release if todo is not None and todo.summons.reference == view.reference else None
    return render(request, "portal/summons.html", view=view, check=check, done=done, can_move=can_move, places=places,
                  release=release)


def _draw_check(uow: UnitOfWork, view: notices.SummonsView) -> dict[str, Any] | None:
    """What the public draw record says about this pseudonym (recomputed here from the record)."""
    from callup.campaigns.service import draw_record
    from callup.errors import CallupError
    from callup.lottery import lookup

    try:
        found = lookup.look_up(view.pseudonym, draw_record(uow, view.campaign))
    except (CallupError, ValueError, KeyError):
        return None
    return {"called": found.called, "region": found.region, "position": found.call_position,
            "seed_matches": found.seed_matches_record, "record": f"/public/campaigns/{view.campaign}/draw-record.json"}


@router.post("/summons/{reference}/open")
def open_summons(request: Request, reference: str):  # noqa: ANN201
    """The citizen chose to open the summons after reading what that means: it is delivered now."""
    ctx = citizen(request)
    s = signed_in(request, kind=CITIZEN)
    with UnitOfWork(ctx) as uow:
        notices.opened_in_portal(uow, reference, session=s.sid[:12])
        view = notices.view(uow, reference)
    return redirect(f"/portal/summons/{view.reference}")


@router.get("/summons/{reference}/letter.pdf")
def letter(request: Request, reference: str) -> Response:
    from callup.notices.letters import render_one
    from callup.notices.printing import letter_of

    ctx = citizen(request)
    with UnitOfWork(ctx, write=False) as uow:
        item = letter_of(uow, reference, portal_url=web(request).settings.public_url)
    pdf = render_one(item)
    return Response(pdf, media_type="application/pdf",
                    headers={"content-disposition": f'attachment; filename="summons-{item.reference}.pdf"'})


@router.post("/summons/{reference}/acknowledge")
def acknowledge(request: Request, reference: str):  # noqa: ANN201
    ctx = citizen(request)
    s = signed_in(request, kind=CITIZEN)
    with UnitOfWork(ctx) as uow:
        view = notices.acknowledge(uow, reference, evidence=f"portal session {s.sid[:12]}")
    return redirect(f"/portal/summons/{view.reference}?done=acknowledged")


def _slots(uow: UnitOfWork, reference: str) -> list[dict[str, Any]]:
    return [{"value": f"{a.office}|{a.date.isoformat()}|{a.start:%H:%M}", "office": a.office, "date": a.date, "start": a.start,
             "end": a.end, "free": free} for a, free in notices.move_options(uow, reference, limit=2000)]


def _move_page(request: Request, reference: str, *, day: str = "", slot: str = "", status: int = 200,
               error: str | None = None, field: str | None = None) -> Any:
    """Moving the appointment, one thing per page: the day, then the time on it, then a confirmation."""
    ctx = citizen(request)
    _ = gettext(request)
    with UnitOfWork(ctx, write=False) as uow:
        view = notices.view(uow, reference)
        slots = _slots(uow, reference)
        places = notices.office_places(uow, view.campaign)
    days: dict[dt.date, int] = {}
    for s in slots:
        days[s["date"]] = days.get(s["date"], 0) + 1
    chosen_day = next((d for d in days if d.isoformat() == day), None)
    chosen = next((s for s in slots if s["value"] == slot), None)
    if day and chosen_day is None and error is None:
        error, field = _("That day has no free time any more: choose another day."), "day"
    if slot and chosen is None and error is None:
        error, field = _("That time is no longer free: choose another time."), "slot"
        wanted = slot.split("|")[1] if slot.count("|") == 2 else ""
        chosen_day = next((d for d in days if d.isoformat() == wanted), chosen_day)
    step = "confirm" if chosen is not None else "time" if chosen_day is not None else "day"
    return render(request, "portal/move.html", status=422 if error is not None and status == 200 else status, view=view,
                  places=places, days=days, step=step, day=chosen_day, chosen=chosen,
                  times=[s for s in slots if s["date"] == chosen_day], error=error, field=field)


@router.get("/summons/{reference}/move")
def move_form(request: Request, reference: str, day: str = "", slot: str = "", pick: str = ""):  # noqa: ANN201
    _ = gettext(request)
    if pick == "day" and not day:
        return _move_page(request, reference, status=422, error=_("Choose a day."), field="day")
    if pick == "time" and not slot:
        return _move_page(request, reference, day=day, status=422, error=_("Choose a time."), field="slot")
    return _move_page(request, reference, day=day[:10], slot=slot[:100])


@router.post("/summons/{reference}/move")
def move(request: Request, reference: str, slot: Annotated[str, Form(max_length=100)] = ""):  # noqa: ANN201
    ctx = citizen(request)
    _ = gettext(request)
    try:
        office, day, start = slot.split("|")
        date, at = dt.date.fromisoformat(day), dt.time.fromisoformat(start)
    except ValueError:
        return _move_page(request, reference, status=422, error=_("Choose one of the free times."), field="day")
    try:
        with UnitOfWork(ctx) as uow:
            notices.move(uow, reference, office=office, date=date, start=at)
        return redirect(f"/portal/summons/{reference}?done=moved")
    except InputError as exc:
        return _move_page(request, reference, day=day, status=422, error=_(exc.message), field="slot")


@router.get("/contact")
def contact_form(request: Request, done: str = ""):  # noqa: ANN201
    ctx = citizen(request)
    with UnitOfWork(ctx, write=False) as uow:
        mine = contact.my_requests(uow)
        off = reminders.opted_out(uow, _me_id(ctx))
    return render(request, "portal/contact.html", requests=mine, done=done, values={}, reminders_off=off)


def _me_id(ctx: Any) -> str:
    return str(ctx.actor.person_id)


@router.post("/reminders")
def reminders_choice(request: Request, want: Annotated[str, Form(max_length=8)] = ""):  # noqa: ANN201
    """The citizen stops reminders by e-mail and text message, or asks for them again."""
    ctx = citizen(request)
    if want not in ("yes", "no"):
        return redirect("/portal/contact")
    with UnitOfWork(ctx) as uow:
        reminders.set_opt_out(uow, _me_id(ctx), opt_out=want == "no")
    return redirect(f"/portal/contact?done=reminders-{'on' if want == 'yes' else 'off'}#reminders")


@router.post("/contact")
def contact_submit(request: Request, email: Annotated[str, Form(max_length=300)] = "",
                   phone: Annotated[str, Form(max_length=40)] = "", address: Annotated[str, Form(max_length=300)] = "",
                   postcode: Annotated[str, Form(max_length=30)] = ""):  # noqa: ANN201
    ctx = citizen(request)
    try:
        with UnitOfWork(ctx) as uow:
            contact.request_change(uow, email=email, phone=phone, address=address, postcode=postcode)
    except InputError as exc:
        with UnitOfWork(ctx, write=False) as uow:
            mine = contact.my_requests(uow)
            off = reminders.opted_out(uow, _me_id(ctx))
        return render(request, "portal/contact.html", status=422, requests=mine, error=_contact_error(request, exc),
                      field=exc.field, values={"email": email, "phone": phone, "address": address, "postcode": postcode},
                      reminders_off=off)
    return redirect("/portal/contact?done=requested")


def _contact_error(request: Request, exc: InputError) -> str:
    """The contact form's refusal in the page's words, for the field it names."""
    _ = gettext(request)
    if "at most" in exc.message:
        return _("This is too long: shorten it.")
    if "at least one" in exc.message:
        return _("Fill in at least one of e-mail, phone or postal address.")
    if "needs its postcode" in exc.message:
        return _("Enter the postcode of the new address.") if exc.field == "postcode" else _("Enter the new address for this postcode.")
    return {"email": _("Enter an e-mail address in the right form, such as name@example.org."),
            "phone": _("Enter a phone number with digits, and spaces, brackets or dashes if you like, such as +999 100 200 300."),
            "postcode": _("Enter a postcode in the form the post uses, such as the one on your letter.")}.get(exc.field or "", _(exc.message))


@router.get("/reads")
def reads(request: Request):  # noqa: ANN201
    """Who in the administration read or changed my record: when, role, office, what and why (never names)."""
    from callup.web.accounts import offices_of

    ctx = citizen(request)
    found = [e for e in entries(web(request).engine, person_id=ctx.actor.person_id) if e.role not in ("citizen",)]
    with UnitOfWork(ctx, write=False) as uow:
        offices = offices_of(uow, {e.actor for e in found})
    rows = [{**v, "office": offices.get(v["actor"])} for v in reversed(visits(found))]
    return render(request, "portal/reads.html", rows=rows)


#: Entries of one user with one reason at most this far apart are one visit to the record.
VISIT_GAP = dt.timedelta(minutes=30)


def visits(found: list[Any], *, gap: dt.timedelta = VISIT_GAP) -> list[dict[str, Any]]:
    """The audit entries `found` (oldest first) as visits: runs of one user's entries, each within `gap` of the one
    before, for one reason (an entry without a reason, such as the summons read beside the record, belongs to the
    visit it falls in). Each visit has its user (to look the office up; never shown), role, reason, what was done
    (in words, in order, once each), its first and last time and how many entries it holds."""
    out: list[dict[str, Any]] = []
    for e in found:
        at = dt.datetime.fromisoformat(e.at.replace("Z", "+00:00")) if isinstance(e.at, str) else e.at
        action = ACTIONS.get(e.action, UNNAMED_ACTION)
        last = out[-1] if out else None
        if (last is not None and last["actor"] == e.actor and at - last["last"] <= gap
                and (e.reason is None or last["reason"] in (None, e.reason))):
            last["last"], last["count"] = at, last["count"] + 1
            last["reason"] = last["reason"] or e.reason
            if action not in last["actions"]:
                last["actions"].append(action)
        else:
            out.append({"actor": e.actor, "role": e.role, "reason": e.reason, "actions": [action], "first": at, "last": at,
                        "count": 1})
    return out


def _holder(uow: UnitOfWork, national_id: str) -> tuple[str, dt.date] | None:
    """The citizen's own name and birth date, as on their id card (signed into the status document)."""
    from callup.register.queries import name_and_birth_date

    return name_and_birth_date(uow, national_id)


def _document(request: Request) -> tuple[str, statusdoc.StatusClaim, notices.SummonsView] | None:
    ctx = citizen(request)
    with UnitOfWork(ctx) as uow:
        standing = citizen_standing(uow)
        holder = _holder(uow, ctx.actor.own_id())
        latest = standing.latest
        if latest is None or standing.status is None or holder is None:  # the status is None only when never summoned
            return None
        text = statusdoc.issue(ctx.keyring(), pseudonym=latest.pseudonym, campaign=latest.campaign,
                               status=standing.status, on=ctx.today(), holder=holder[0], born=holder[1])
        keys = {kid: statusdoc.signing_key(ctx.keyring(), kid).public_key() for kid in ctx.keyring().keys}
        claim = statusdoc.check(text, keys, on=ctx.today()).claim
        assert claim is not None, "the document just signed reads back with its claim"
        # Recorded so that the office can withdraw it; the holder's older documents naming another status go.
        status_documents.record(uow, serial=claim.serial, national_id=ctx.actor.own_id(), campaign=claim.campaign,
                                status=claim.status, issued=claim.issued, valid_until=claim.valid_until)
    return text, claim, latest


@router.get("/document")
def document(request: Request):  # noqa: ANN201
    made = _document(request)
    return render(request, "portal/document.html", text=made[0] if made else None, claim=made[1] if made else None,
                  qr=statusdoc.link(web(request).settings.public_url, made[0]) if made else None)


@router.get("/document/qr.svg")
def document_qr(request: Request) -> Response:
    made = _document(request)
    if made is None:
        return Response(status_code=404)
    return Response(statusdoc.qr_svg(statusdoc.link(web(request).settings.public_url, made[0])), media_type="image/svg+xml")


@router.get("/document.pdf")
def document_pdf(request: Request) -> Response:
    _ = gettext(request)
    made = _document(request)
    if made is None:
        return Response(status_code=404)
    text, claim, _view = made
    from callup.web.i18n import formats
    from callup.web.pages import language
    from callup.web.words import Words

    fmt, words = formats(language(request), web(request).settings.timezone), Words(_)
    check_at = f"{web(request).settings.public_url}/status/check"
    pdf = statusdoc.document_pdf(statusdoc.link(web(request).settings.public_url, text), claim, title=_("Call-up status document"), lines=[
        f"{_('Holder')}: {claim.holder}", f"{_('Date of birth')}: {fmt.date(claim.born)}",
        f"{_('Serial')}: {claim.serial}", f"{_('Pseudonym')}: {claim.pseudonym}", f"{_('Campaign')}: {claim.campaign}",
        f"{_('Status')}: {words.standing(claim.status)}",
        f"{_('Issued')}: {fmt.date(claim.issued)}", f"{_('Valid until')}: {fmt.date(claim.valid_until)}",
        _("Scan the QR code, or check it at %(address)s; offline with: callup status verify") % {"address": check_at}],
        language=language(request), qr_alt=_("QR code of the status document"))
    return Response(pdf, media_type="application/pdf", headers={"content-disposition": 'attachment; filename="status.pdf"'})
