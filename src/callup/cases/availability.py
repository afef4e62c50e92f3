"""Who case decisions keep out of the pool of a later campaign, and until when.

Everyone with a service record (serving or discharged into the reserve) is out for good.

The register's eligibility (`callup.register.eligibility`) excludes everyone this query names
on the eligibility date, as `case_decision`. Each rule is a (kind, state) pair: permanent, or
until the case's `until` date (the end of a deferral, the re-examination date), after which
the person is in the pool again.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, or_, select, union

from callup.cases.tables import Case, CaseKind
from callup.military_service.tables import ServiceRecord

cases, records = Case.__table__, ServiceRecord.__table__

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


def kept_out(on: dt.date):  # noqa: ANN201 - a Core SELECT of national_id
    """SELECT national_id of everyone a case decision keeps out of the pool on `on`."""
    rules = []
    for (kind, state), how in KEEPS_OUT.items():
        rule = and_(cases.c.kind == kind.value, cases.c.state == state)
        rules.append(rule if how == "permanent" else and_(rule, cases.c.until >= on))
    return union(select(cases.c.national_id).where(or_(*rules)), select(records.c.national_id))
