"""The rights a summons names come from one list: the letter prints exactly those rights, each with
its deadline, and a policy without exemption grounds gives a letter without the exemption."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest
from hypothesis import given, strategies as st

from callup.notices.letters import load_templates, render_batch
from callup.notices.rights import ALL, deadlines, issued_on, rights
from callup.policy.loader import load_policy
from callup_test_support import EXAMPLE_POLICY, NORTHLAND_POLICY
from letter_samples import sample_letter

ON = dt.date(2027, 2, 1)
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")


def _text(path) -> str:  # noqa: ANN001
    return " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout.split())


def test_both_example_policies_name_all_four_rights():
    for policy in (EXAMPLE_POLICY, NORTHLAND_POLICY):
        assert [r.code for r in rights(load_policy(policy).in_force(ON))] == ["deferral", "exemption", "civilian_service", "appeal"]


def test_a_policy_without_exemption_grounds_names_no_exemption():
    version = load_policy(EXAMPLE_POLICY).in_force(ON).model_copy(update={"exemption_grounds": []})
    assert [r.code for r in rights(version)] == ["deferral", "civilian_service", "appeal"]


def test_applications_are_due_by_the_appointment_at_the_latest_and_the_appeal_after_the_response_days():
    version = load_policy(EXAMPLE_POLICY).in_force(ON)  # 14 response days
    due = deadlines(version, issued=ON, appointment=dt.date(2027, 2, 10))
    assert (due.apply_by, due.appeal_by) == (dt.date(2027, 2, 10), dt.date(2027, 2, 15))
    due = deadlines(version, issued=ON, appointment=dt.date(2027, 4, 10))
    assert due.apply_by == due.appeal_by == dt.date(2027, 2, 15)


def test_a_summons_is_issued_when_printed_else_when_published_else_today():
    printed, published = dt.datetime(2027, 1, 5, 23, tzinfo=dt.UTC), dt.datetime(2027, 1, 9, tzinfo=dt.UTC)
    assert issued_on(printed, published, ON) == dt.date(2027, 1, 5)
    assert issued_on(None, published, ON) == dt.date(2027, 1, 9)
    assert issued_on(None, None, ON) == ON


@needs_poppler
@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_letter_prints_each_right_of_the_list_with_its_deadline_and_no_other(tmp_path, language):
    template = load_templates()[language]
    every = sample_letter(0, language=language)
    without = sample_letter(1, language=language, rights=("deferral", "civilian_service", "appeal"))
    render_batch([every], tmp_path / "all.pdf")
    render_batch([without], tmp_path / "some.pdf")
    full, some = _text(tmp_path / "all.pdf"), _text(tmp_path / "some.pdf")
    for right in ALL:
        assert template.text[f"{right.letter}_heading"] in full
    assert template.text["exemption_heading"] not in some and template.text["deferral_heading"] in some
    assert template.text["deadline_apply"].format(date=template.date(every.apply_by)) in full
    assert template.text["deadline_appeal"].format(date=template.date(every.appeal_by)) in full



@given(issued=st.dates(dt.date(2020, 1, 1), dt.date(2035, 12, 31)), ahead=st.integers(0, 400),
       response=st.integers(1, 365))
def test_deadlines_never_fall_after_the_appointment_for_applications_and_run_the_response_days_for_appeals(issued, ahead,
                                                                                                         response):
    base = load_policy(EXAMPLE_POLICY).in_force(ON)
    version = base.model_copy(update={"notices": base.notices.model_copy(update={"response_days": response})})
    appointment = issued + dt.timedelta(days=ahead)
    due = deadlines(version, issued=issued, appointment=appointment)
    assert due.appeal_by == issued + dt.timedelta(days=response)
    assert due.apply_by <= appointment and due.apply_by <= due.appeal_by
    assert due.apply_by == min(appointment, due.appeal_by)
    for right in rights(version):
        assert due.of(right) in (due.apply_by, due.appeal_by)
