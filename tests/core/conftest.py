"""Core tests reuse the campaign tests' helpers (a small register, campaign steps in one line each)."""

from __future__ import annotations

import pathlib
import sys

CAMPAIGN_TESTS = str(pathlib.Path(__file__).resolve().parents[1] / "campaigns")
if CAMPAIGN_TESTS not in sys.path:
    sys.path.append(CAMPAIGN_TESTS)
