"""What the site does at its edge before any page runs: request bodies over the limit are refused
before they are read, and cacheable public documents say one thing about caching."""

from __future__ import annotations

import pytest

from web_support import client, make_app, run_async

MB = 1024 * 1024


MULTIPART = (b'--xyz\r\nContent-Disposition: form-data; name="document"; filename="big.pdf"\r\n'
             b"Content-Type: application/pdf\r\n\r\n%PDF-")


def _send_raw(app, path: str, *, total: int, headers: list[tuple[bytes, bytes]], start: bytes) -> tuple[int, int]:  # noqa: ANN001
    """POST `start` and then `total` bytes in 64 KiB chunks straight into the ASGI app; (status, bytes the app pulled)."""
    chunk = b"x" * (64 * 1024)
    pulled = {"bytes": 0}
    status = {"code": 0}

    async def receive() -> dict:
        if pulled["bytes"] >= total:
            return {"type": "http.disconnect"}
        body = start + chunk if pulled["bytes"] == 0 else chunk
        pulled["bytes"] += len(body)
        return {"type": "http.request", "body": body, "more_body": pulled["bytes"] < total}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            status["code"] = message["status"]

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"testserver"), *headers], "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}
    run_async(app(scope, receive, send))
    return status["code"], pulled["bytes"]


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_an_unauthenticated_100_mb_upload_is_refused_before_it_is_read(site, declared):

    app = make_app(site)
    total = 100 * MB
    headers = [(b"content-type", b"multipart/form-data; boundary=xyz")]
    if declared:
        headers.append((b"content-length", str(total).encode()))
    status, pulled = _send_raw(app, "/portal/rights/deferral", total=total, headers=headers, start=MULTIPART)
    assert pulled <= 7 * MB, f"the app read {pulled // MB} MB"  # at most one allowed upload's worth
    assert status in (403, 413)  # never more than one allowed upload's worth, not the 100 MB


def test_a_large_form_on_a_page_without_uploads_is_refused_after_one_megabyte(site):

    app = make_app(site)
    status, pulled = _send_raw(app, "/signin", total=20 * MB, headers=[(b"content-type", b"application/x-www-form-urlencoded")],
                               start=b"reference=")
    assert pulled <= 2 * MB, f"the app read {pulled // MB} MB"
    assert status == 413


@pytest.mark.parametrize("path", ["/status/keys", "/public/campaigns/spring-2027/draw-record.json"])
def test_public_documents_send_one_cache_control_header(site, path):
    r = client(site).get(path)
    assert r.status_code == 200
    values = r.headers.get_list("cache-control")
    assert len(values) == 1 and values[0].startswith("public, max-age="), values


def test_pages_of_a_person_are_still_never_stored(site):
    r = client(site).get("/signin")
    assert r.headers.get_list("cache-control") == ["no-store"]
