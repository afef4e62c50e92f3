"""Every feature's tables on one metadata: import this (not a feature's tables) for Alembic,
bulk type conversion and schema checks. Adding a table: define it in the feature's `tables.py`,
add the import here, then generate and review a migration.
"""

from callup.audit import tables as audit_tables  # noqa: F401
from callup.campaigns import tables as campaign_tables  # noqa: F401
from callup.cases import tables as case_tables  # noqa: F401
from callup.jobs import tables as job_tables  # noqa: F401
from callup.military_service import tables as military_service_tables  # noqa: F401
from callup.notices import tables as notice_tables  # noqa: F401
from callup.questionnaire import tables as questionnaire_tables  # noqa: F401
from callup.register import tables as register_tables  # noqa: F401
from callup.simulation import tables as simulation_tables  # noqa: F401
from callup.store.base import Base
from callup.web import tables as web_tables  # noqa: F401

metadata = Base.metadata

__all__ = ["Base", "metadata"]
