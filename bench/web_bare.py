"""The bare FastAPI endpoint the web benchmark compares against: no store, no session, no template."""

from fastapi import FastAPI

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/ping")
def ping() -> dict[str, bool]:
    return {"ok": True}
