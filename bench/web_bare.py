"""The bare FastAPI endpoints the web benchmark compares against: no session, no template.

`/ping` touches nothing; `/one-read` makes one round trip to the store (`SELECT 1` on a pooled
SQLAlchemy connection to `CALLUP_DATABASE_URL`), the least a page that checks its session can do.
"""

import functools
import os

from fastapi import FastAPI
from sqlalchemy import create_engine, text

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
ONE = text("SELECT 1")


@functools.cache
def _engine():  # noqa: ANN202
    return create_engine(os.environ["CALLUP_DATABASE_URL"], isolation_level="AUTOCOMMIT", pool_size=16, max_overflow=16)


@app.get("/ping")
def ping() -> dict[str, bool]:
    return {"ok": True}


@app.get("/one-read")
def one_read() -> dict[str, bool]:
    with _engine().connect() as conn:
        return {"ok": conn.execute(ONE).scalar() == 1}
