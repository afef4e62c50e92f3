"""Build the `Context` of one invocation (a command, a queued job) from the process environment.

The only place that reads these variables (the web app's settings use its public readers):

- `CALLUP_DATABASE_URL`: the store (default: `callup.db` in the working directory);
- `CALLUP_ACTOR`, `CALLUP_ROLE`, `CALLUP_REGIONS`: who acts (default: the OS user as
  administrator); a regional role needs its regions, e.g. `CALLUP_REGIONS=R01,R02`;
- `CALLUP_KEY_FILE` / `CALLUP_KEYS`: encryption keys (default: `callup-keys.json` beside the
  default SQLite store, created on the store's first use only);
- `CALLUP_POLICY`: the policy file (default: the bundled example);
- `CALLUP_NOW`: a fixed instant (ISO 8601) for rehearsals and reproducible runs;
- `CALLUP_TIMEZONE`: the jurisdiction's time zone for local dates (default UTC);
- `CALLUP_SMTP_HOST`, `CALLUP_SMTP_PORT` (25), `CALLUP_SMTP_FROM`, `CALLUP_SMTP_USER`,
  `CALLUP_SMTP_PASSWORD`, `CALLUP_SMTP_STARTTLS` (1 to use it): the SMTP server reminders by e-mail
  go through (none: e-mail reminders wait);
- `CALLUP_SMS_URL`, `CALLUP_SMS_KEY`, `CALLUP_SMS_SENDER`: the SMS provider's messages endpoint and
  API key (none: text reminders wait); `CALLUP_REMINDER_RATE`: reminders sent a second (default 10).

On the default SQLite store the first use creates the schema; any other store must be migrated
with `callup db upgrade` (a deploy step) and commands refuse to run on a schema behind it.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import pathlib
from collections.abc import Mapping

from callup.context import Clock, Context, FixedClock, SystemClock, make_actor
from callup.errors import CallupError, InputError
from callup.store.urls import sqlite_file

DATABASE_URL_ENV = "CALLUP_DATABASE_URL"
DEFAULT_URL = "sqlite:///callup.db"


def database_url(environ: Mapping[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    return environ.get(DATABASE_URL_ENV) or DEFAULT_URL


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return f"uid:{os.getuid()}" if hasattr(os, "getuid") else "unknown"


def clock_from(environ: Mapping[str, str]) -> Clock:
    text = environ.get("CALLUP_NOW", "").strip()
    if not text:
        return SystemClock()
    try:
        instant = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"CALLUP_NOW: {text!r} is not an ISO 8601 instant (e.g. 2027-04-01T09:00:00Z)") from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    return FixedClock(instant)


def timezone_from(environ: Mapping[str, str]) -> str:
    name = environ.get("CALLUP_TIMEZONE", "").strip() or "UTC"
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"CALLUP_TIMEZONE: {name!r} is not a known time zone (e.g. Europe/Kyiv)") from None
    return name


def context_from_environment(*, policy: pathlib.Path | str | None = None, store: bool = True, keys: bool = True,
                environ: Mapping[str, str] | None = None) -> Context:
    """The context of this invocation; with `store`, the store is ready (schema at head).

    `keys=False` for commands that never touch encrypted values, so a missing key file does
    not stop them.
    """
    environ = os.environ if environ is None else environ
    url = database_url(environ)
    store_file = sqlite_file(url)
    first_use = store_file is not None and not store_file.exists()
    actor = make_actor(environ.get("CALLUP_ACTOR", "").strip() or _os_user(),
                       environ.get("CALLUP_ROLE", "").strip() or "administrator",
                       regions=environ.get("CALLUP_REGIONS"))
    ring = None
    if keys:
        from callup.crypto.keys import load_keyring

        default_file = store_file.with_name("callup-keys.json") if url == DEFAULT_URL and store_file else None
        ring = load_keyring(environ, default_file=default_file, create_default=first_use)
    policy_path = str(policy) if policy is not None else environ.get("CALLUP_POLICY") or None
    ctx = Context(actor=actor, database_url=url, clock=clock_from(environ), keys=ring, policy_path=policy_path,
                  timezone=timezone_from(environ))
    if store:
        prepare_store(ctx, migrate=store_file is not None)
    return ctx


def prepare_store(ctx: Context, *, migrate: bool) -> None:
    """Migrate a SQLite store on use; refuse any other store whose schema is behind."""
    from callup.store.migrate import SCHEMA_HEAD, current_revision, upgrade

    engine = ctx.engine()
    if migrate:
        path = sqlite_file(ctx.database_url)
        if path is not None and not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)  # the store holds personal data: owner-only from the start
        upgrade(engine)
        return
    revision = current_revision(engine)
    if revision != SCHEMA_HEAD:
        raise CallupError(f"the store's schema is at revision {revision or '(empty)'}, this callup needs {SCHEMA_HEAD}: "
                          "run `callup db upgrade` (a deploy step) first")


def channels_from(environ: Mapping[str, str] | None = None):  # noqa: ANN201 - callup.notices.channels.Channels
    """The reminder channels configured in the environment (see the module docstring)."""
    from callup.notices.channels import Channels, HttpSmsChannel, SmsSettings, SmtpChannel, SmtpSettings

    environ = os.environ if environ is None else environ
    get = lambda name: environ.get(name, "").strip()  # noqa: E731
    email = sms = None
    if get("CALLUP_SMTP_HOST"):
        try:
            port = int(get("CALLUP_SMTP_PORT") or "25")
        except ValueError:
            raise InputError(f"CALLUP_SMTP_PORT: {get('CALLUP_SMTP_PORT')!r} is not a port number") from None
        email = SmtpChannel(SmtpSettings(host=get("CALLUP_SMTP_HOST"), port=port,
                                         sender=get("CALLUP_SMTP_FROM") or "reminders@localhost",
                                         username=get("CALLUP_SMTP_USER") or None, password=environ.get("CALLUP_SMTP_PASSWORD"),
                                         starttls=get("CALLUP_SMTP_STARTTLS") in ("1", "true", "yes")))
    if get("CALLUP_SMS_URL"):
        if not get("CALLUP_SMS_KEY"):
            raise InputError("CALLUP_SMS_KEY: the SMS provider's API key is missing (CALLUP_SMS_URL is set)")
        sms = HttpSmsChannel(SmsSettings(url=get("CALLUP_SMS_URL"), key=get("CALLUP_SMS_KEY"),
                                         sender=get("CALLUP_SMS_SENDER") or "callup"))
    return Channels(email=email, sms=sms)


def reminder_rate(environ: Mapping[str, str] | None = None) -> float:
    environ = os.environ if environ is None else environ
    text = environ.get("CALLUP_REMINDER_RATE", "").strip() or "10"
    try:
        rate = float(text)
    except ValueError:
        rate = -1.0
    if not 0 < rate <= 10000:
        raise InputError(f"CALLUP_REMINDER_RATE: {text!r} is not a number of reminders a second (e.g. 10)")
    return rate
