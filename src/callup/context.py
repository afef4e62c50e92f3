"""The request context: who acts, when, with which randomness, keys, policy and store.

A `Context` is built once at the edge (one command-line invocation, one web request, one job)
and handed to services, which read nothing global: no environment variables, no wall clock,
no key file. Tests build one with `Context.for_tests(...)`-style arguments and a `FixedClock`.

It pickles, so a bulk job in a child process or a queued job receives the same actor, clock
and keys as the command that started it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from callup.errors import CallupError, Forbidden, NotFound
from callup.randomness import secure_random as secure_random

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from callup.crypto.keys import KeyRing
    from callup.policy.model import Jurisdiction


class Role(enum.Enum):
    """What an actor may do; regional roles are further limited to their regions."""

    administrator = "administrator"  # national: everything
    officer = "officer"  # regional case work
    medical = "medical"  # regional medical board: health data
    auditor = "auditor"  # national, read-only, every read logged
    citizen = "citizen"  # only their own record
    system = "system"  # jobs started by the system itself


#: Roles that change things; an auditor only reads.
WRITERS = frozenset({Role.administrator, Role.officer, Role.medical, Role.system})


@dataclasses.dataclass(frozen=True)
class Actor:
    """The person (or system) acting. `regions` None means national scope."""

    name: str
    role: Role
    regions: frozenset[str] | None = None
    office: str | None = None
    person_id: str | None = None  # a citizen's own national id

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise CallupError("the actor needs a name", field="actor")
        if self.role is Role.citizen and not self.person_id:
            raise CallupError("a citizen actor needs their own national id", field="actor")

    @property
    def national(self) -> bool:
        return self.regions is None and self.role is not Role.citizen

    def sees_region(self, region: str) -> bool:
        return self.regions is None or region in self.regions

    def label(self) -> str:
        """How the audit log names the actor."""
        return self.name[:128]

    def own_id(self) -> str:
        """A citizen's own national id (every citizen actor has one); `Forbidden` for any other role."""
        if self.role is not Role.citizen or self.person_id is None:
            raise Forbidden(f"only a signed-in citizen has their own record; you act as {self.role.value}")
        return self.person_id


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current instant, timezone-aware UTC."""


class SystemClock:
    """The wall clock (the default at the edges)."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


@dataclasses.dataclass
class FixedClock:
    """A clock that stands still (or moves only when told): for tests, simulations and replays."""

    instant: dt.datetime

    def __post_init__(self) -> None:
        if self.instant.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware instant")

    def now(self) -> dt.datetime:
        return self.instant.astimezone(dt.UTC)

    def advance(self, delta: dt.timedelta) -> None:
        self.instant = self.instant + delta


@dataclasses.dataclass(frozen=True)
class Context:
    """Everything a service may depend on besides its arguments and the unit of work.

    `database_url` and `policy_path` are resolved at the edge; `keys` is loaded once there.
    """

    actor: Actor
    database_url: str
    clock: Clock = dataclasses.field(default_factory=SystemClock)
    random: Callable[[int], bytes] = secure_random
    keys: KeyRing | None = None
    policy_path: str | None = None
    timezone: str = "UTC"

    # -- time ---------------------------------------------------------------------------
    def now(self) -> dt.datetime:
        return self.clock.now()

    def today(self) -> dt.date:
        """The jurisdiction's local date now (deadlines and ages are local dates)."""
        return self.clock.now().astimezone(ZoneInfo(self.timezone)).date()

    def stamp(self) -> str:
        """The current instant as the audit log writes it: ISO 8601 UTC with microseconds and Z."""
        return self.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    # -- collaborators ------------------------------------------------------------------
    def engine(self) -> Engine:
        from callup.store.engine import connect

        return connect(self.database_url)

    def policy(self) -> Jurisdiction:
        """The policy file of this context, parsed once per file content."""
        from callup.policy.loader import default_policy_path

        return _load_policy(str(self.policy_path or default_policy_path()))

    def keyring(self) -> KeyRing:
        from callup.crypto.keys import CryptoError

        if self.keys is None:
            raise CryptoError("no encryption keys in this context: the edge must load them before calling a service")
        return self.keys

    # -- authorization ------------------------------------------------------------------
    def require(self, *roles: Role, doing: str) -> None:
        """Refuse unless the actor has one of `roles` (`Forbidden`, exit 5 / HTTP 403)."""
        if self.actor.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise Forbidden(f"{doing} needs the role {allowed}; you act as {self.actor.role.value}")

    def require_writer(self, *, doing: str) -> None:
        self.require(*WRITERS, doing=doing)

    # -- visibility: the one rule "may this actor see this person's record" --------------
    def may_see(self, region: str | None, national_id: str | None = None) -> bool:
        """Whether the actor may see a record about person `national_id` kept in `region`.

        A citizen sees only their own records; a regional actor only their regions'; a national
        one everything. `region` None means there is no such record. Every check of a single
        record goes through here (or `check_visible`); lists filter with `region_filter`.
        """
        if region is None:
            return False
        actor = self.actor
        if actor.role is Role.citizen:
            return national_id is not None and national_id == actor.person_id
        return actor.sees_region(region)

    def check_visible(self, region: str | None, national_id: str | None = None, *, error: NotFound) -> None:
        """Raise `error` (a `NotFound`) unless `may_see(region, national_id)`: a record outside the
        actor's scope is answered as not found, not forbidden, so the answer does not reveal that
        it exists."""
        if not self.may_see(region, national_id):
            raise error

    def may_list(self, national_id: str) -> bool:
        """Whether the actor may list person `national_id`'s records at all: a citizen only their
        own (the rows of a staff member's list are then limited by `region_filter`)."""
        return self.actor.role is not Role.citizen or self.actor.person_id == national_id.strip()

    def region_filter(self, column: Any) -> Any:
        """A SQL condition limiting `column` (a region column) to the actor's scope; None when national."""
        if self.actor.regions is None:
            return None
        return column.in_(sorted(self.actor.regions))

    def visible_filter(self, region: Any, national_id: Any) -> Any:
        """`may_see` as a SQL condition on a record's region and person columns (for a statement that changes a record
        only if the actor may see it, in one go); None when the actor sees everything."""
        if self.actor.role is Role.citizen:
            return national_id == self.actor.person_id
        return self.region_filter(region)

    def regions_in_scope(self, codes: Iterable[str]) -> list[str]:
        """The region codes of `codes` whose figures the actor may see, in their order."""
        return [code for code in codes if self.actor.sees_region(code)]

    def with_actor(self, actor: Actor) -> Context:
        return dataclasses.replace(self, actor=actor)


def parse_regions(text: str | None) -> frozenset[str] | None:
    """`R01,R02` -> frozenset; empty or None -> None (national scope)."""
    if not text or not text.strip():
        return None
    return frozenset(part.strip() for part in text.split(",") if part.strip())


def make_actor(name: str, role: str, *, regions: Iterable[str] | str | None = None, office: str | None = None,
               person_id: str | None = None) -> Actor:
    """An `Actor` from plain values, with errors naming the field."""
    try:
        parsed = Role(role.strip())
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise CallupError(f"role {role!r} is not one of {known}", field="role") from None
    scope = parse_regions(regions) if isinstance(regions, str) or regions is None else frozenset(regions)
    if parsed in (Role.officer, Role.medical) and scope is None:
        raise CallupError(f"the role {parsed.value} is regional: name its region(s)", field="region")
    return Actor(name=name.strip()[:128], role=parsed, regions=scope, office=office, person_id=person_id)


@functools.lru_cache(maxsize=16)
def _parse_policy(path: str, signature: tuple[int, int, int]) -> Jurisdiction:
    from callup.policy.loader import load_policy

    return load_policy(path)


def _load_policy(path: str) -> Jurisdiction:
    """Parse a policy file, reusing the parse while the file is unchanged (same inode, size and
    modification time: services ask for the policy at every step, so this must not read the file)."""
    import os

    from callup.policy.errors import PolicyError

    try:
        st = os.stat(path)
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read policy file ({exc.strerror or exc})") from None
    return _parse_policy(path, (st.st_ino, st.st_size, st.st_mtime_ns))
