"""A real local SMTP server (aiosmtpd) and a fake SMS provider (an HTTP server), started by the tests."""

from __future__ import annotations

import contextlib
import email
import email.policy
import http.server
import json
import socket
import threading
from collections.abc import Iterator

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """What the SMTP server received; refuses (550) any recipient in `refuse`."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.refuse: set[str] = set()
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope: Envelope, address: str, rcpt_options):  # noqa: ANN001, ANN201, N802
        if address in self.refuse:
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope: Envelope):  # noqa: ANN001, ANN201, N802
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[email.message.Message]:
        return [m for m in self.messages if m["To"] == address]


@contextlib.contextmanager
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


class SmsProvider:
    """What the fake provider received; answers 503 to the next `busy` requests, 400 to numbers in `refuse`."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.received: list[dict] = []
        self.busy = 0
        self.refuse: set[str] = set()
        self.lock = threading.Lock()
        self.first_word = "delivered"  # the status answered when a message is taken ("sending": the final word comes later)
        self.later: dict[str, str] = {}  # message id -> the status answered when asked about it afterwards
        self.asked: list[str] = []


@contextlib.contextmanager
def sms_server(key: str = "test-key") -> Iterator[tuple[SmsProvider, str]]:
    provider = SmsProvider(key)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with provider.lock:
                if self.headers.get("Authorization") != f"Bearer {provider.key}":
                    return self._answer(401, {"error": "bad key"})
                if provider.busy:
                    provider.busy -= 1
                    return self._answer(503, {"error": "busy"})
                if body["to"] in provider.refuse:
                    return self._answer(400, {"error": "not a mobile number"})
                provider.received.append(body)
                return self._answer(201, {"id": f"sms-{len(provider.received)}", "status": provider.first_word})

        def do_GET(self) -> None:  # noqa: N802
            with provider.lock:
                if self.headers.get("Authorization") != f"Bearer {provider.key}":
                    return self._answer(401, {"error": "bad key"})
                ref = self.path.rstrip("/").rpartition("/")[2]
                provider.asked.append(ref)
                return self._answer(200, {"id": ref, "status": provider.later.get(ref, "sending")})

        def _answer(self, status: int, data: dict) -> None:
            raw = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args) -> None:  # noqa: ANN002
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # shutdown() waits for the loop's next poll: at the default half second it cost 0.45 s a server
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield provider, f"http://127.0.0.1:{server.server_address[1]}/v1/messages"
    finally:
        server.shutdown()
        server.server_close()
