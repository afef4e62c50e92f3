"""What the operators' view costs per request: request id, access log line and metrics (`callup.web.logs.Observe`).

One FastAPI endpoint shaped like the status API (`/status/{reference}`, a small JSON answer),
called in-process through ASGI (no network, no server: the middleware's cost is not hidden in
the noise of sockets), with and without `Observe` in front; the access lines are formatted as
JSON and written to /dev/null. Rounds alternate between the two apps; medians are reported,
with the difference (the overhead) and the ratio.

    .venv/bin/python bench/bench_observe.py                 # 7 rounds of 5,000 requests
    .venv/bin/python bench/bench_observe.py --rounds 3 --requests 2000
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import time


def make_app(observed: bool):  # noqa: ANN201
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse

    from callup.web.logs import Observe

    app = FastAPI()

    @app.get("/status/{reference}")
    async def status(reference: str) -> JSONResponse:
        return JSONResponse({"reference_length": len(reference), "status": "sent"})

    if observed:
        app.add_middleware(Observe)
    return app


async def per_request(app, n: int) -> float:  # noqa: ANN001
    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        pass

    started = time.perf_counter()
    for i in range(n):
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
                 "path": f"/status/ABCD-{i:08d}", "raw_path": b"", "query_string": b"", "root_path": "",
                 "headers": [(b"host", b"portal.example")], "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
        await app(scope, receive, send)
    return (time.perf_counter() - started) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=5000)
    args = parser.parse_args()
    from callup.web.logs import JsonFormatter

    handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115 - for the process's life
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("callup")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    apps = {"bare": make_app(False), "observed": make_app(True)}
    for app in apps.values():
        asyncio.run(per_request(app, 200))  # warm-up
    times: dict[str, list[float]] = {name: [] for name in apps}
    for _ in range(args.rounds):
        for name, app in apps.items():
            times[name].append(asyncio.run(per_request(app, args.requests)))
    bare, observed = statistics.median(times["bare"]), statistics.median(times["observed"])
    print(f"endpoint alone: {bare:.1f} us/request (median of {args.rounds} rounds of {args.requests:,})")
    print(f"with Observe:   {observed:.1f} us/request")
    print(f"overhead:       {observed - bare:.1f} us/request ({observed / bare:.2f}x the endpoint alone)")


if __name__ == "__main__":
    main()
