"""The medical board's console pages: the people expected at an office on a day (with their examinations and the
ones still open from other days), one examination with its form (findings, the policy's category, a
re-examination date for a temporary one), and the confirmation of what the category caused.

The pages call the same services as `callup cases examine` and `callup cases fitness`; the services decide
and refuse. Only the medical board is shown the forms; an administrator or auditor reads the pages, an
officer is not offered them (the examination is the board's work).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request

from callup.cases import medical
from callup.context import Role
from callup.errors import CallupError, InputError
from callup.uow import UnitOfWork
from callup.web import i18n
from callup.web.pages import csrf_guard, gettext, language, redirect, render, staff

router = APIRouter(prefix="/console/medical", dependencies=[Depends(csrf_guard)], include_in_schema=False)
READERS = (Role.medical, Role.administrator, Role.auditor)
#: Who is shown the board's forms: the services take a category from the medical board only.
EXAMINERS = (Role.medical,)


def _date(text: str, field: str, request: Request) -> dt.date | None:
    """A date written YYYY-MM-DD, None when blank; `InputError` naming `field` otherwise."""
    if not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(gettext(request)("Not a date: write it as YYYY-MM-DD, e.g. 2027-10-01."), field=field) from None


def _worded(request: Request, exc: CallupError, category: str) -> str:
    """The service's refusal of a category in the page's language, by the field it names (the service decides;
    the page only says it in words its reader reads): the other refusals as the service words them."""
    _ = gettext(request)
    ctx = staff(request, *READERS)
    found = next((c for c in ctx.policy().in_force(ctx.today()).fitness_categories if c.code == category.strip()), None)
    if exc.http_status == 409:  # another member of the board decided it first: the page shows their category
        return _("This examination was decided meanwhile: its category is shown below.")
    if exc.field == "category":
        return _("Choose one of the categories listed.")
    if exc.field == "reexamine_on" and found is not None:
        latest = medical.latest_reexamination(ctx.today(), found)
        if latest is not None:
            return _("A temporary category needs its re-examination date: after today and by %(date)s at the latest.") % {
                "date": i18n.formats(language(request), ctx.timezone).date(latest)}
        return _("Category %(code)s is not temporary: leave the re-examination date empty.") % {"code": found.code}
    return exc.message


def _day_page(request: Request, *, office: str = "", day: str = "", status: int = 200, **values: Any) -> Any:
    ctx = staff(request, *READERS)
    error, field = values.pop("error", None), values.pop("field", None)
    try:
        wanted = _date(day, "day", request)
    except InputError as exc:
        error, field, wanted, status = exc.message, exc.field, None, 422
    with UnitOfWork(ctx) as uow:  # writes: every person listed is an audited read
        try:
            listed = medical.examination_day(uow, office=office or None, day=wanted)
        except CallupError as exc:
            if exc.field != "office":
                raise
            error, field, status = exc.message, exc.field, exc.http_status
            listed = medical.examination_day(uow, day=wanted)
    return render(request, "console/medical_day.html", status=status, listed=listed, ctx=ctx, today=ctx.today(),
                  examines=ctx.actor.role in EXAMINERS, error=error, field=field,
                  form={"office": office or listed.office or "", "day": day or listed.day.isoformat()}, **values)


@router.get("")
def day_list(request: Request, office: str = "", day: str = ""):  # noqa: ANN201
    return _day_page(request, office=office[:64], day=day[:10])


@router.post("/examinations")
def open_examination(request: Request, campaign: Annotated[str, Form(max_length=64)] = "",
                     person: Annotated[str, Form(max_length=32)] = "", office: Annotated[str, Form(max_length=64)] = "",
                     day: Annotated[str, Form(max_length=10)] = ""):  # noqa: ANN201
    ctx = staff(request, *READERS)
    try:
        with UnitOfWork(ctx) as uow:
            case = medical.open_examination(uow, campaign, person, reason=f"medical board at {office}" if office else None)
    except CallupError as exc:
        if exc.http_status in (403, 404):
            raise
        return _day_page(request, office=office, day=day, status=exc.http_status, error=exc.message, field=None)
    return redirect(f"/console/medical/cases/{case.id}")


def _case_page(request: Request, case_id: int, *, status: int = 200, **values: Any) -> Any:
    ctx = staff(request, *READERS)
    with UnitOfWork(ctx) as uow:
        seen = medical.examination(uow, case_id, reason="medical examination in the console")
    latest = {c.code: medical.latest_reexamination(ctx.today(), c) for c in seen.categories}
    values.setdefault("form", {})
    return render(request, "console/medical_case.html", status=status, seen=seen, ctx=ctx, latest=latest,
                  examines=ctx.actor.role in EXAMINERS and "find_fit" in seen.case.allowed_steps, **values)


@router.get("/cases/{case_id}")
def examination(request: Request, case_id: int):  # noqa: ANN201
    return _case_page(request, case_id)


@router.post("/cases/{case_id}/fitness")
def fitness(request: Request, case_id: int, category: Annotated[str, Form(max_length=16)] = "",
            details: Annotated[str, Form(max_length=4000)] = "", reexamine_on: Annotated[str, Form(max_length=10)] = ""):  # noqa: ANN201
    ctx = staff(request, *READERS)
    form = {"category": category, "details": details, "reexamine_on": reexamine_on}  # kept on every refusal
    try:
        if not category.strip():
            raise InputError(gettext(request)("Choose the fitness category."), field="category")
        until = _date(reexamine_on, "reexamine_on", request)
    except InputError as exc:
        return _case_page(request, case_id, status=exc.http_status, error=exc.message, field=exc.field, form=form)
    try:
        with UnitOfWork(ctx) as uow:
            medical.decide_fitness(uow, case_id, category, details=details, reexamine_on=until)
    except CallupError as exc:
        if exc.http_status in (403, 404):
            raise
        return _case_page(request, case_id, status=exc.http_status, error=_worded(request, exc, category), field=exc.field,
                          form=form)
    return redirect(f"/console/medical/cases/{case_id}/decided")


@router.get("/cases/{case_id}/decided")
def decided(request: Request, case_id: int):  # noqa: ANN201
    ctx = staff(request, *READERS)
    with UnitOfWork(ctx) as uow:
        seen = medical.examination(uow, case_id, reason="medical examination in the console")
    if seen.category is None:  # nothing decided yet: the examination itself
        return redirect(f"/console/medical/cases/{case_id}")
    return render(request, "console/medical_decided.html", seen=seen, ctx=ctx)
