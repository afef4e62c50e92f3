"""The office's day sheet: who is expected today at one office, and the appearances recorded from it
in one submit (one transaction; each person's outcome audited on its own). A refused line comes back
beside its person with every choice of the form kept, and nothing recorded."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from callup.context import Role
from callup.errors import CallupError, Forbidden
from callup.notices import daysheet, service as notices
from callup.uow import UnitOfWork
from callup.web.pages import csrf_guard, gettext, redirect, render, staff

router = APIRouter(prefix="/console", dependencies=[Depends(csrf_guard)], include_in_schema=False)
RECORDERS = (Role.administrator, Role.officer)
MAX_LINES = 1000


def _page(request: Request, office: str, *, status: int = 200, **values: Any) -> Any:
    ctx = staff(request, Role.administrator, Role.officer, Role.auditor)
    with UnitOfWork(ctx) as uow:  # writes: each line's read is audited
        sheet = daysheet.day_sheet(uow, office=office or None)
    values.setdefault("chosen", {})
    values.setdefault("done", None)
    return render(request, "console/day.html", status=status, sheet=sheet, ctx=ctx, records=ctx.actor.role in RECORDERS, **values)


@router.get("/day")
def day(request: Request, office: str = "", done: int | None = None):  # noqa: ANN201
    return _page(request, office, done=done)


@router.post("/day")
async def record(request: Request):  # noqa: ANN201
    ctx = staff(request, Role.administrator, Role.officer, Role.auditor)
    if ctx.actor.role not in RECORDERS:
        raise Forbidden("recording appearances needs the role administrator or officer")
    form = await request.form()
    office = str(form.get("office", ""))[:32]
    chosen: dict[str, str] = {}
    choices = []
    for key, value in list(form.multi_items())[:3 * MAX_LINES]:
        if key.startswith("outcome-") and isinstance(value, str) and value:
            reference = key.removeprefix("outcome-")[:32]
            shown = form.get(f"shown-{reference}")
            chosen[reference] = value[:16]
            choices.append(notices.AppearanceChoice(reference, value[:16], shown if isinstance(shown, str) and shown else None))
    if not choices:
        _ = gettext(request)
        return _page(request, office, status=422, error=_("Choose Came or Did not come for at least one person."), field=None)
    try:
        with UnitOfWork(ctx) as uow:
            recorded = notices.record_appearances(uow, choices)
    except notices.AppearancesRefused as exc:
        _ = gettext(request)
        return _page(request, office, status=409, chosen=chosen, refusals=exc.refusals,
                     error=_("Nothing was recorded: the people marked below could not be recorded. Correct them and send the sheet again."))
    except CallupError as exc:
        if exc.http_status in (403, 404):
            raise
        return _page(request, office, status=exc.http_status, chosen=chosen, error=exc.message, field=None)
    return redirect(f"/console/day?office={office}&done={len(recorded)}")
