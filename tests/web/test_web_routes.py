"""The app adds each feature's routes as they are (callup.web.app.create_app) instead of through FastAPI's
include_router, which builds them again for every app: the routes must be the ones include_router gives."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from callup.web.app import feature_routers


def _apps() -> tuple[FastAPI, FastAPI]:
    added, included = FastAPI(), FastAPI()
    for router in feature_routers():
        added.router.routes.extend(router.routes)
        included.include_router(router)
    return added, included


def test_the_added_routes_have_the_paths_names_and_schema_include_router_gives():
    added, included = _apps()
    routes = [r for r in added.routes if isinstance(r, APIRoute)]
    assert len(routes) > 50  # every feature's pages and API
    for route in routes:
        params = {name: "1" for name in route.param_convertors}
        assert added.url_path_for(route.name, **params) == included.url_path_for(route.name, **params), route.name

    def schema(app: FastAPI) -> dict:
        return get_openapi(title="callup", version="1", routes=app.routes)

    assert schema(added) == schema(included)
    assert len(schema(added)["paths"]) > 10  # the JSON API is in it


def test_the_added_routes_keep_their_router_s_dependencies():
    for router in feature_routers():
        for route in router.routes:
            assert all(d in route.dependencies for d in router.dependencies), (route.path, "lost its router's guard")
