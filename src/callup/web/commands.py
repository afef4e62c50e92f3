"""Commands of the web edge: `callup serve`, `callup users add|list|disable|enable|revoke-sessions|change|reset`,
`callup status keys|verify|revocations|revoke|refresh`."""

from __future__ import annotations

import datetime as dt
import json
import os
import pathlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import typer

if TYPE_CHECKING:
    from callup.uow import UnitOfWork

T = TypeVar("T")

users = typer.Typer(no_args_is_help=True, help="Accounts of the administration (password and TOTP).")
status = typer.Typer(no_args_is_help=True, help="Signed status documents: the office's public keys, offline checks, withdrawn documents.")


def serve(host: str = typer.Option("127.0.0.1", help="address to listen on"),
          port: int = typer.Option(8000, min=1, max=65535, help="port to listen on"),
          workers: int = typer.Option(1, min=1, max=64, help="worker processes (stateless; share the store)"),
          proxy_headers: bool = typer.Option(False, "--proxy-headers", help="trust X-Forwarded-Proto/For from 127.0.0.1 (behind a TLS proxy)"),
          metrics_port: int = typer.Option(None, min=1, max=65535, help="serve Prometheus metrics on this port (all workers' counts)"),
          metrics_host: str = typer.Option("127.0.0.1", help="address of the metrics port (keep it off the public network)")) -> None:
    """Serve the citizens' portal, the officers' console and the JSON API; JSON logs on standard error."""
    import tempfile

    import uvicorn

    from callup.web.app import check_schema
    from callup.web.logs import LOG_CONFIG
    from callup.web.settings import WebSettings

    settings = WebSettings.from_environ()  # fail here, in one line, rather than in every worker
    check_schema(settings.database_url)
    if metrics_port is not None:
        from callup.web import metrics  # first import of prometheus_client: after this, workers count in the directory

        given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        metrics.prepare_multiprocess(pathlib.Path(given or tempfile.mkdtemp(prefix="callup-metrics-")))
        metrics.serve(metrics_port, metrics_host, settings.database_url)
        print(f"metrics on http://{metrics_host}:{metrics_port}/metrics", file=sys.stderr)
    print(f"serving on http://{host}:{port} with {workers} worker(s)", file=sys.stderr)
    uvicorn.run("callup.web.app:create_app", factory=True, host=host, port=port, workers=workers,
                proxy_headers=proxy_headers, forwarded_allow_ips="127.0.0.1" if proxy_headers else None,
                log_config=LOG_CONFIG, log_level="warning", access_log=False, server_header=False)


@users.command("add")
def add(name: str = typer.Argument(..., help="sign-in name"),
        role: str = typer.Option(..., help="administrator, officer, medical, auditor or system"),
        region: str = typer.Option(None, help="region(s) of a regional role, e.g. R01 or R01,R02"),
        office: str = typer.Option(None, help="the office citizens see instead of the name"),
        password_stdin: bool = typer.Option(False, "--password-stdin", help="read the password from standard input")) -> None:
    """Create an account; prints its TOTP secret once, as an otpauth URI for an authenticator app."""
    import click

    from callup.environment import context_from_environment
    from callup.errors import InputError
    from callup.uow import UnitOfWork
    from callup.web.accounts import add_user, check_account

    ctx = context_from_environment()
    check_account(ctx, name, role=role, regions=region, office=office)  # refuse before asking for the password
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif not sys.stdin.isatty():
        raise InputError("no terminal to ask the password on: give it on standard input with --password-stdin",
                         field="password_stdin")
    else:
        try:
            password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
        except click.exceptions.Abort:
            raise InputError("no password given", field="password_stdin") from None
    try:
        with UnitOfWork(ctx) as uow:
            made = add_user(uow, name, role=role, password=password, regions=region, office=office)
    except InputError as exc:
        if exc.field == "password":
            raise InputError(exc.message, field="password_stdin" if password_stdin else None) from None
        raise
    scope = ",".join(made.regions) if made.regions else "national"
    print(f"user {made.name}: {made.role} ({scope})")
    print("TOTP secret (shown once; add it to the authenticator app, then keep no copy):")
    print(made.otpauth_uri)


@users.command("list")
def list_users() -> None:
    """The accounts, with role, regions and office."""
    from callup.environment import context_from_environment
    from callup.uow import UnitOfWork
    from callup.web.accounts import list_users as rows

    with UnitOfWork(context_from_environment(), write=False) as uow:
        for r in rows(uow):
            state = " (disabled)" if r["disabled_at"] else ""
            print(f"{r['name']}\t{r['role']}\t{r['regions'] or 'national'}\t{r['office'] or ''}{state}")


def _read_password(password_stdin: bool) -> str:
    import click

    from callup.errors import InputError

    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise InputError("no terminal to ask the password on: give it on standard input with --password-stdin",
                         field="password_stdin")
    try:
        return typer.prompt("password", hide_input=True, confirmation_prompt=True)
    except click.exceptions.Abort:
        raise InputError("no password given", field="password_stdin") from None


def _manage(work: Callable[[UnitOfWork], T]) -> T:
    from callup.environment import context_from_environment
    from callup.uow import UnitOfWork

    with UnitOfWork(context_from_environment()) as uow:
        return work(uow)


@users.command("disable")
def disable(name: str = typer.Argument(..., help="sign-in name")) -> None:
    """Disable an account: it cannot sign in, and its sessions and API tokens stop working now."""
    from callup.web.accounts import disable_user

    ended = _manage(lambda uow: disable_user(uow, name))
    print(f"user {name.strip()} disabled; {ended} session(s) ended")


@users.command("enable")
def enable(name: str = typer.Argument(..., help="sign-in name")) -> None:
    """Let a disabled account sign in again (sessions ended before stay ended)."""
    from callup.web.accounts import enable_user

    _manage(lambda uow: enable_user(uow, name))
    print(f"user {name.strip()} enabled")


@users.command("revoke-sessions")
def revoke(name: str = typer.Argument(..., help="sign-in name")) -> None:
    """End every session and API token of an account (it can sign in again)."""
    from callup.web.accounts import revoke_sessions

    ended = _manage(lambda uow: revoke_sessions(uow, name))
    print(f"user {name.strip()}: {ended} session(s) ended")


@users.command("change")
def change(name: str = typer.Argument(..., help="sign-in name"),
           role: str = typer.Option(..., help="administrator, officer, medical, auditor or system"),
           region: str = typer.Option(None, help="region(s) of a regional role, e.g. R01 or R01,R02")) -> None:
    """Give an account another role or regions; its sessions end, so the next sign-in carries the new ones."""
    from callup.web.accounts import change_user

    ended = _manage(lambda uow: change_user(uow, name, role=role, regions=region))
    print(f"user {name.strip()}: now {role.strip()} ({region or 'national'}); {ended} session(s) ended")


@users.command("reset")
def reset(name: str = typer.Argument(..., help="sign-in name"),
          password_stdin: bool = typer.Option(False, "--password-stdin", help="read the new password from standard input")) -> None:
    """A new password and TOTP secret (printed once); the account's sessions end."""
    from callup.errors import InputError
    from callup.web.accounts import reset_credentials

    password = _read_password(password_stdin)
    try:
        uri, ended = _manage(lambda uow: reset_credentials(uow, name, password=password))
    except InputError as exc:
        if exc.field == "password":
            raise InputError(exc.message, field="password_stdin" if password_stdin else None) from None
        raise
    print(f"user {name.strip()}: password and TOTP secret reset; {ended} session(s) ended")
    print("new TOTP secret (shown once; add it to the authenticator app, then keep no copy):")
    print(uri)


@status.command("keys")
def keys() -> None:
    """The office's public keys for status documents, as JSON (what /status/keys publishes)."""
    from callup.environment import context_from_environment
    from callup.web.statusdoc import public_keys

    ctx = context_from_environment(store=False)
    print(json.dumps({"algorithm": "Ed25519", "keys": public_keys(ctx.keyring())}, indent=2))


@status.command("verify")
def verify(document: str = typer.Argument(..., help="the QR code's text (CALLUP-STATUS:...), or a PNG/JPEG picture of it"),
           keys_file: pathlib.Path = typer.Option(..., "--keys", help="the office's public keys (saved from /status/keys)"),
           on: str = typer.Option(None, help="the date to check validity on (default today)"),
           name: str = typer.Option(None, help="the presenter's name, from their id card (must be the holder's)"),
           born: str = typer.Option(None, help="the presenter's date of birth, from their id card (YYYY-MM-DD)"),
           revoked_file: pathlib.Path = typer.Option(None, "--revoked", help="the office's list of withdrawn documents (saved from /status/revoked)")) -> None:
    """Check a status document offline: signature, key, validity, holder and (with --revoked) withdrawal. Exit 0 valid, 1 not valid."""
    from callup.environment import context_from_environment
    from callup.errors import InputError
    from callup.web import statusdoc

    clock = context_from_environment(store=False, keys=False)  # the jurisdiction's today (CALLUP_NOW, CALLUP_TIMEZONE)
    public = statusdoc.load_public_keys(_read_text(keys_file, field="keys"), source=str(keys_file))
    text = document
    if not document.strip().startswith(statusdoc.PREFIX) and pathlib.Path(document).is_file():
        text = statusdoc.read_qr_image(document)
    try:
        day = dt.date.fromisoformat(on) if on else clock.today()
    except ValueError:
        raise InputError(f"{on!r} is not a date (YYYY-MM-DD)", field="on") from None
    try:
        born_on = dt.date.fromisoformat(born) if born else None
    except ValueError:
        raise InputError(f"{born!r} is not a date (YYYY-MM-DD)", field="born") from None
    revocations = None
    if revoked_file is not None:
        revocations = statusdoc.load_revocations(_read_text(revoked_file, field="revoked"), public, source=str(revoked_file))
    result = statusdoc.check(text, public, on=day, holder=name, born=born_on, revoked=revocations)
    if result.claim is not None:
        c = result.claim
        print(f"holder {c.holder}\nborn {c.born}\nserial {c.serial}")
        print(f"pseudonym {c.pseudonym}\ncampaign {c.campaign}\nstatus {c.status}\nissued {c.issued}\nvalid until {c.valid_until}\nkey {c.kid}")
    if revocations is not None:
        print(f"revocation list of {revocations.issued_at.isoformat(timespec='minutes')} "
              f"({revocations.age(clock.now())} old; download a newer one from /status/revoked when you can)")
    if result.valid:
        print("valid: signature good, not expired" + ("" if name or born else "; compare holder and born with the id card")
              + ("" if revocations is not None else "; not checked against a revocation list (--revoked)"))
        return
    print(f"NOT VALID: {result.problem}")
    raise typer.Exit(1)


def _read_text(path: pathlib.Path, *, field: str) -> str:
    from callup.errors import InputError

    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})", field=field) from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text", field=field) from None


@status.command("revocations")
def revocations() -> None:
    """The signed list of withdrawn status documents not yet expired, as JSON (what /status/revoked publishes)."""
    from callup.cli_support import transaction
    from callup.military_service.status_documents import withdrawn
    from callup.web.statusdoc import sign_revocations

    with transaction(write=False) as uow:
        signed = sign_revocations(uow.ctx.keyring(), withdrawn(uow), at=uow.now())
    print(json.dumps(signed, indent=2, ensure_ascii=False))


@status.command("revoke")
def revoke_document(serial: str = typer.Argument(..., help="the document's serial (printed on it and shown by the check)")) -> None:
    """Withdraw one status document (stolen, issued in error); its holder can download a new one."""
    from callup.cli_support import transaction
    from callup.military_service.status_documents import revoke as withdraw

    with transaction() as uow:
        withdraw(uow, serial)
    print(f"status document {serial.strip().upper()} withdrawn: it is on the revocation list until it expires")


@status.command("refresh")
def refresh(as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout.")) -> None:
    """Withdraw every valid status document whose holder's status has changed since it was signed (daily)."""
    from callup.cli_output import emit
    from callup.cli_support import context
    from callup.military_service.status_documents import refresh as run

    withdrawn = run(context())
    emit({"withdrawn": withdrawn}, as_json=as_json,
         render=lambda d: print(f"{d['withdrawn']} status document(s) withdrawn: their holders' status has changed"))
