"""The transparency report: aggregate figures only, small counts suppressed under the policy's threshold."""

from __future__ import annotations

import dataclasses
import json
import pathlib
import re
import shutil
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from sqlalchemy import select  # noqa: E402

from callup.reports.disclosure import extended  # noqa: E402
from callup.uow import UnitOfWork  # noqa: E402
from callup_test_support import EXAMPLE_POLICY  # noqa: E402
from report_helpers import CAMPAIGN, busy_campaign  # noqa: E402


def _policy_with_threshold(tmp_path: pathlib.Path, threshold: int) -> pathlib.Path:
    """The example policy with `publication.disclosure_threshold` set in its latest version."""
    path = tmp_path / "policy.toml"
    path.write_text(EXAMPLE_POLICY.read_text(encoding="utf-8")
                    + f"\n[versions.publication]\ndisclosure_threshold = {threshold}\n", encoding="utf-8")
    return path


def _true_tables(ctx, report) -> dict[str, list[list[int]]]:  # noqa: ANN001
    """What each region table counts, straight from the campaign report's sections."""
    from callup.campaigns.service import campaign_summary
    from callup.reports.funnel import delivery_section, funnel_section
    from callup.reports.transparency import RELEASE_REASONS

    with UnitOfWork(ctx, write=False) as uow:
        regions = [r.region for r in campaign_summary(uow, CAMPAIGN).regions]
        funnel = funnel_section(uow, CAMPAIGN, regions)
        delivery = {r.region: r for r in delivery_section(uow, CAMPAIGN).regions}
    return {
        "Calls by region": [[r.still_called] + [r.released.get(k, 0) for k in RELEASE_REASONS] for r in funnel.regions],
        "Summonses by region and delivery evidence": [
            [delivery[g].proved, delivery[g].deemed, delivery[g].by_source.get("returned", 0),
             delivery[g].by_source.get("no evidence yet", 0)] if g in delivery else [0, 0, 0, 0] for g in regions],
        "People by region and appearance": [[r.appeared, r.no_show, max(0, r.summoned - r.appeared - r.no_show)]
                                            for r in funnel.regions],
    }


def test_published_tables_hide_small_counts_keep_totals_and_follow_the_policy_threshold(ctx, tmp_path):
    from callup.reports.service import write_transparency_report

    policy = _policy_with_threshold(tmp_path, 10)
    day = busy_campaign(dataclasses.replace(ctx, policy_path=str(policy)), tmp_path)
    written = write_transparency_report(day, CAMPAIGN, tmp_path / "out")
    report = written.report
    assert report.threshold == 10
    truth = _true_tables(day, report)
    checked = 0
    for table in report.tables:
        values = next((v for title, v in truth.items() if table.title.startswith(title)), None)
        if values is None:
            continue
        checked += 1
        full = extended(values, len(table.columns))
        hidden = set(table.suppressed)
        for i in range(len(full)):
            for j in range(len(full[0])):
                if 0 < full[i][j] < 10:
                    assert table.shown(i, j) == "<10"
                elif (i, j) not in hidden:
                    assert table.shown(i, j) == f"{full[i][j]:,}"  # published figures and totals are exact
        for i in range(len(table.rows)):
            if (i, len(table.columns)) not in hidden:
                assert sum((i, j) in hidden for j in range(len(table.columns))) != 1
        for j in range(len(table.columns)):
            if (len(table.rows), j) not in hidden:
                assert sum((i, j) in hidden for i in range(len(table.rows))) != 1
    assert checked == 3
    assert report.tables[-1].rows and sum(1 for v in report.tables[-1].suppressed.values()) >= 1  # the one open case

    html = pathlib.Path(written.files["html"]).read_text(encoding="utf-8")
    assert "counts under 10 are shown as “&lt;10”" in html and "&lt;10" in html and ">x<" in html
    assert not re.search(r"https?:|<script|<img|<link|@import|url\(", html, re.I)
    # one import batch: the report says import order went untested, and counts the tests it did run
    assert "3 tests at an overall level" in html and "so import order cannot be tested" in html
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", written.files["pdf"], "-"], capture_output=True, text=True, check=True,
                              timeout=60).stdout
        assert f"Transparency report: {CAMPAIGN}" in text and "<10" in text and "People inducted, by region" in text
        assert "import order cannot be tested" in " ".join(text.split())
    csv_text = pathlib.Path(written.files["table 3"]).read_text(encoding="utf-8")
    assert csv_text.splitlines()[0].startswith("region,still called,released: deferred") and "<10" in csv_text
    published = html + json.dumps(json.loads(pathlib.Path(written.files["json"]).read_text(encoding="utf-8"))) + csv_text
    from callup.campaigns.tables import Call, PoolEntry

    with UnitOfWork(day, write=False) as uow:  # nobody's national id or pseudonym is published
        ids = uow.execute(select(Call.__table__.c.national_id)).scalars().all()
        pseudonyms = uow.execute(select(PoolEntry.__table__.c.pseudonym).limit(200)).scalars().all()
    assert ids and not any(i in published for i in ids) and not any(p in published for p in pseudonyms)


def test_the_threshold_is_a_policy_setting_with_a_default_of_5(tmp_path):
    import datetime as dt

    from callup.policy import load_policy

    on = dt.date(2027, 4, 1)
    assert load_policy(EXAMPLE_POLICY).in_force(on).publication.disclosure_threshold == 5
    assert load_policy(_policy_with_threshold(tmp_path, 10)).in_force(on).publication.disclosure_threshold == 10


def test_both_reports_count_a_conscript_who_signed_a_contract_once_as_inducted_and_as_a_conversion(ctx, tmp_path):
    import datetime as dt

    from callup.campaigns.service import campaign_summary  # noqa: F401 - the campaign exists
    from callup.military_service import induction
    from callup.reports.service import write_campaign_report, write_transparency_report
    from campaign_helpers import on_day

    policy = _policy_with_threshold(tmp_path, 1)  # publish every count, so the one conversion shows
    day = busy_campaign(dataclasses.replace(ctx, policy_path=str(policy)), tmp_path)
    later = on_day(day, dt.date(2027, 8, 6))
    with UnitOfWork(later, write=False) as uow:
        national_id = next(r for r in uow.execute(select(_records().c.national_id, _records().c.state)) if r.state == "serving")[0]
        (record,) = [r.id for r in induction.records_of(uow, national_id)]
    with UnitOfWork(later) as uow:
        induction.convert(uow, record, on=dt.date(2027, 8, 5))
    campaign = write_campaign_report(later, CAMPAIGN, tmp_path / "report")
    funnel = campaign.report.funnel
    assert (funnel.total("inducted"), sum(r.converted for r in funnel.regions)) == (1, 1)
    html = pathlib.Path(campaign.files["html"]).read_text(encoding="utf-8")
    assert "Signed a contract during their conscript service: 1 of the 1 inducted" in html
    published = write_transparency_report(later, CAMPAIGN, tmp_path / "transparency").report
    table = next(t for t in published.tables if t.title == "People inducted, by region")
    assert table.columns == ["conscripts", "signed a contract during their service"]
    assert (table.column_totals, table.grand_total) == (["0", "1"], "1")


def _records():  # noqa: ANN202
    from callup.military_service.tables import ServiceRecord

    return ServiceRecord.__table__
