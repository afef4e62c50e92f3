"""Fixtures for the planning tests (helpers live in planning_helpers.py, a uniquely named module)."""

from planning_helpers import example_path, outcomes_path  # noqa: F401  (pytest fixtures)
