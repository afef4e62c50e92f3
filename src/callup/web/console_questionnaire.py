"""The administration's self-declaration pages: the newest round's response rates by region, keying a returned paper
form (officers and administrators, within their regions), and for the readers the policy names the lists answers
route people to (the medical board closes a pre-assessment there) and one person's answers.

The pages call `callup.questionnaire.service`, which decides who may do what: a role the policy does not name as a
reader is refused the answers however it reaches them, and every read is audited.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from callup.context import Role
from callup.errors import CallupError, InputError, NotFound
from callup.questionnaire import service
from callup.uow import UnitOfWork
from callup.web.pages import csrf_guard, gettext, language, redirect, render, staff

router = APIRouter(prefix="/console/questionnaire", dependencies=[Depends(csrf_guard)], include_in_schema=False)
BASE = "/console/questionnaire"
KEYERS = (Role.officer, Role.administrator)
ROUTES = ("medical_preassessment", "deferral_check")


def _in_lang(request: Request) -> Any:
    lang = language(request)
    return lambda words: (getattr(words, lang, None) or words.en) if words is not None else ""


def _readers(ctx: Any, version: str) -> list[str]:
    try:
        return list(service.questionnaire_of(ctx, version).readers)
    except CallupError:
        return []


@router.get("")
def index(request: Request, keyed: str = ""):  # noqa: ANN201
    ctx = staff(request)
    with UnitOfWork(ctx, write=False) as uow:
        rounds = service.list_rounds(uow)
        report = service.status(uow, rounds[0]) if rounds else None
    readers = _readers(ctx, report.policy_version) if report else []
    return render(request, "console/questionnaire.html", ctx=ctx, report=report, rounds=rounds, keyed=keyed,
                  keys=ctx.actor.role in KEYERS, reads=ctx.actor.role.value in readers, routes=ROUTES, form={})


def _form_page(request: Request, reference: str, *, status: int = 200, values: dict[str, str] | None = None,
               error: str | None = None, field: str | None = None) -> Any:
    ctx = staff(request, *KEYERS)
    with UnitOfWork(ctx, write=False) as uow:
        name, questions, done = service.form_questions(uow, reference)
    return render(request, "console/questionnaire_form.html", status=status, ctx=ctx, reference=reference.strip(),
                  round=name, questions=questions, done=done, values=values or {}, error=error, field=field,
                  in_lang=_in_lang(request))


@router.get("/form")
def form(request: Request, reference: str = ""):  # noqa: ANN201
    ctx = staff(request, *KEYERS)
    _ = gettext(request)
    try:
        return _form_page(request, reference[:64])
    except (InputError, NotFound) as exc:
        with UnitOfWork(ctx, write=False) as uow:
            rounds = service.list_rounds(uow)
            report = service.status(uow, rounds[0]) if rounds else None
        message = _("No paper form with that reference in your regions.") if isinstance(exc, NotFound) else exc.message
        return render(request, "console/questionnaire.html", status=exc.http_status, ctx=ctx, report=report, rounds=rounds,
                      keyed="", keys=True, reads=False, routes=ROUTES, error=message, field="reference",
                      form={"reference": reference[:64]})


@router.post("/form")
async def key(request: Request):  # noqa: ANN201
    ctx = staff(request, *KEYERS)
    posted = await request.form()
    reference = str(posted.get("reference", ""))[:64]
    values = {k: str(v)[:600] for k, v in posted.items() if k not in ("csrf", "reference")}
    with UnitOfWork(ctx, write=False) as uow:
        _, questions, _done = service.form_questions(uow, reference)
    answers = {}
    for q in questions:
        if q.type == "date":
            parts = [values.get(f"{q.id}-{p}", "").strip() for p in ("day", "month", "year")]
            answers[q.id] = " ".join(parts) if any(parts) else ""
        else:
            answers[q.id] = values.get(q.id, "")
    try:
        with UnitOfWork(ctx) as uow:
            service.key_answers(uow, reference, answers)
    except service.AnswerInvalid as exc:
        return _form_page(request, reference, status=422, values=values, error=gettext(request)(exc.message), field=exc.field)
    except CallupError as exc:
        if exc.http_status in (403, 404):
            raise
        return _form_page(request, reference, status=exc.http_status, values=values, error=exc.message)
    return redirect(f"{BASE}?keyed={reference}")


@router.get("/routes/{route}")
def routes(request: Request, route: str, round: str = ""):  # noqa: A002, ANN201
    ctx = staff(request)
    if route not in ROUTES:
        raise NotFound("no such list")
    with UnitOfWork(ctx) as uow:  # writes: each listed person is an audited read
        name = round or next(iter(service.list_rounds(uow)), "")
        listed = service.routed(uow, name, route, reason="questionnaire list in the console")
        checks = _registry_checks(uow, listed) if route == "deferral_check" else {}
    return render(request, "console/questionnaire_routes.html", ctx=ctx, route=route, round=name, listed=listed, checks=checks,
                  closes=(route == "medical_preassessment" and ctx.actor.role is Role.medical)
                  or (route == "deferral_check" and ctx.actor.role in KEYERS))


def _registry_checks(uow: UnitOfWork, listed: list[service.RoutedPerson]) -> dict[str, Any]:
    """The declared study checked against the ground's registry now (the check a deferral application would make):
    national id -> the registry's answer."""
    from callup.cases import registries

    today = uow.ctx.today()
    grounds = {g.code: g.registry for g in uow.ctx.policy().in_force(today).deferral_grounds}
    found = {}
    for p in listed:
        registry = grounds.get(p.ground or "")
        if registry:
            found[p.national_id] = registries.check(uow, registry, p.national_id, today)
    return found


@router.post("/routes/{route}/close")
async def close(request: Request, route: str):  # noqa: ANN201
    ctx = staff(request)
    posted = await request.form()
    person, name = str(posted.get("person", ""))[:32], str(posted.get("round", ""))[:64]
    reason = "seen by the medical board (console)" if route == "medical_preassessment" else "deferral checked (console)"
    with UnitOfWork(ctx) as uow:
        service.close_route(uow, person, route, reason=reason)
    return redirect(f"{BASE}/routes/{route}?round={name}")


@router.get("/answers/{national_id}")
def answers(request: Request, national_id: str):  # noqa: ANN201
    ctx = staff(request)
    with UnitOfWork(ctx) as uow:
        views = service.read_answers(uow, national_id[:32], reason="questionnaire answers in the console")
    worded = _in_lang(request)
    texts = {q.id: worded(q.text) for version in ctx.policy().versions if version.questionnaire
             for q in version.questionnaire.questions}  # the questions in the page's language (ids are stable)
    return render(request, "console/questionnaire_answers.html", ctx=ctx, national_id=national_id[:32], views=views,
                  texts=texts)
