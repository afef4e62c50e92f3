"""Pages anyone may open: the start page, both sign-ins, sign-out, the language switch, the
status-document check with the office's public keys, and the public draw records."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from callup.context import Actor, Role
from callup.military_service import status_documents
from callup.uow import UnitOfWork
from callup.web import i18n, statusdoc
from callup.web.accounts import TooManyAttempts, citizen_sign_in, officer_sign_in
from callup.web.pages import (
    LANG_COOKIE,
    clear_session,
    csrf_guard,
    gettext,
    redirect,
    render,
    safe_next,
    secure,
    session,
    set_session,
    web,
)
from callup.web.sessions import CITIZEN, for_actor

router = APIRouter(dependencies=[Depends(csrf_guard)], include_in_schema=False)
SYSTEM = Actor(name="web", role=Role.system)


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/")
def home(request: Request):  # noqa: ANN201
    s = session(request)
    if s is not None and s.signed_in:
        return redirect("/portal" if s.kind == CITIZEN else "/console")
    return render(request, "home.html")


@router.get("/s/{compact}")
def from_letter(compact: str):  # noqa: ANN201
    """The address the letter's QR code opens: the sign-in page with the reference filled in."""
    import urllib.parse

    return redirect(f"/signin?reference={urllib.parse.quote(compact[:40], safe='')}")


@router.get("/signin")
def citizen_form(request: Request, reference: str = "", next: str = "", ended: str = ""):  # noqa: A002, ANN201
    return render(request, "signin.html", reference=reference[:40], next=safe_next(next, "/portal"), ended=bool(ended))


@router.post("/signin")
def citizen_submit(request: Request, reference: Annotated[str, Form(max_length=64)] = "",
                   code: Annotated[str, Form(max_length=64)] = "", next: Annotated[str, Form(max_length=400)] = ""):  # noqa: A002, ANN201
    _ = gettext(request)
    w = web(request)
    mistake = _reference_mistake(request, reference)
    if mistake is not None:  # found from the reference alone (its check character): no attempt is counted
        return render(request, "signin.html", status=422, reference=reference, next=safe_next(next, "/portal"),
                      error=mistake, field="reference")
    try:
        national_id = citizen_sign_in(w.context(SYSTEM), reference, code, address=_address(request))
    except TooManyAttempts as exc:
        return render(request, "signin.html", status=429, reference=reference, next=safe_next(next, "/portal"),
                      error=_locked(request, exc))
    if national_id is None:
        return render(request, "signin.html", status=401, reference=reference, next=safe_next(next, "/portal"),
                      error=_("The reference or the code is not right, or the code has expired."))
    from callup.notices.reference import parse_reference
    from callup.register.queries import language_of

    with UnitOfWork(w.context(SYSTEM), write=False) as uow:
        registered = language_of(uow, national_id)
    new = for_actor(Actor(name="citizen (portal)", role=Role.citizen, person_id=national_id), reference=parse_reference(reference),
                    language=registered)
    response = redirect(safe_next(next, "/portal"))
    set_session(response, request, new)
    return response


def _reference_mistake(request: Request, reference: str) -> str | None:
    """What is wrong with a typed reference that cannot be one, in the page's words; None when it may be one."""
    from callup.references import BadSymbols, parse_reference

    _ = gettext(request)
    if not reference.strip():
        return _("Enter the reference of your summons: it is printed in your letter.")
    try:
        parse_reference(reference)
    except BadSymbols as exc:
        if exc.problem == "check":
            return _("There is a typing mistake in the reference: a character is wrong or two are swapped. "
                     "Check it against your letter.")
        if exc.problem == "length":
            return _("The reference has 20 characters (the dashes do not count); you typed %(n)s. "
                     "Check it against your letter.") % {"n": exc.count}
        return _("Character %(n)s of the reference is not one it uses: a reference has digits and letters other than U. "
                 "Check it against your letter.") % {"n": exc.position}
    return None


def _locked(request: Request, exc: TooManyAttempts) -> str:
    """What is locked and until when, in the page's words."""
    from callup.web.pages import language

    _ = gettext(request)
    fmt = i18n.formats(language(request), web(request).settings.timezone)
    until = fmt.instant(exc.until) if exc.until is not None else ""
    if exc.locked == "reference":
        return _("Too many wrong codes were tried with this summons, so signing in with it is locked until %(until)s. "
                 "Check the code in your letter and try again then, or contact your office.") % {"until": until}
    if exc.locked == "user":
        return _("Too many failed attempts for this account, so it is locked until %(until)s. Try again then, "
                 "or ask an administrator.") % {"until": until}
    return _("Too many failed sign-ins came from your network (a school or office network is shared by many people), "
             "so signing in from it is locked until %(until)s. You can sign in now from another network, such as your "
             "phone's mobile data.") % {"until": until}


@router.get("/officer/signin")
def officer_form(request: Request, next: str = "", ended: str = ""):  # noqa: A002, ANN201
    return render(request, "officer_signin.html", next=safe_next(next, "/console"), ended=bool(ended))


@router.post("/officer/signin")
def officer_submit(request: Request, name: Annotated[str, Form(max_length=128)] = "",
                   password: Annotated[str, Form(max_length=1024)] = "", totp: Annotated[str, Form(max_length=16)] = "",
                   next: Annotated[str, Form(max_length=400)] = ""):  # noqa: A002, ANN201
    _ = gettext(request)
    w = web(request)
    try:
        actor = officer_sign_in(w.context(SYSTEM), name, password, totp, address=_address(request))
    except TooManyAttempts as exc:
        return render(request, "officer_signin.html", status=429, next=safe_next(next, "/console"), name=name,
                      error=_locked(request, exc))
    if actor is None:
        return render(request, "officer_signin.html", status=401, next=safe_next(next, "/console"), name=name,
                      error=_("The name, password or one-time code is not right."))
    response = redirect(safe_next(next, "/console"))
    set_session(response, request, for_actor(actor))
    return response


@router.post("/signout")
def sign_out(request: Request):  # noqa: ANN201
    current = session(request)
    if current is not None and current.signed_in:
        from callup.web import session_records

        with UnitOfWork(web(request).context(SYSTEM)) as uow:
            session_records.end(uow, current)
    response = redirect("/")
    clear_session(response, request)
    return response


@router.get("/resume/{token}")
def resume(request: Request, token: str):  # noqa: ANN201
    """A form kept when it arrived after its session had ended, shown again (to its own person only) to be sent."""
    from callup.web import drafts

    current = session(request)
    if current is None or not current.signed_in:
        from callup.web.pages import SignInNeeded

        raise SignInNeeded(kind=current.kind if current is not None and current.kind != "anonymous" else CITIZEN)
    with UnitOfWork(web(request).context(SYSTEM)) as uow:
        kept = drafts.take(uow, current, token)
    if kept is None:
        return render(request, "resume.html", status=404, target=None, fields=[])
    path, fields = kept
    return render(request, "resume.html", target=path, fields=fields)


@router.post("/session/extend")
def extend_session(request: Request) -> JSONResponse:
    """Stay signed in (the warning before a session ends): the session's end moves a full lifetime on."""
    from callup.web.sessions import renewed

    current = session(request)
    if current is None or not current.signed_in:
        return JSONResponse({"signed_in": False}, status_code=401)
    later = renewed(current, force=True) or current
    response = JSONResponse({"signed_in": True, "expires": later.expires})
    if later is not current:
        response.set_cookie("callup_session", web(request).sealer.seal(later), path="/", secure=secure(request), httponly=True,
                            samesite="lax")
    return response


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str = "/"):  # noqa: A002, ANN201
    response = RedirectResponse(safe_next(next, "/"), status_code=303)
    if code in i18n.LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, path="/", secure=secure(request), httponly=True,
                            samesite="lax")
    return response


@router.get("/status/keys")
def status_keys(request: Request) -> JSONResponse:
    """The office's public keys for status documents (save them to check documents offline)."""
    return JSONResponse({"algorithm": "Ed25519", "keys": statusdoc.public_keys(web(request).settings.keys)},
                        headers={"cache-control": "public, max-age=3600"})


@router.get("/status/check")
def status_check(request: Request, document: str = ""):  # noqa: ANN201
    result, withdrawn = None, None
    if document.strip():
        w = web(request)
        keys = {kid: statusdoc.signing_key(w.settings.keys, kid).public_key() for kid in w.settings.keys.keys}
        ctx = w.context(SYSTEM)
        result = statusdoc.check(document[:4000], keys, on=ctx.today())
        if result.valid and result.claim is not None:
            with UnitOfWork(ctx, write=False) as uow:
                withdrawn = status_documents.revocation_of(uow, result.claim.serial)
            if withdrawn is not None:
                result = statusdoc.Checked(result.claim, False, None)
    return render(request, "check.html", document=document[:4000], result=result, withdrawn=withdrawn,
                  status_changed=status_documents.STATUS_CHANGED, problem=_problem(request, result))


def _problem(request: Request, result: statusdoc.Checked | None) -> str | None:
    """The check's problem in the page's language, its dates in the locale's format."""
    import datetime as dt

    from callup.web.pages import language

    if result is None or result.problem_text is None:
        return None
    fmt = i18n.formats(language(request), web(request).settings.timezone)
    values = {k: fmt.date(v) if isinstance(v, dt.date) else v for k, v in result.problem_values.items()}
    return str(gettext(request)(result.problem_text) % values)


@router.get("/status/revoked")
def status_revoked(request: Request) -> JSONResponse:
    """The signed list of withdrawn status documents not yet expired (save it to check documents offline)."""
    with UnitOfWork(web(request).context(SYSTEM), write=False) as uow:
        signed = statusdoc.sign_revocations(uow.ctx.keyring(), status_documents.withdrawn(uow), at=uow.now())
    return JSONResponse(signed, headers={"cache-control": "public, max-age=300"})


@router.get("/public/campaigns/{name}/replacements.jsonl")
def replacements_record(request: Request, name: str) -> Response:
    """A drawn campaign's replacements record as it stands (each release and the reserve position called for it)."""
    from callup.campaigns.service import replacements_record as record_of

    with UnitOfWork(web(request).context(SYSTEM), write=False) as uow:
        data = record_of(uow, name)
    return Response(data, media_type="application/jsonl", headers={"cache-control": "public, max-age=300"})


@router.get("/public/campaigns/{name}/draw-record.json")
def draw_record(request: Request, name: str) -> JSONResponse:
    """A drawn campaign's public draw record (what `callup verify` and `callup lottery rank` check)."""
    import json

    from callup.campaigns.service import draw_record as record_of

    with UnitOfWork(web(request).context(SYSTEM), write=False) as uow:
        record = record_of(uow, name)
    return JSONResponse(json.loads(record.to_json()) if hasattr(record, "to_json") else record.__dict__,
                        headers={"cache-control": "public, max-age=300"})
