"""The rights the summons letter names, online: a short journey for each (GOV.UK's patterns).

A start page says what the right is, its deadline and how long the decision takes; then one
question per page, each answer checked on the server as it is given (`cases.rights.check_answer`);
then "check your answers", with any legal effect stated before it happens; then the one use case
of the right (`cases.rights.submit`) and a confirmation page with the case number, the day the
decision is due and what happens next. The answers travel in the form (hidden fields) from page
to page and are checked again when sent; an uploaded document is kept at its question and named
by its id.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from starlette.concurrency import run_in_threadpool

from callup.cases import rights
from callup.cases.errors import CaseNotFound
from callup.errors import CallupError
from callup.uow import UnitOfWork
from callup.web import documents
from callup.web.pages import citizen, csrf_guard, gettext, redirect, render, web

router = APIRouter(prefix="/portal/rights", dependencies=[Depends(csrf_guard)], include_in_schema=False)
FIELDS = ("ground", "evidence", "upload", "statement", "reason", "case")


def _code(code: str) -> str:
    if code not in rights.STEPS:
        raise CaseNotFound("there is no such right")
    return code


def _context(request: Request, code: str, answers: dict[str, str]) -> dict[str, Any]:
    """What every page of the journey shows: the right's offer (deadline, open or not), the grounds, the term."""
    ctx = citizen(request)
    with UnitOfWork(ctx, write=False) as uow:
        offers = rights.offers(uow)
    case = answers.get("case") or None
    offer = next((o for o in offers if o.code == code and (code != "appeal_decision" or str(o.case) == case)), None)
    version = ctx.policy().in_force(ctx.today())
    grounds: list[Any] = list(version.deferral_grounds if code == "deferral" else version.exemption_grounds if code == "exemption" else [])
    return {"code": code, "offer": offer, "grounds": grounds, "steps": rights.STEPS[code], "version": version,
            "ground": next((g for g in grounds if g.code == answers.get("ground")), None)}


def _said(message: str, field: str, words: dict[str, str]) -> str:
    """The plain words, in the page's language, for the service's refusal `message` of answer `field`."""
    for hint, key in (("longer than", "long"), ("is empty", "empty"), ("larger than", "large"), ("not a PDF", "kind")):
        if hint in message:
            return words[key]
    return words[field]


def _messages(request: Request) -> dict[str, str]:
    _ = gettext(request)
    return {"empty": _("The file is empty: choose the document again."),
            "large": _("The file is larger than 5 MB: upload a smaller scan or photo."),
            "kind": _("The file is not a PDF, JPEG or PNG document."),
            "ground": _("Choose the ground you apply on."),
            "evidence": _("Give the reference of the document your ground asks for, or upload it."),
            "statement": _("Write your reasons of conscience."),
            "reason": _("Write why you appeal."),
            "document": _("Upload a PDF, JPEG or PNG document of at most 5 MB, or leave the file out."),
            "long": _("Your text is too long: shorten it to 2,000 characters."),
            "closed": _("You cannot send this now: you have already used this right, your call has ended or the deadline has passed.")}


def _page(request: Request, code: str, page: str, answers: dict[str, str], *, status: int = 200, error: str | None = None,
          field: str | None = None) -> Any:
    values = _context(request, code, answers)
    return render(request, "portal/right.html", status=status, page=page, answers=answers, error=error, field=field, **values)


@router.get("/{code}")
def start(request: Request, code: str, case: str = ""):  # noqa: ANN201
    """The start page: what the right is, by when, what you need and how long the decision takes."""
    return _page(request, _code(code), "start", {"case": case[:12]})


@router.get("/{code}/ask")
def first(request: Request, code: str, case: str = ""):  # noqa: ANN201
    code = _code(code)
    return _page(request, code, rights.STEPS[code][0], {"case": case[:12]})


async def _document(file: UploadFile | None) -> bytes | None:
    if file is None or not file.filename:
        return None
    return await file.read(documents.MAX_BYTES + 1)


@router.post("/{code}")
async def answer(request: Request, code: str, step: Annotated[str, Form(max_length=20)] = "",
                 go: Annotated[str, Form(max_length=30)] = "continue", ground: Annotated[str, Form(max_length=64)] = "",
                 evidence: Annotated[str, Form(max_length=300)] = "", upload: Annotated[str, Form(max_length=40)] = "",
                 # far above the 2,000 characters a text may have, so a long text is refused with the text kept
                 statement: Annotated[str, Form(max_length=20000)] = "", reason: Annotated[str, Form(max_length=20000)] = "",
                 case: Annotated[str, Form(max_length=12)] = "",
                 document: Annotated[UploadFile | None, File()] = None):  # noqa: ANN201
    data = await _document(document)
    answers = {"ground": ground, "evidence": evidence, "upload": upload, "statement": statement, "reason": reason, "case": case}
    return await run_in_threadpool(_answer, request, _code(code), step, go, answers, data)


def _answer(request: Request, code: str, step: str, go: str, answers: dict[str, str], data: bytes | None) -> Any:
    steps = rights.STEPS[code]
    words = _messages(request)
    if go.startswith("change-") and go[7:] in steps:
        return _page(request, code, go[7:], answers)
    if go == "send":
        return _send(request, code, answers, words)
    if step not in steps:
        return _page(request, code, steps[0], answers)
    ctx = citizen(request)
    try:
        with UnitOfWork(ctx) as uow:
            if step == "evidence" and data is not None:
                answers["upload"] = documents.store(uow, data)
            rights.check_answer(uow, code, step, answers)
    except CallupError as exc:
        field = exc.field if exc.field in words else step
        return _page(request, code, step, answers, status=422, error=_said(exc.message, field, words), field=field)
    later = steps[steps.index(step) + 1:]
    return _page(request, code, later[0] if later else "check", answers)


def _evidence(answers: dict[str, str]) -> str | None:
    parts = [" ".join(answers.get("evidence", "").split())[:300]] if answers.get("evidence", "").strip() else []
    if answers.get("upload"):
        parts.append(f"upload:{answers['upload']}")
    return "; ".join(parts) or None


def _send(request: Request, code: str, answers: dict[str, str], words: dict[str, str]) -> Any:
    ctx = citizen(request)
    try:
        with UnitOfWork(ctx) as uow:
            if answers.get("upload"):
                documents.read(uow, answers["upload"])  # the citizen's own document, or "not found"
            sent = rights.submit(uow, code, answers, evidence=_evidence(answers))
    except CallupError as exc:
        if exc.field in rights.STEPS[code]:
            return _page(request, code, exc.field, answers, status=422, error=_said(exc.message, exc.field, words), field=exc.field)
        return _page(request, code, "check", answers, status=exc.http_status, error=words["closed"])
    return redirect(f"/portal/rights/{code}/sent/{sent.case.id}")


@router.get("/{code}/sent/{case_id}")
def sent(request: Request, code: str, case_id: int):  # noqa: ANN201
    """The confirmation page: the case number, the day the decision is due and what happens next."""
    ctx = citizen(request)
    with UnitOfWork(ctx, write=False) as uow:
        done = rights.sent(uow, case_id)
    version = ctx.policy().in_force(ctx.today())
    return render(request, "portal/right_sent.html", code=_code(code), done=done, version=version,
                  portal_url=web(request).settings.public_url)
