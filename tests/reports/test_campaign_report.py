"""The campaign report: every figure is the owning service's, and the HTML and the PDF show them as a reader would."""

from __future__ import annotations

import ast
import datetime as dt
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import callup.reports  # noqa: E402
from callup.uow import UnitOfWork  # noqa: E402
from report_helpers import CAMPAIGN, ISSUE_DAY, REPORT_DAY, busy_campaign  # noqa: E402

REPORTS = pathlib.Path(callup.reports.__file__).resolve().parent
SECTIONS = ["The pool before and after the age change", "Allocation to regions", "The draw record and its verification",
            "From called to inducted", "Fairness of the draw", "Delivery evidence", "Deployment guardrail", "Open cases",
            "Force projection against the targets"]
UNTESTED_IMPORT_ORDER = "Everyone in this pool entered the register in one import batch, so import order cannot be tested."
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed; CI installs it")


def _check_figures(r, ctx) -> None:  # noqa: ANN001
    from callup.campaigns.fairness import campaign_fairness
    from callup.campaigns.service import campaign_summary, draw_record
    from callup.notices.service import status_report
    from callup.planning.service import projection_report
    from callup.register.eligibility import eligibility
    from callup.reports.campaign import default_scenario

    on = dt.date(2027, 4, 1)
    assert (r.pool.on, r.pool.in_force.until_age, r.pool.compared.until_age) == (on, 30, 27)
    with UnitOfWork(ctx, write=False) as uow:
        summary = campaign_summary(uow, CAMPAIGN)
    # the pool the draw was made from, though a called person was deferred and another inducted since
    now, then = r.pool.in_force, r.pool.compared
    assert {k: v for k, v in now.by_region.items() if v} == {g.region: g.pool for g in summary.regions if g.pool}
    assert now.total == summary.pool_size == sum(now.by_age.values())
    assert set(now.by_age) == set(range(18, 30)) and set(then.by_age) == set(range(18, 27))
    # the earlier age limits applied to the same people: the same count at every age both cover
    assert then.by_age == {a: now.by_age[a] for a in range(18, 27)} and then.total == sum(then.by_age.values()) < now.total
    # without a frozen pool: the register as it stands, the counts `callup register eligible` prints
    from callup.reports.pool import pool_section

    policy = ctx.policy()
    with UnitOfWork(ctx, write=False) as uow:
        current = pool_section(uow, policy, policy.in_force(on), on)
    for rules in (current.in_force, current.compared):
        counted = eligibility(ctx, next(v for v in policy.versions if v.version == rules.version), on)
        assert {k: v for k, v in rules.by_region.items() if v} == counted.by_region
        assert rules.total == counted.eligible == sum(rules.by_age.values())
    assert current.in_force.total < now.total  # the deferred and the inducted are out of the pool now

    with UnitOfWork(ctx, write=False) as uow:
        record = draw_record(uow, CAMPAIGN)
        notices = status_report(uow, CAMPAIGN)
    assert [(a.region, a.pool, a.quota, a.number, a.called, a.released) for a in r.allocation] == [
        (g.region, g.pool, g.quota, g.number, g.called, g.released) for g in summary.regions]

    assert r.draw.verdict == "MATCH" and all(c.ok for c in r.draw.checks)
    assert {"commitment", "announced commitment", "salt", "pool fingerprint", "seed", "regions", "results fingerprint",
            "totals", "allocation.csv", "replacements chain", "replacements reserve order"} <= {c.name for c in r.draw.checks}
    assert (r.draw.seed, r.draw.called_total, r.draw.commitment_hash) == (record.seed, record.called_total, summary.commitment_hash)

    f = r.funnel
    from callup.reports.outcomes import campaign_report as casework_report

    with UnitOfWork(ctx, write=False) as uow:
        work = casework_report(uow, CAMPAIGN)
    assert f.adds_up is True and work.adds_up and "case work" in f.source
    assert {o: sum(row.outcomes.get(o, 0) for row in f.regions) for o in f.outcomes} == work.national.outcomes
    assert (f.total("delivered"), f.total("appeared")) == (work.national.delivered, work.national.appeared)
    assert f.total("called") == summary.called + summary.released == 121
    assert f.total("still called") == summary.called and f.total("inducted") == 1
    assert {k: v for row in f.regions for k, v in row.released.items()} == {"deferred": 1}
    assert all(row.called == sum(row.released.values()) + row.still_called for row in f.regions)
    live = sum(n for state, n in notices.by_status.items() if state not in ("cancelled", "superseded"))
    assert live == summary.called
    # summoned counts people issued a summons: the released person's cancelled summons too
    assert f.total("summoned") == summary.called + summary.released
    path = [f.total(stage) for stage in ("called", "summoned", "delivered", "appeared", "inducted")]
    assert path == sorted(path, reverse=True), f"each stage of the path is a part of the one before: {path}"
    # case work counts every called person reached, the released too (their summons was deemed delivered before it ended)
    assert f.total("delivered") == notices.by_status["delivered"] + 1
    assert (f.total("appeared"), sum(row.no_show for row in f.regions)) == (notices.appeared, notices.no_show) == (5, 2)
    assert work.national.outcomes["inducted"] == 1 and work.national.outcomes["deferred"] == 1

    d = r.delivery
    assert (d.total("proved"), d.returned, d.awaiting) == (10, 3, 1)
    assert d.total("total") == live and d.total("undelivered") == 4
    assert d.total("deemed") == live - 14

    fair = campaign_fairness(ctx, CAMPAIGN).birth_date_test
    assert [t.p_value for t in r.fairness.tests] == [fair.spearman_p, fair.kruskal_p, fair.chi2_p]
    assert r.fairness.n == fair.n and r.fairness.flagged == fair.flagged
    # the busy campaign's register came in one import: the report says import order went untested, not silently nothing
    assert r.fairness.untested == UNTESTED_IMPORT_ORDER

    assert r.cases.total == 1 and [(k.kind, k.count, k.oldest_age_days) for k in r.cases.kinds] == [
        ("exemption", 1, (REPORT_DAY - ISSUE_DAY).days)]
    assert r.guardrail.events == [{"action": "induct", "status": "conscript", "zone": "combat", "outcome": "refused",
                                   "attempts": 1}]
    assert r.guardrail.forbidden["conscript"] == ["combat"]

    projection = projection_report(default_scenario())
    assert [(t["name"], t["target"]) for t in r.projection.targets] == [("total", 2_390_000), ("active", 1_500_000)]
    assert r.projection.targets == projection.targets


def _check_html(html: str, r) -> None:  # noqa: ANN001
    text = re.sub(r"<svg.*?</svg>", "", html, flags=re.S)
    for i, title in enumerate(SECTIONS, 1):
        assert f"<h2>{i}. {title}</h2>" in html
    assert not re.search(r"https?:|//[a-z]|<script|<link|<img|<iframe|@import|@font-face|url\((?!#)", html, re.I)
    assert html.count("<svg") == 6 and html.count("</svg>") == 6
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))  # figures do not clash on one page
    for figure in (f"{r.pool.in_force.total:,}", f"{r.pool.compared.total:,}", "MATCH", r.draw.seed, "2,390,000", "1,500,000",
                   "refused", UNTESTED_IMPORT_ORDER):
        assert figure in text, figure


def _pdftext(path: pathlib.Path) -> str:
    return " ".join(subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True,
                                   timeout=60).stdout.split())


def test_the_campaign_report_shows_each_service_s_figures_in_html_pdf_and_json(ctx, tmp_path):
    from callup.reports.service import write_campaign_report

    day = busy_campaign(ctx, tmp_path)
    written = write_campaign_report(day, CAMPAIGN, tmp_path / "out")
    r = written.report
    _check_figures(r, day)
    assert {p.name for p in (tmp_path / "out" / "public-record").iterdir()} >= {"draw-record.json", "pool.parquet",
                                                                                "commitment.json"}
    _check_html(pathlib.Path(written.files["html"]).read_text(encoding="utf-8"), r)
    pdf = pathlib.Path(written.files["pdf"]).read_bytes()
    assert pdf.startswith(b"%PDF") and b"http" not in pdf.split(b"/Producer")[0][-2000:]
    assert '"verdict": "MATCH"' in pathlib.Path(written.files["json"]).read_text(encoding="utf-8")
    if shutil.which("pdftotext"):
        text = _pdftext(pathlib.Path(written.files["pdf"]))
        for i, title in enumerate(SECTIONS, 1):
            assert f"{i}. {title}" in text
        for figure in (f"Campaign report: {CAMPAIGN}", "Verification: MATCH", f"{r.pool.in_force.total:,}",
                       f"{r.pool.compared.total:,}", "2,390,000", "1,500,000", "deferred", "inducted 1", "refused",
                       "The outcomes add up in every region", UNTESTED_IMPORT_ORDER):
            assert figure in text, figure


def test_a_report_needs_a_reader_role_and_a_campaign(ctx, tmp_path):
    from callup.campaigns.errors import CampaignNotFound
    from callup.errors import Forbidden, InputError
    from callup.reports.campaign import campaign_report
    from callup.reports.service import write_campaign_report
    from callup_test_support import make_context

    officer = make_context(ctx.database_url, role="officer", regions="R01")
    with pytest.raises(Forbidden):
        campaign_report(officer, CAMPAIGN)
    with pytest.raises(CampaignNotFound):
        campaign_report(ctx, "no-such-campaign")
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="not a directory"):
        write_campaign_report(ctx, CAMPAIGN, tmp_path / "file")


@pytest.mark.db
def test_the_command_line_refuses_in_one_line(tmp_path):
    import os

    env = {**os.environ, "CALLUP_DATABASE_URL": f"sqlite:///{tmp_path}/callup.db"}
    result = subprocess.run([sys.executable, "-m", "callup.cli", "report", "campaign", "nothing", "--out", str(tmp_path / "o")],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 3 and result.stderr.count("\n") == 1 and "no campaign named 'nothing'" in result.stderr


def test_report_command_modules_only_parse_and_render():
    for path in sorted(REPORTS.glob("*commands.py")):
        tree = ast.parse(path.read_text())
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not {m for m in imported if m.startswith(("sqlalchemy", "pyarrow", "callup.store"))}, path


def test_a_campaign_not_drawn_yet_reports_what_it_has_and_says_what_is_missing(ctx, tmp_path):
    from callup.campaigns import service
    from callup.reports.service import write_campaign_report, write_transparency_report
    from campaign_helpers import create, load_register

    load_register(ctx, tmp_path, people=2000)
    create(ctx, CAMPAIGN, quota=40)
    service.freeze_campaign(ctx, CAMPAIGN)
    written = write_campaign_report(ctx, CAMPAIGN, tmp_path / "out")
    r = written.report
    assert r.status == "frozen" and r.draw is r.funnel is r.fairness is r.delivery is None and r.pool.in_force.total > 0
    html = pathlib.Path(written.files["html"]).read_text(encoding="utf-8")
    assert "The campaign has not been drawn: there is no draw record yet." in html
    assert "public_record" not in written.files and html.count("<svg") == 3  # the pool's two figures and the projection
    if shutil.which("pdftotext"):
        assert "The campaign has not been drawn" in _pdftext(pathlib.Path(written.files["pdf"]))
    published = write_transparency_report(ctx, CAMPAIGN, tmp_path / "published").report
    assert published.draw is None and [t.title.split(" (")[0] for t in published.tables] == [
        "The eligible pool by age", "The eligible pool by region and age group", "Cases waiting for a decision, by region and kind"]
