"""The transition table of every kind of case, and who may take each step.

Every case starts in `new` and is opened by its kind's first step; every other change is a row
of its table. A decision that can be appealed is a state with an `overturn` step: overturning
returns the case to the state it was decided from (the decision's effects are undone by the
appeal service), so "appealable" is read off the table, not written twice.
"""

from __future__ import annotations

from callup.cases.errors import CaseStateError
from callup.cases.tables import CaseKind
from callup.context import Role
from callup.statemachine import Machine

NEW = "new"

MEDICAL = Machine("medical case", {
    (NEW, "open"): "open",
    ("open", "find_fit"): "fit",  # an inductable category
    ("open", "find_unfit"): "unfit",  # a category the policy does not induct: the call ends
    ("open", "find_temporarily_unfit"): "temporarily_unfit",  # not inducted now; re-examined after a date
    ("open", "cancel"): "cancelled",  # the call ended for another reason before the examination
    ("fit", "overturn"): "open",
    ("unfit", "overturn"): "open",
    ("temporarily_unfit", "overturn"): "open",
}, final=frozenset({"cancelled"}), error=CaseStateError)

DEFERRAL = Machine("deferral case", {
    (NEW, "apply"): "applied",
    ("applied", "grant"): "granted",  # until an end date; the call ends, the person returns to a later pool
    ("applied", "refuse"): "refused",  # only ever by an officer: never automatic
    ("applied", "withdraw"): "withdrawn",
    ("granted", "overturn"): "applied",
    ("refused", "overturn"): "applied",
}, final=frozenset({"withdrawn"}), error=CaseStateError)

EXEMPTION = Machine("exemption case", {
    (NEW, "apply"): "applied",
    ("applied", "grant"): "granted",  # permanent: the call ends and the person is never called again
    ("applied", "refuse"): "refused",
    ("applied", "withdraw"): "withdrawn",
    ("granted", "overturn"): "applied",
    ("refused", "overturn"): "applied",
}, final=frozenset({"withdrawn"}), error=CaseStateError)

CIVILIAN_SERVICE = Machine("civilian service case", {
    (NEW, "apply"): "applied",
    ("applied", "grant"): "granted",  # the call ends; never inducted into the military afterwards
    ("applied", "refuse"): "refused",
    ("applied", "withdraw"): "withdrawn",
    ("granted", "overturn"): "applied",
    ("refused", "overturn"): "applied",
    ("granted", "assign"): "assigned",  # to a civilian employer for the policy's term
    ("assigned", "complete"): "completed",
}, final=frozenset({"withdrawn", "completed"}), error=CaseStateError)

APPEAL = Machine("appeal", {
    (NEW, "lodge"): "lodged",  # within the policy's deadline; suspends induction until decided
    ("lodged", "uphold"): "upheld",  # the contested decision stands
    ("lodged", "overturn"): "overturned",  # the contested decision is undone exactly
    ("lodged", "withdraw"): "withdrawn",
}, final=frozenset({"upheld", "overturned", "withdrawn"}), error=CaseStateError)

NO_SHOW = Machine("no-show case", {
    (NEW, "open"): "open",
    ("open", "reschedule"): "rescheduled",
    ("open", "excuse"): "excused",
    ("open", "refer"): "referred",  # to the authority the policy names; nothing punitive is automatic
    ("rescheduled", "overturn"): "open",
    ("excused", "overturn"): "open",
    ("referred", "overturn"): "open",
}, error=CaseStateError)

MACHINES: dict[CaseKind, Machine] = {
    CaseKind.medical: MEDICAL,
    CaseKind.deferral: DEFERRAL,
    CaseKind.exemption: EXEMPTION,
    CaseKind.civilian_service: CIVILIAN_SERVICE,
    CaseKind.appeal: APPEAL,
    CaseKind.no_show: NO_SHOW,
}

_CASEWORK = frozenset({Role.administrator, Role.officer})
_OPENERS = frozenset({Role.administrator, Role.officer, Role.system, Role.citizen})

#: Who may take each step. A citizen applies, lodges and withdraws for themselves only; the
#: system may grant (a ground verified against a registry, where the policy allows it) but
#: never refuse; only the medical board finds a fitness category.
ROLES: dict[str, frozenset[Role]] = {
    "open": frozenset({Role.administrator, Role.officer, Role.medical, Role.system}),
    "apply": _OPENERS,
    "lodge": _OPENERS,
    "withdraw": frozenset({Role.administrator, Role.officer, Role.citizen}),
    "find_fit": frozenset({Role.medical, Role.system}),
    "find_unfit": frozenset({Role.medical, Role.system}),
    "find_temporarily_unfit": frozenset({Role.medical, Role.system}),
    "cancel": frozenset({Role.administrator, Role.officer, Role.medical, Role.system}),
    "grant": _CASEWORK | {Role.system},
    "refuse": _CASEWORK,
    "uphold": _CASEWORK,
    "overturn": _CASEWORK,
    "assign": _CASEWORK | {Role.system},
    "complete": _CASEWORK | {Role.system},
    "reschedule": _CASEWORK,
    "excuse": _CASEWORK,
    "refer": _CASEWORK,
}

#: Steps that decide a case (they fill the decision columns and open the appeal deadline). An
#: appeal's `overturn` decides the appeal; the contested case's `overturn` undoes its decision.
DECISIONS = frozenset({"find_fit", "find_unfit", "find_temporarily_unfit", "grant", "refuse", "uphold", "overturn",
                       "reschedule", "excuse", "refer"})


def is_decision(kind: CaseKind, step: str) -> bool:
    return step in DECISIONS and (step != "overturn" or kind is CaseKind.appeal)


def opening_step(kind: CaseKind) -> str:
    """The step that opens a case of `kind` (the one step allowed from `new`)."""
    (step,) = MACHINES[kind].allowed(NEW)
    return step


def appealable(kind: CaseKind, state: str) -> bool:
    """Whether a case of `kind` in `state` holds a decision an appeal may contest."""
    return kind is not CaseKind.appeal and MACHINES[kind].can(state, "overturn")


def undecided_state(kind: CaseKind, state: str) -> str:
    """The state an overturned decision returns the case to."""
    return MACHINES[kind].step(state, "overturn", subject=f"{kind.value} case")


def _check() -> None:
    for _kind, machine in MACHINES.items():
        missing = sorted(set(machine.steps) - set(ROLES))
        if missing:
            raise ValueError(f"{machine.name}: steps without roles: {missing}")
        if len(machine.allowed(NEW)) != 1:
            raise ValueError(f"{machine.name}: exactly one step must open a case")


_check()
