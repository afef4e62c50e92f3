"""The portal's case pages: my applications and decisions (with reasons, ground, deadlines), each
linking to its appeal while one may be lodged, and the documents uploaded with them. Applying and
appealing are the rights' journeys (`callup.web.portal_rights`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from callup.cases import appeals, rights
from callup.cases.applications import may_apply
from callup.cases.views import my_cases
from callup.notices import service as notices
from callup.uow import UnitOfWork
from callup.web import documents
from callup.web.pages import citizen, csrf_guard, render

router = APIRouter(prefix="/portal", dependencies=[Depends(csrf_guard)], include_in_schema=False)


def _page(request: Request, *, status: int = 200, **values: Any) -> Any:
    ctx = citizen(request)
    today = ctx.today()
    with UnitOfWork(ctx, write=False) as uow:
        views = my_cases(uow)
        live = [v for v in notices.summonses_of(uow, ctx.actor.own_id()) if v.status not in ("cancelled", "superseded")]
        live = [v for v in live if may_apply(uow, v.campaign, ctx.actor.own_id())]  # the forms only where they can succeed
        appealable_ids = {v.id for v in views if v.kind != "appeal" and appeals.may_appeal(uow, v.id)}
        offers = rights.offers(uow)
    version = ctx.policy().in_force(today)
    return render(request, "portal/cases.html", status=status, views=views, campaign=live[0].campaign if live else None,
                  grounds=version.deferral_grounds, appealable=appealable_ids, uploads=documents.references, offers=offers,
                  remedy=version.appeals.further_remedy, **values)


@router.get("/cases")
def cases_page(request: Request, done: str = ""):  # noqa: ANN201
    return _page(request, done=done)


@router.get("/documents/{doc_id}")
def document(request: Request, doc_id: str) -> Response:
    ctx = citizen(request)
    with UnitOfWork(ctx, write=False) as uow:
        doc = documents.read(uow, doc_id)
    return Response(doc.content, media_type=doc.media_type, headers={"content-disposition": f'attachment; filename="{doc.filename}"'})
