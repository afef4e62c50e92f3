"""The portal's case pages: my applications and decisions (with reasons, ground, deadlines),
applying for deferral or alternative civilian service with an uploaded document, appealing a
decision before its deadline."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from callup.cases import appeals, civilian, deferrals, rights
from callup.cases.applications import may_apply
from callup.cases.views import my_cases
from callup.errors import CallupError
from callup.notices import service as notices
from callup.uow import UnitOfWork
from callup.web import documents
from callup.web.pages import citizen, csrf_guard, redirect, render

router = APIRouter(prefix="/portal", dependencies=[Depends(csrf_guard)], include_in_schema=False)


def _page(request: Request, *, status: int = 200, **values: Any) -> Any:
    ctx = citizen(request)
    today = ctx.today()
    with UnitOfWork(ctx, write=False) as uow:
        views = my_cases(uow)
        live = [v for v in notices.summonses_of(uow, ctx.actor.person_id) if v.status not in ("cancelled", "superseded")]
        live = [v for v in live if may_apply(uow, v.campaign, ctx.actor.person_id)]  # the forms only where they can succeed
        appealable_ids = {v.id for v in views if v.kind != "appeal" and appeals.may_appeal(uow, v.id)}
        offers = rights.offers(uow)
    version = ctx.policy().in_force(today)
    return render(request, "portal/cases.html", status=status, views=views, campaign=live[0].campaign if live else None,
                  grounds=version.deferral_grounds, appealable=appealable_ids, uploads=documents.references, offers=offers,
                  remedy=version.appeals.further_remedy, **values)


@router.get("/cases")
def cases_page(request: Request, done: str = ""):  # noqa: ANN201
    return _page(request, done=done)


async def _upload(file: UploadFile | None) -> bytes | None:
    if file is None or not file.filename:
        return None
    data = await file.read(documents.MAX_BYTES + 1)
    return data


def _evidence(uow: UnitOfWork, text: str, data: bytes | None) -> str | None:
    parts = [" ".join(text.split())[:300]] if text.strip() else []
    if data is not None:
        parts.append(f"upload:{documents.store(uow, data)}")
    return "; ".join(parts) or None


@router.post("/cases/deferral")
async def apply_deferral(request: Request, ground: Annotated[str, Form(max_length=64)] = "",
                         evidence: Annotated[str, Form(max_length=300)] = "",
                         document: Annotated[UploadFile | None, File()] = None):  # noqa: ANN201
    from starlette.concurrency import run_in_threadpool

    data = await _upload(document)
    return await run_in_threadpool(_apply, request, "deferral", ground=ground, text=evidence, data=data)


@router.post("/cases/civilian")
async def apply_civilian(request: Request, statement: Annotated[str, Form(max_length=4000)] = "",
                         evidence: Annotated[str, Form(max_length=300)] = "",
                         document: Annotated[UploadFile | None, File()] = None):  # noqa: ANN201
    from starlette.concurrency import run_in_threadpool

    data = await _upload(document)
    return await run_in_threadpool(_apply, request, "civilian", statement=statement, text=evidence, data=data)


def _apply(request: Request, kind: str, *, text: str, data: bytes | None, ground: str = "", statement: str = "") -> Any:
    ctx = citizen(request)
    try:
        with UnitOfWork(ctx) as uow:
            live = [v for v in notices.summonses_of(uow, ctx.actor.person_id) if v.status not in ("cancelled", "superseded")]
            if not live:
                from callup.errors import StateError

                raise StateError("you have no live summons to apply against")
            evidence = _evidence(uow, text, data)
            if kind == "deferral":
                deferrals.apply_for_deferral(uow, live[0].campaign, ctx.actor.person_id, ground, evidence=evidence)
            else:
                civilian.apply_for_civilian_service(uow, live[0].campaign, ctx.actor.person_id, statement=statement,
                                                    evidence=evidence)
    except CallupError as exc:
        return _page(request, status=exc.http_status, error=exc.message, field=exc.field, form=kind)
    return redirect("/portal/cases?done=applied")


@router.post("/cases/{case_id}/appeal")
def appeal(request: Request, case_id: int, reason: Annotated[str, Form(max_length=4000)] = ""):  # noqa: ANN201
    ctx = citizen(request)
    try:
        with UnitOfWork(ctx) as uow:
            appeals.lodge_appeal(uow, case_id, reason=reason)
    except CallupError as exc:
        return _page(request, status=exc.http_status, error=exc.message, field=exc.field, form=f"appeal-{case_id}")
    return redirect("/portal/cases?done=appealed")


@router.get("/documents/{doc_id}")
def document(request: Request, doc_id: str) -> Response:
    ctx = citizen(request)
    with UnitOfWork(ctx, write=False) as uow:
        doc = documents.read(uow, doc_id)
    return Response(doc.content, media_type=doc.media_type, headers={"content-disposition": f'attachment; filename="{doc.filename}"'})
