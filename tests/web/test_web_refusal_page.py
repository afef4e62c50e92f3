"""A refusal for the signed-in role is said in the page's language: a Russian page never shows the service's English reason."""

from __future__ import annotations

import re

from web_support import csrf_of, signed_in


def _alert(html: str) -> str:
    return re.search(r'role="alert"><p>(.*?)</p>', html, re.S).group(1)


def test_a_step_the_role_may_not_take_is_refused_in_the_page_s_language(site):
    cit = site.in_region(site.regions[0])[7]
    auditor = signed_in(site, user="auditor")
    page = auditor.get(f"/console/summons/{cit.reference}")
    forged = {"csrf": csrf_of(page.text), "outcome": "no_show"}  # the form is not offered to an auditor: a forged post

    english = auditor.post(f"/console/summons/{cit.reference}/appearance", data=forged)
    assert english.status_code == 403
    assert "auditor" in _alert(english.text)  # the service's own reason, which names the role

    auditor.cookies.set("callup_lang", "ru")
    russian = auditor.post(f"/console/summons/{cit.reference}/appearance", data=forged)
    assert russian.status_code == 403
    said = _alert(russian.text)
    assert "обратитесь к администратору" in said
    assert not re.search(r"[A-Za-z]{3,}", said), said
