"""How reminders leave: e-mail through an SMTP server (the standard library's `smtplib`) and text
messages through an SMS provider's HTTP interface.

A channel answers each message with an `Outcome` in GOV.UK Notify's terms: `delivered` (the
server or provider accepted it for the recipient), `sending` (the provider took it and will say
later), `permanent-failure` (refused for good: no such mailbox or number) or `temporary-failure`
(unreachable, busy, rate-limited: worth another attempt). An outcome's `detail` is the server's
status code and words, never the address or the text, so it can be kept as evidence and logged.

Configuration comes from the edge (`environment.channels_from`), never read here.
"""

from __future__ import annotations

import dataclasses
import json
import smtplib
import ssl
import urllib.error
import urllib.parse
import urllib.request
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol

DELIVERED, SENDING = "delivered", "sending"
PERMANENT, TEMPORARY = "permanent-failure", "temporary-failure"


@dataclasses.dataclass(frozen=True)
class Outcome:
    state: str  # delivered, sending, permanent-failure or temporary-failure
    detail: str  # the server's answer, without the address or the text
    provider_ref: str | None = None


@dataclasses.dataclass(frozen=True)
class Message:
    to: str
    subject: str
    body: str
    reference: str  # our id of the message, given to the provider (no personal data)


class Channel(Protocol):
    name: str

    def send(self, message: Message) -> Outcome:
        """Hand `message` over; never raises for a failure the provider reports (it is an outcome)."""

    def status(self, provider_ref: str) -> Outcome:
        """The provider's word now on a message it took as `sending` (still `sending` if none yet)."""


@dataclasses.dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    sender: str = "reminders@localhost"
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 30.0


class SmtpChannel:
    """E-mail through one SMTP server (a relay of the administration's)."""

    name = "email"

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def send(self, message: Message) -> Outcome:
        s = self.settings
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = s.sender, message.to, message.subject
        domain = s.sender.rpartition("@")[2] or "localhost"
        mail["Message-ID"] = make_msgid(idstring=message.reference, domain=domain)
        mail.set_content(message.body)
        try:
            with smtplib.SMTP(s.host, s.port, timeout=s.timeout) as smtp:
                if s.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if s.username:
                    smtp.login(s.username, s.password or "")
                refused = smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            return _smtp_refusal(next(iter(exc.recipients.values()), (550, b"")))
        except smtplib.SMTPResponseException as exc:
            return _smtp_refusal((exc.smtp_code, exc.smtp_error))
        except (OSError, smtplib.SMTPException) as exc:
            return Outcome(TEMPORARY, f"SMTP server not reachable ({type(exc).__name__})")
        if refused:  # one recipient only, so a partial refusal is the refusal
            return _smtp_refusal(next(iter(refused.values())))
        return Outcome(DELIVERED, "250 accepted by the SMTP server", mail["Message-ID"])

    def status(self, provider_ref: str) -> Outcome:
        return Outcome(DELIVERED, "accepted by the SMTP server")  # SMTP has no later word: accepted is final


def _smtp_refusal(answer: tuple[int, bytes | str]) -> Outcome:
    # The server's words may quote the address (550 <x@y>: no such user): keep the code only.
    code = answer[0]
    detail = f"{code} refused by the SMTP server" + (" (no such mailbox)" if code in (550, 551, 553) else "")
    return Outcome(PERMANENT if 500 <= code < 600 else TEMPORARY, detail)


@dataclasses.dataclass(frozen=True)
class SmsSettings:
    url: str  # the provider's messages endpoint
    key: str  # its API key, sent as a bearer token
    sender: str = "callup"
    timeout: float = 30.0


class HttpSmsChannel:
    """Text messages through a provider's JSON interface: `POST {url}` with `{"to", "body", "sender",
    "reference"}` and `Authorization: Bearer {key}`; its answer `{"id", "status"}` where status is
    one of Notify's (sending, delivered, permanent-failure, temporary-failure)."""

    name = "sms"

    def __init__(self, settings: SmsSettings) -> None:
        self.settings = settings

    def send(self, message: Message) -> Outcome:
        s = self.settings
        body = json.dumps({"to": message.to, "body": message.body, "sender": s.sender, "reference": message.reference}).encode()
        request = urllib.request.Request(s.url, data=body, method="POST", headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {s.key}", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=s.timeout) as response:  # noqa: S310 - the operator's URL
                status, answer = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status = exc.code
            if status == 429 or status >= 500:
                return Outcome(TEMPORARY, f"HTTP {status} from the SMS provider")
            return Outcome(PERMANENT, f"HTTP {status} from the SMS provider (refused)")
        except (OSError, ValueError) as exc:
            return Outcome(TEMPORARY, f"SMS provider not reachable ({type(exc).__name__})")
        try:
            data = json.loads(answer or b"{}")
        except ValueError:
            data = {}
        state = data.get("status") if isinstance(data, dict) else None
        state = state if state in (DELIVERED, SENDING, PERMANENT, TEMPORARY) else SENDING
        ref = str(data["id"])[:128] if isinstance(data, dict) and data.get("id") is not None else None
        return Outcome(state, f"HTTP {status} from the SMS provider: {state}", ref)

    def status(self, provider_ref: str) -> Outcome:
        """`GET {url}/{id}`: the provider's answer `{"status"}` on a message it took."""
        s = self.settings
        request = urllib.request.Request(f"{s.url.rstrip('/')}/{urllib.parse.quote(provider_ref, safe='')}", method="GET",
                                         headers={"Authorization": f"Bearer {s.key}", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=s.timeout) as response:  # noqa: S310 - the operator's URL
                status, answer = response.status, response.read()
            data = json.loads(answer or b"{}")
        except (OSError, ValueError):
            return Outcome(SENDING, "SMS provider's status not reachable: asked again later")
        state = data.get("status") if isinstance(data, dict) else None
        state = state if state in (DELIVERED, SENDING, PERMANENT, TEMPORARY) else SENDING
        return Outcome(state, f"HTTP {status} from the SMS provider: {state}", provider_ref)


@dataclasses.dataclass(frozen=True)
class Channels:
    """The channels this process may send through (either may be absent: not configured)."""

    email: Channel | None = None
    sms: Channel | None = None

    def get(self, name: str) -> Channel | None:
        return self.email if name == "email" else self.sms if name == "sms" else None
