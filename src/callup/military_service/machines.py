"""The machine of a service record's life and who may take each step."""

from __future__ import annotations

from callup.cases.errors import CaseStateError
from callup.context import Role
from callup.statemachine import Machine

NEW = "new"
_CASEWORK = frozenset({Role.administrator, Role.officer})

#: A service record's life (not a case: its own table and history, the same kind of machine).
SERVICE = Machine("service record", {
    (NEW, "induct"): "serving",  # a conscript's record
    (NEW, "sign"): "serving",  # a contract record, opened by a conversion the day the conscript record ends
    ("serving", "transfer"): "serving",  # to another unit, through the deployment guardrail
    ("serving", "convert"): "converted",  # a conscript signed a contract: their contract record goes on from that day
    ("serving", "discharge"): "discharged",  # at the end of the term, into the reserve
    ("serving", "discharge_early"): "discharged_early",  # before the end of the term, with a reason
}, final=frozenset({"discharged", "discharged_early", "converted"}), error=CaseStateError)

SERVICE_ROLES: dict[str, frozenset[Role]] = {
    "induct": _CASEWORK,
    "transfer": _CASEWORK,
    "convert": _CASEWORK,
    "sign": _CASEWORK,
    "discharge": _CASEWORK | {Role.system},
    "discharge_early": _CASEWORK,
}
