"""The JSON API for officers and other systems (OpenAPI at /api/openapi.json).

Authentication: `POST /api/v1/token` with name, password and TOTP code gives a bearer token
(the same sealed session the console uses; 8 hours); send it as `Authorization: Bearer ...`.
Read-only calls also accept the browser's session cookie (a citizen's `GET /api/v1/me/status`);
calls that change something take only the bearer token, so no other site can make a browser
send them. Lists are paged with an opaque `cursor` (`next_cursor` of the previous page) and
filtered by their query parameters. Errors are problem+json (RFC 9457) with `field` naming the
input at fault; a record outside the caller's scope answers 404 like a missing one.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from callup.context import Actor, Context, Role
from callup.errors import Forbidden, InputError
from callup.military_service.standing import standing_of
from callup.notices import service as notices
from callup.uow import UnitOfWork
from callup.web.page_cache import kept, kept_now
from callup.web.pages import SignInNeeded, anyone, begin_session, session, signed_in, web
from callup.web.sessions import OFFICER

DESCRIPTION = __doc__
PROBLEM = {"content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "sign-in needed", **PROBLEM}, 403: {"description": "forbidden for this role", **PROBLEM},
    404: {"description": "not found or outside your scope", **PROBLEM}, 409: {"description": "not in a state that allows it", **PROBLEM},
    422: {"description": "invalid input", **PROBLEM}}


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    field: str | None = None


router = APIRouter(prefix="/api/v1", responses=ERRORS)
#: The citizen's status, which a whole country reloads at the announcement: tried before every other route.
first = APIRouter(prefix="/api/v1", responses=ERRORS)


def install_schema(app: Any) -> None:
    """The OpenAPI schema with the Problem type and the two ways of signing in."""
    from fastapi.openapi.utils import get_openapi

    def schema() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        made = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        components = made.setdefault("components", {})
        components.setdefault("schemas", {})["Problem"] = Problem.model_json_schema()
        components["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer", "description": "token from POST /api/v1/token"},
            "session": {"type": "apiKey", "in": "cookie", "name": "callup_session", "description": "the browser's session (reads only)"}}
        for path, operations in made["paths"].items():
            for operation in operations.values():
                if path != "/api/v1/token":
                    operation["security"] = [{"bearer": []}, {"session": []}]
        app.openapi_schema = made
        return made

    app.openapi = schema


# --- models -------------------------------------------------------------------------------------------------


class TokenRequest(BaseModel):
    name: str = Field(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f]+$")
    password: str = Field(min_length=1, max_length=1024)
    totp: str = Field(min_length=1, max_length=16, pattern=r"^[0-9 ]+$")


class Token(BaseModel):
    token: str
    token_type: Literal["bearer"] = "bearer"
    expires: dt.datetime


class PersonOut(BaseModel):
    national_id: str
    family_name: str
    given_names: str
    date_of_birth: dt.date
    sex: str
    citizenship: str
    region: str
    address: str
    postcode: str
    email: str | None = None
    phone: str | None = None
    civil_status: str
    volunteer: bool


class PersonListItem(BaseModel):
    national_id: str
    family_name: str
    given_names: str
    date_of_birth: dt.date
    region: str


class PersonPage(BaseModel):
    items: list[PersonListItem]
    next_cursor: str | None


class SummonsOut(BaseModel):
    reference: str
    campaign: str
    region: str
    pseudonym: str
    rank: int
    status: str
    office: str
    date: dt.date
    start: dt.time
    end: dt.time
    printed_at: dt.datetime | None
    published_at: dt.datetime | None
    delivered_at: dt.datetime | None
    delivery_source: str | None
    delivery_evidence: str | None
    acknowledged_at: dt.datetime | None
    closed_reason: str | None
    appearance: str | None
    appearance_at: dt.datetime | None = None


class MyStatus(BaseModel):
    status: str = Field(description="not summoned, summoned, appeared, in service, discharged, released or superseded "
                                    "(as the portal and the status document say)")
    summonses: list[SummonsOut]


class CampaignItem(BaseModel):
    name: str
    status: str
    quota: int
    window_start: dt.date
    window_end: dt.date
    pool_size: int | None


class CampaignPage(BaseModel):
    items: list[CampaignItem]
    next_cursor: str | None


class RegionOut(BaseModel):
    region: str
    pool: int
    volunteers: int
    quota: int
    number: int
    called: int
    released: int


class CampaignOut(BaseModel):
    name: str
    status: str
    jurisdiction: str
    policy_version: str
    window_start: dt.date
    window_end: dt.date
    eligibility_date: dt.date
    quota: int
    over_call_rate: str
    allocation_method: str
    pool_size: int | None
    pool_fingerprint: str | None
    commitment_hash: str | None
    beacon_value: str | None
    seed: str | None
    regions: list[RegionOut]
    called: int
    released: int


class NoticeReport(BaseModel):
    campaign: str
    by_status: dict[str, int]
    by_region: dict[str, dict[str, int]]
    delivery_sources: dict[str, int]
    printed: int
    published: int
    appeared: int
    no_show: int


class FollowUpItem(BaseModel):
    reference: str
    region: str
    reason: str
    since: dt.datetime | None


class FollowUpPage(BaseModel):
    items: list[FollowUpItem]
    next_cursor: str | None


class AppearanceIn(BaseModel):
    outcome: Literal["appeared", "no_show"]


# --- helpers ------------------------------------------------------------------------------------------------


def _cursor(value: str | None) -> str | None:
    """The position inside an opaque cursor made by `_next`; an `InputError` naming `cursor` otherwise."""
    if not value:
        return None
    try:
        text = base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_", validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        text = ""
    if not text.startswith("c1:"):
        raise InputError("cursor: not a cursor returned by this API", field="cursor")
    return text[3:]


def _next(value: str | None) -> str | None:
    return base64.urlsafe_b64encode(f"c1:{value}".encode()).rstrip(b"=").decode() if value is not None else None


def _reader(request: Request) -> Context:
    return anyone(request)


def _writer(request: Request) -> Context:
    """Changes need a bearer token: a cookie alone (which any site can make a browser send) is not enough."""
    if not request.headers.get("authorization", "").lower().startswith("bearer "):
        raise SignInNeeded("send a bearer token (POST /api/v1/token) for calls that change something")
    return anyone(request)


def _staff_reader(request: Request) -> Context:
    ctx = anyone(request)
    if ctx.actor.role is Role.citizen:
        raise Forbidden("this call is for the administration")
    return ctx


def _summons(view: notices.SummonsView) -> SummonsOut:
    import dataclasses

    return SummonsOut(**dataclasses.asdict(view))


Limit = Annotated[int, Query(ge=1, le=500, description="items per page")]
Cursor = Annotated[str | None, Query(max_length=400, description="next_cursor of the previous page")]


# --- endpoints ----------------------------------------------------------------------------------------------


@router.post("/token", response_model=Token, tags=["sign-in"], responses={429: {"description": "too many attempts", **PROBLEM}})
def token(request: Request, body: Annotated[TokenRequest, Body()]) -> Token:
    """A bearer token for a user of the administration (password and TOTP code, attempt-limited)."""
    from callup.web.accounts import officer_sign_in
    from callup.web.sessions import for_actor

    w = web(request)
    actor = officer_sign_in(w.context(Actor(name="web", role=Role.system)), body.name, body.password, body.totp,
                            address=request.client.host if request.client else "unknown")
    if actor is None:
        raise SignInNeeded("the name, password or one-time code is not right")
    s = for_actor(actor)
    return Token(token=begin_session(request, s), expires=dt.datetime.fromtimestamp(s.expires, dt.UTC))


@router.delete("/token", status_code=204, tags=["sign-in"])
def end_token(request: Request) -> None:
    """End the bearer token's session (signing out a system or script): the token stops working at once."""
    from callup.web import session_records

    _writer(request)
    with UnitOfWork(web(request).context(Actor(name="web", role=Role.system))) as uow:
        session_records.end(uow, signed_in(request, kind=OFFICER))


def _status_key(request: Request, me: Any, ctx: Context) -> tuple:
    return ("api status", ctx.actor.own_id(), ctx.today())


@first.get("/me/status", response_model=MyStatus, tags=["citizens"])
async def my_status(request: Request) -> Response:
    """The signed-in citizen's status and summonses."""
    # As the portal's status page: a reload this worker can answer from memory stays on the event loop.
    found = kept_now(request, _status_key)
    return _json(found if found is not None else await run_in_threadpool(_my_status, request))


def _my_status(request: Request) -> bytes:
    s = session(request)
    ctx = anyone(request)
    if s is None or ctx.actor.role is not Role.citizen:
        raise Forbidden("this call is for a signed-in citizen")
    # The portal's standing, so the page, the status document and this answer say the same.

    def answer() -> bytes:
        standing = web(request).read(ctx, lambda uow: standing_of(uow, ctx.actor.own_id()), request=request)
        return MyStatus(status=standing.status or "not summoned",
                        summonses=[_summons(v) for v in standing.summonses]).model_dump_json().encode()

    return kept(request, ctx, _status_key(request, s, ctx), answer)


def _json(body: bytes) -> Response:
    return Response(body, media_type="application/json")


@router.get("/people", response_model=PersonPage, tags=["register"])
def list_people(ctx: Annotated[Context, Depends(_staff_reader)], q: Annotated[str, Query(max_length=128)] = "",
                region: Annotated[str | None, Query(max_length=16)] = None, cursor: Cursor = None, limit: Limit = 50) -> PersonPage:
    """People in your regions: filter by national id or family-name prefix (`q`) and `region`."""
    from callup.register import search as people

    with UnitOfWork(ctx) as uow:
        rows = people.search(uow, q, region=region, after=_cursor(cursor), limit=limit)
    return PersonPage(items=[PersonListItem(**r.__dict__) for r in rows],
                      next_cursor=_next(rows[-1].national_id) if len(rows) == limit else None)


@router.get("/people/{national_id}", response_model=PersonOut, tags=["register"])
def get_person(ctx: Annotated[Context, Depends(_reader)], national_id: Annotated[str, Path(max_length=32)],
               reason: Annotated[str | None, Query(max_length=300, description="why the record is read (audited)")] = None) -> PersonOut:
    """One person's register record; the read is recorded in the audit log with its reason."""
    from callup.register.queries import get_person as read

    with UnitOfWork(ctx) as uow:
        record = read(uow, national_id, reason=reason)
    return PersonOut(**{k: record[k] for k in PersonOut.model_fields})


@router.get("/people/{national_id}/summonses", response_model=list[SummonsOut], tags=["notices"])
def person_summonses(ctx: Annotated[Context, Depends(_reader)], national_id: Annotated[str, Path(max_length=32)]) -> list[SummonsOut]:
    """A person's summonses, newest first (a citizen: only their own)."""
    from callup.register.queries import check_person

    with UnitOfWork(ctx) as uow:  # writes: a staff read is audited
        check_person(uow, national_id)
        return [_summons(v) for v in notices.summonses_of(uow, national_id)]


@router.get("/campaigns", response_model=CampaignPage, tags=["campaigns"])
def campaigns(ctx: Annotated[Context, Depends(_staff_reader)],
              status: Annotated[Literal["open", "frozen", "committed", "drawn", "closed"] | None, Query()] = None,
              cursor: Cursor = None, limit: Limit = 50) -> CampaignPage:
    """Campaigns in creation order, filtered by `status`."""
    from callup.campaigns.service import list_campaigns

    with UnitOfWork(ctx, write=False) as uow:  # one more than the page: is there a next one?
        rows = list_campaigns(uow, status=status, after=_cursor(cursor), limit=limit + 1)
    page = rows[:limit]
    return CampaignPage(items=[CampaignItem(**r.__dict__) for r in page],
                        next_cursor=_next(page[-1].name) if len(rows) > limit else None)


@router.get("/campaigns/{name}", response_model=CampaignOut, tags=["campaigns"])
def campaign(ctx: Annotated[Context, Depends(_staff_reader)], name: Annotated[str, Path(max_length=128)]) -> CampaignOut:
    """A campaign's state and allocation (a regional user: their regions' rows)."""
    from callup.campaigns.service import campaign_summary

    with UnitOfWork(ctx, write=False) as uow:
        s = campaign_summary(uow, name)
    values = {k: v for k, v in s.__dict__.items() if k not in ("window", "regions", "shortfall")}
    return CampaignOut(**values, window_start=s.window[0], window_end=s.window[1],
                       regions=[RegionOut(**r.__dict__) for r in s.regions])


@router.get("/campaigns/{name}/notices", response_model=NoticeReport, tags=["notices"])
def notice_report(ctx: Annotated[Context, Depends(_staff_reader)], name: Annotated[str, Path(max_length=128)]) -> NoticeReport:
    """Summonses of a campaign counted by state, region and kind of delivery evidence."""
    with UnitOfWork(ctx, write=False) as uow:
        report = notices.status_report(uow, name)
    return NoticeReport(**report.__dict__)


@router.get("/campaigns/{name}/follow-up", response_model=FollowUpPage, tags=["notices"])
def follow_up(ctx: Annotated[Context, Depends(_staff_reader)], name: Annotated[str, Path(max_length=128)],
              region: Annotated[str | None, Query(max_length=16)] = None,
              reason: Annotated[Literal["returned", "unconfirmed", "no_show"] | None, Query()] = None,
              days: Annotated[int, Query(ge=0, le=3650)] = 14, cursor: Cursor = None, limit: Limit = 50) -> FollowUpPage:
    """Summonses that need an officer: returned letters, no evidence of delivery after `days`, no-shows."""
    with UnitOfWork(ctx) as uow:  # writes: the reads are audited
        items = notices.follow_up(uow, name, days=days)
    kinds = {"returned": "returned", "unconfirmed": "no evidence", "no_show": "did not appear"}
    items = [f for f in items if (region is None or f.region == region) and (reason is None or f.reason.startswith(kinds[reason]))]
    after = _cursor(cursor)
    if after is not None:
        refs = [f"{f.reason[:8]}:{f.reference}" for f in items]
        items = items[refs.index(after) + 1:] if after in refs else []
    page = items[:limit]
    return FollowUpPage(items=[FollowUpItem(**f.__dict__) for f in page],
                        next_cursor=_next(f"{page[-1].reason[:8]}:{page[-1].reference}") if len(items) > limit else None)


@router.get("/summonses/{reference}", response_model=SummonsOut, tags=["notices"])
def summons(ctx: Annotated[Context, Depends(_reader)], reference: Annotated[str, Path(max_length=64)]) -> SummonsOut:
    """One summons (a citizen: only their own)."""
    with UnitOfWork(ctx) as uow:  # writes: a staff read is audited
        return _summons(notices.view(uow, reference))


@router.post("/summonses/{reference}/appearance", response_model=SummonsOut, tags=["notices"])
def appearance(ctx: Annotated[Context, Depends(_writer)], reference: Annotated[str, Path(max_length=64)],
               body: Annotated[AppearanceIn, Body()]) -> SummonsOut:
    """Record whether the person appeared at the appointment (officers of the summons' region, administrators)."""
    with UnitOfWork(ctx) as uow:
        return _summons(notices.record_appearance(uow, reference, body.outcome))


@router.post("/summonses/{reference}/acknowledge", response_model=SummonsOut, tags=["notices"])
def acknowledge(request: Request, ctx: Annotated[Context, Depends(_writer)], reference: Annotated[str, Path(max_length=64)]) -> SummonsOut:
    """Acknowledge a summons (delivery evidence): the person themselves, or an officer at the office's counter."""
    s = signed_in(request, kind=OFFICER)
    with UnitOfWork(ctx) as uow:
        return _summons(notices.acknowledge(uow, reference, evidence=f"api session {s.sid[:12]}"))


# --- case work -------------------------------------------------------------------------------------------


class CaseItem(BaseModel):
    id: int
    kind: str
    campaign: str
    region: str
    state: str
    ground: str | None
    opened_at: dt.datetime
    age_days: int
    check_result: str | None


class CasePage(BaseModel):
    items: list[CaseItem]
    next_cursor: str | None


class CaseStep(BaseModel):
    seq: int
    from_state: str
    step: str
    to_state: str
    at: dt.datetime
    role: str
    reason: str | None


class CaseOut(BaseModel):
    id: int
    kind: str
    campaign: str
    region: str
    state: str
    allowed_steps: list[str]
    ground: str | None
    evidence: str | None
    opened_at: dt.datetime
    decided_at: dt.datetime | None
    decided_role: str | None
    decision_reason: str | None
    appeal_deadline: dt.date | None
    until: dt.date | None
    appeals_case: int | None
    check_result: str | None
    history: list[CaseStep]


class DecisionIn(BaseModel):
    decision: Literal["grant", "refuse", "uphold", "overturn"]
    reason: str = Field(min_length=1, max_length=4000)
    until: dt.date | None = None


def _case_out(view: Any) -> CaseOut:
    values = {k: getattr(view, k) for k in CaseOut.model_fields if k != "history"}
    return CaseOut(**values, history=[CaseStep(seq=h.seq, from_state=h.from_state, step=h.step, to_state=h.to_state, at=h.at,
                                               role=h.role, reason=h.reason) for h in view.history])


@router.get("/cases", response_model=CasePage, tags=["cases"])
def case_queue(ctx: Annotated[Context, Depends(_staff_reader)],
               kind: Annotated[Literal["medical", "deferral", "exemption", "civilian_service", "appeal", "no_show"] | None,
                               Query()] = None,
               campaign: Annotated[str | None, Query(max_length=128)] = None,
               region: Annotated[str | None, Query(max_length=16)] = None,
               cursor: Cursor = None, limit: Limit = 50) -> CasePage:
    """Cases waiting for someone to act in your regions, oldest first, with their age and registry check."""
    from callup.cases import views
    from callup.cases.kinds import CaseKind

    after = _cursor(cursor)
    start = None if after is None else int(after) if after.isdigit() else 0  # 0: no such case, an empty page
    with UnitOfWork(ctx, write=False) as uow:  # one more than the page: is there a next one?
        items = views.queue(uow, kind=CaseKind(kind) if kind else None, campaign=campaign, region=region, after=start,
                            limit=limit + 1)
    page = items[:limit]
    return CasePage(items=[CaseItem(**i.__dict__) for i in page],
                    next_cursor=_next(str(page[-1].id)) if len(items) > limit else None)

@router.get("/cases/{case_id}", response_model=CaseOut, tags=["cases"])
def case(ctx: Annotated[Context, Depends(_reader)], case_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
         reason: Annotated[str | None, Query(max_length=300, description="why the case is read (audited)")] = None) -> CaseOut:
    """One case with its history (a citizen: only their own); the read is audited."""
    from callup.cases import views

    with UnitOfWork(ctx) as uow:
        return _case_out(views.case_view(uow, case_id, reason=reason))

@router.post("/cases/{case_id}/decision", response_model=CaseOut, tags=["cases"])
def decide_case(ctx: Annotated[Context, Depends(_writer)], case_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
                body: Annotated[DecisionIn, Body()]) -> CaseOut:
    """Grant or refuse an application (a deferral with its end date), or uphold or overturn an appeal, with reasons."""
    from callup.cases.decisions import decide_case

    if ctx.actor.role not in (Role.administrator, Role.officer):
        raise Forbidden("deciding cases needs the role administrator or officer")
    with UnitOfWork(ctx) as uow:
        return _case_out(decide_case(uow, case_id, body.decision, reason=body.reason, until=body.until))
