"""The citizen's self-declaration on the portal: a start page, one question a page (each answer saved as it is
given, so the citizen can stop and come back), check your answers, and a confirmation with the reference.

Every page acts as the signed-in citizen and calls `callup.questionnaire.service`; the questions and their words
come from the policy, in the page's language.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request

from callup.errors import InputError, StateError
from callup.questionnaire import service
from callup.uow import UnitOfWork
from callup.web.pages import citizen, csrf_guard, gettext, language, redirect, render

router = APIRouter(prefix="/portal/questionnaire", dependencies=[Depends(csrf_guard)], include_in_schema=False)
BASE = "/portal/questionnaire"


def _mine(request: Request) -> service.MyQuestionnaire | None:
    with UnitOfWork(citizen(request), write=False) as uow:
        return service.my_questionnaire(uow)


def _words(request: Request) -> Any:
    """The policy's words (`Words`) in the page's language."""
    lang = language(request)
    return lambda words: (getattr(words, lang, None) or words.en) if words is not None else ""


def _page(request: Request, *, status: int = 200, **values: Any) -> Any:
    return render(request, "portal/questionnaire.html", status=status, in_lang=_words(request), as_date=dt.date.fromisoformat,
                  **values)


@router.get("")
def start(request: Request):  # noqa: ANN201
    mine = _mine(request)
    if mine is not None and mine.submitted_at is not None:
        return redirect(f"{BASE}/sent")
    resume = mine.first_unanswered() if mine else None
    return _page(request, page="start", mine=mine, go=f"{BASE}/q/{resume}" if resume else f"{BASE}/check")


@router.get("/q/{qid}")
def question(request: Request, qid: str, back: str = ""):  # noqa: ANN201
    mine = _mine(request)
    if mine is None or mine.submitted_at is not None:
        return redirect(BASE)
    q = mine.question(qid)
    return _page(request, page="question", mine=mine, q=q, value=_parts(q, mine.answers.get(qid, "")), back=back == "check", previous=mine.before(qid))


def _parts(q: Any, answer: str) -> dict[str, str]:
    """The form's values of a stored answer (a date as day, month and year)."""
    if q.type == "date" and answer:
        year, month, day = answer.split("-")
        return {"day": str(int(day)), "month": str(int(month)), "year": year}
    return {"answer": answer}


@router.post("/q/{qid}")
def answer(request: Request, qid: str, answer: Annotated[str, Form(max_length=2000)] = "",  # noqa: ANN201
           day: Annotated[str, Form(max_length=10)] = "", month: Annotated[str, Form(max_length=10)] = "",
           year: Annotated[str, Form(max_length=10)] = "", back: Annotated[str, Form(max_length=10)] = ""):
    ctx = citizen(request)
    mine = _mine(request)
    if mine is None or mine.submitted_at is not None:
        return redirect(BASE)
    q = mine.question(qid)
    value = " ".join(p.strip() for p in (day, month, year)) if q.type == "date" and (day or month or year).strip() else answer
    try:
        with UnitOfWork(ctx) as uow:
            saved = service.save_answer(uow, q.id, value)
    except StateError:
        return redirect(BASE)
    except InputError as exc:
        kept = {"day": day, "month": month, "year": year} if q.type == "date" else {"answer": answer}
        return _page(request, status=422, page="question", mine=mine, q=q, value=kept, back=back == "check", previous=mine.before(qid),
                      error=gettext(request)(exc.message), field=exc.field)
    following = saved.after(q.id)
    return redirect(f"{BASE}/check" if back == "check" or following is None or following in saved.answers
                    else f"{BASE}/q/{following}")


@router.get("/check")
def check(request: Request):  # noqa: ANN201
    mine = _mine(request)
    if mine is None or mine.submitted_at is not None:
        return redirect(BASE)
    return _page(request, page="check", mine=mine)


@router.post("/send")
def send(request: Request):  # noqa: ANN201
    ctx = citizen(request)
    try:
        with UnitOfWork(ctx) as uow:
            service.submit_answers(uow)
    except StateError:
        return redirect(f"{BASE}/sent")
    except InputError as exc:
        mine = _mine(request)
        return _page(request, status=422, page="check", mine=mine, error=gettext(request)(exc.message), field=exc.field,
                     link=f"{BASE}/q/{exc.field}?back=check")
    return redirect(f"{BASE}/sent")


@router.get("/sent")
def sent(request: Request):  # noqa: ANN201
    with UnitOfWork(citizen(request), write=False) as uow:
        done = service.receipt(uow)
    if done is None:
        return redirect(BASE)
    return render(request, "portal/questionnaire_sent.html", done=done)
