"""The console names a region as the policy does ("Arist Lowlands (R01)"), not by its bare code."""

from __future__ import annotations

from callup.policy import load_policy
from web_support import EXAMPLE_POLICY, signed_in


def test_the_console_names_the_region_of_a_summons_and_a_person(site):
    a = site.regions[0]
    name = {r.code: r.name for r in load_policy(EXAMPLE_POLICY).regions}[a]
    cit = site.in_region(a)[8]
    officer = signed_in(site, user=f"officer-{a}")
    for path in (f"/console/summons/{cit.reference}", f"/console/people/{cit.national_id}?reason=checking+the+region"):
        page = officer.get(path)
        assert page.status_code == 200, path
        assert f"{name} ({a})" in page.text, path
