"""Who case decisions keep out of the pool of a later campaign, and until when.

Each rule is a (kind, state) pair: permanent, or until the case's `until` date (the end of a
deferral, the re-examination date), after which the person is in the pool again. Every step of
a case (`transitions.transition`) puts the case's hold on the register, replaces it or lifts it
(`register.holds`), so the register's eligibility excludes them as `case_decision` without
reading case work's tables. (An induction holds a person for good: `military_service.induction`.)
"""

from __future__ import annotations

from typing import Any

from callup.cases.tables import CaseKind
from callup.register import holds
from callup.store.columns import enum_value
from callup.uow import UnitOfWork

#: (kind, state) -> "permanent" or "until" (out of the pool up to and including the case's `until` date).
KEEPS_OUT: dict[tuple[CaseKind, str], str] = {
    (CaseKind.medical, "unfit"): "permanent",
    (CaseKind.medical, "temporarily_unfit"): "until",
    (CaseKind.deferral, "granted"): "until",
    (CaseKind.exemption, "granted"): "permanent",
    (CaseKind.civilian_service, "granted"): "permanent",
    (CaseKind.civilian_service, "assigned"): "permanent",
    (CaseKind.civilian_service, "completed"): "permanent",
}


def hold_for(uow: UnitOfWork, case: Any, *, before: str | None = None) -> None:
    """Put, replace or lift the register's hold of `case` (a case row after a step) by the rules above.

    `before`: the state the step left (None: not known); a state that held nobody left no hold to lift.
    """
    kind = CaseKind(enum_value(case["kind"]))
    how = KEEPS_OUT.get((kind, case["state"]))
    source = f"case {case['id']}"
    if how == "permanent":
        holds.hold(uow, case["national_id"], source)
    elif how == "until" and case["until"] is not None:
        holds.hold(uow, case["national_id"], source, until=case["until"])
    elif before is None or (kind, before) in KEEPS_OUT:
        holds.lift(uow, case["national_id"], source)
