"""docs/audit.md lists every audit action the package records (a new event class needs its line there)."""

from __future__ import annotations

import importlib
import pkgutil
import re

import callup
from callup_test_support import REPO


def test_every_registered_action_is_listed_in_docs_audit_md():
    for module in pkgutil.walk_packages(callup.__path__, "callup."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)  # an event class registers its action when its module loads
    from callup.audit import REGISTRY

    listed = set(re.findall(r"^\| `([a-z_.]+)` \|", (REPO / "docs" / "audit.md").read_text(encoding="utf-8"), re.M))
    assert len(REGISTRY) >= 10
    package_actions = {action for action, event in REGISTRY.items() if event.__module__.startswith("callup.")}  # not tests'
    missing = sorted(package_actions - listed)
    assert missing == [], f"add these actions to the table in docs/audit.md: {', '.join(missing)}"
