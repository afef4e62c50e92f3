"""The console's case pages: applications and appeals waiting in my region (with the automatic
registry check's result), one case with its history and uploaded documents, and the decision
form with reasons (and, for a deferral, its end date)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from callup.cases import decisions, views
from callup.cases.errors import CaseChanged
from callup.context import Role
from callup.errors import CallupError, Forbidden, InputError
from callup.uow import UnitOfWork
from callup.web import documents
from callup.web.pages import csrf_guard, gettext, redirect, render, staff

router = APIRouter(prefix="/console", dependencies=[Depends(csrf_guard)], include_in_schema=False)
DECIDERS = (Role.administrator, Role.officer)


def queue(uow: UnitOfWork) -> list[views.QueueItem]:
    """Applications and appeals waiting for an officer (the medical board's cases have their own place)."""
    if uow.ctx.actor.role not in (Role.administrator, Role.officer, Role.auditor):
        return []
    return [item for item in views.queue(uow) if item.kind in ("deferral", "exemption", "civilian_service", "appeal")]


@router.get("/cases")
def cases(request: Request):  # noqa: ANN201
    ctx = staff(request)
    with UnitOfWork(ctx, write=False) as uow:
        items = queue(uow)
    return render(request, "console/cases.html", items=items, ctx=ctx)


def _case_page(request: Request, case_id: int, *, status: int = 200, **values: Any) -> Any:
    ctx = staff(request)
    with UnitOfWork(ctx) as uow:
        case = views.case_view(uow, case_id, reason="case work in the console")
        contested = views.case_view(uow, case.appeals_case, reason="case work in the console") if case.appeals_case else None
    values.setdefault("form", {})
    # The decision's author never decides its appeal (the service refuses it): the form is not offered to them.
    own = contested is not None and contested.decided_by == ctx.actor.label()
    return render(request, "console/case.html", status=status, case=case, contested=contested, own_decision=own,
                  uploads=documents.references, written=documents.written, ctx=ctx, decides=ctx.actor.role in DECIDERS and not own, **values)


@router.get("/cases/{case_id}")
def case(request: Request, case_id: int, done: str = ""):  # noqa: ANN201
    return _case_page(request, case_id, done=done)


@router.post("/cases/{case_id}/decision")
def decide(request: Request, case_id: int, decision: Annotated[str, Form(max_length=16)] = "",
           reason: Annotated[str, Form(max_length=4000)] = "", until: Annotated[str, Form(max_length=10)] = "",
           version: Annotated[str, Form(max_length=12)] = ""):  # noqa: ANN201
    ctx = staff(request)
    if ctx.actor.role not in DECIDERS:
        raise Forbidden("deciding cases needs the role administrator or officer")
    try:  # a wrong date comes back beside its field with everything typed kept
        try:
            end = dt.date.fromisoformat(until.strip()) if until.strip() else None
        except ValueError:
            raise InputError("until: not a date; write it as YYYY-MM-DD, e.g. 2028-03-31", field="until") from None
        with UnitOfWork(ctx) as uow:
            decisions.decide_case(uow, case_id, decision, reason=reason, until=end,
                                  version=int(version) if version.isdigit() else None)
    except CaseChanged:  # another officer's step came first: the page shows the case as it is now
        _ = gettext(request)
        changed = _("The case changed while you were deciding: your decision was not recorded. Here is the case as it is now.")
        return _case_page(request, case_id, status=409, error=changed, field=None,
                          form={"decision": decision, "reason": reason, "until": until})
    except CallupError as exc:
        if exc.http_status == 404:
            raise
        return _case_page(request, case_id, status=exc.http_status, error=exc.message, field=exc.field,
                          form={"decision": decision, "reason": reason, "until": until})
    return redirect(f"/console/cases/{case_id}?done=decided")


@router.get("/documents/{doc_id}")
def document(request: Request, doc_id: str) -> Response:
    ctx = staff(request)
    with UnitOfWork(ctx) as uow:
        doc = documents.read(uow, doc_id)
    return Response(doc.content, media_type=doc.media_type, headers={"content-disposition": f'attachment; filename="{doc.filename}"'})
