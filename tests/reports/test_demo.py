"""`callup demo`, the README's main job: every step runs, the reports are written, a re-run repeats
nothing, and the sign-ins it prints open the portal and the console."""

from __future__ import annotations

import datetime as dt
import json
import os
import pathlib
import subprocess
import sys

import pyotp
import pytest

pytestmark = pytest.mark.db  # runs callup on a store

NOW = "2026-11-25T10:00:00Z"
STEPS = ["synth", "import", "eligible", "eligible_before_law", "questionnaire", "questionnaire_answers",
         "questionnaire_status", "campaign", "commit", "draw", "export", "verify", "issue",
         "print", "publish", "notices", "simulate", "report", "close", "calibrate", "plan", "campaign_report",
         "transparency_report"]


def _demo(cwd: pathlib.Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLUP_")} | {"CALLUP_NOW": NOW}
    return subprocess.run([sys.executable, "-m", "callup.cli", "demo", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=900, check=False)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[pathlib.Path, dict]:
    cwd = tmp_path_factory.mktemp("demo")
    done = _demo(cwd, "--people", "3000", "--json")
    assert done.returncode == 0, done.stderr[-3000:]
    return cwd, json.loads(done.stdout)


def test_the_demo_runs_every_step_from_the_register_to_the_reports(demo):
    cwd, result = demo
    assert [k for k in result if k in STEPS] == STEPS and set(result["seconds"]) == set(STEPS)
    declared = result["questionnaire_status"]  # the cohort's self-declaration, sent and answered before the campaign
    assert result["questionnaire"]["sent"] == declared["sent"] > 0 and 0 < declared["answered"] <= declared["sent"]
    steps = result["simulate"]["steps"]
    assert steps["inducted"] > 0 and steps["delivered"] > 0 and result["simulate"]["people"] > 0
    assert result["verify"]["match"] is True
    plan = result["plan"]  # the projection starts from the store: its serving conscripts and its campaign's yield
    assert plan["sources"]["conscripts.initial"] == "store" and plan["table"][0]["conscripts"] > 0
    assert plan["sources"]["campaigns[spring].induction_yield"].startswith("store (")
    out = cwd / "demo-out"
    for name in ("report", "transparency"):
        files = sorted(p.suffix for p in (out / name).iterdir())
        assert ".html" in files and ".pdf" in files, (name, files)
    assert list((out / "letters").glob("*.pdf")), "the letters of one region are printed"
    html = next((out / "report").glob("*.html")).read_text(encoding="utf-8")
    assert "<svg" in html and "http://" not in html.replace("http://www.w3.org", "")  # self-contained


def test_running_the_demo_again_repeats_nothing(demo):
    cwd, first = demo
    again = _demo(cwd, "--people", "3000", "--json")
    assert again.returncode == 0, again.stderr[-3000:]
    second = json.loads(again.stdout)
    assert "commit" not in second and "draw" not in second and "simulate" not in second  # the campaign is only shown
    assert "questionnaire" not in second and "questionnaire_answers" not in second
    assert second["questionnaire_status"]["answered"] == first["questionnaire_status"]["answered"]
    assert second["campaign"]["status"] == "closed"
    assert second["sign_ins"]["citizen"] == first["sign_ins"]["citizen"]
    assert second["sign_ins"]["officer"]["totp_secret"] == "(made by an earlier run)"


def test_the_printed_sign_ins_open_the_portal_and_the_console(demo):
    from fastapi.testclient import TestClient

    from callup.web.app import create_app
    from callup.web.settings import WebSettings

    cwd, result = demo
    environ = {"CALLUP_DATABASE_URL": f"sqlite:///{cwd / 'callup.db'}", "CALLUP_KEY_FILE": str(cwd / "callup-keys.json"),
               "CALLUP_NOW": NOW}
    c = TestClient(create_app(WebSettings.from_environ(environ)), base_url="http://testserver", follow_redirects=False)

    def csrf(path: str) -> str:
        import re

        return re.search(r'name="csrf" value="([^"]+)"', c.get(path).text).group(1)

    citizen = result["sign_ins"]["citizen"]
    r = c.post("/signin", data={"csrf": csrf("/signin"), **citizen})
    assert r.status_code == 303 and r.headers["location"] == "/portal"
    assert c.get("/portal").status_code == 200
    officer = result["sign_ins"]["officer"]
    at = dt.datetime.fromisoformat(NOW.replace("Z", "+00:00"))
    totp = pyotp.TOTP(officer["totp_secret"]).at(at)
    c.cookies.clear()
    r = c.post("/officer/signin", data={"csrf": csrf("/officer/signin"), "name": officer["name"],
                                        "password": officer["password"], "totp": totp})
    assert r.status_code == 303 and r.headers["location"] == "/console"


def test_full_scale_sets_the_size_itself(tmp_path):
    done = _demo(tmp_path, "--full-scale", "--people", "5")
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2 and len(lines) == 1 and "--people" in lines[0] and "--full-scale" in lines[0]
