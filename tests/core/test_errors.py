"""One error tree: every CallupError of the package has an exit code and an HTTP status, consistent with its
kind; an InputError names its field, which the command line shows as an option."""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys

import pytest

import callup
from callup.errors import CallupError, Forbidden, InputError, NotFound, StateError

#: exit code and HTTP status of each kind; a subclass keeps its kind's pair
KINDS = {InputError: (2, 422), NotFound: (3, 404), StateError: (4, 409), Forbidden: (5, 403)}


def _all_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(callup.__path__, "callup.") if ".migrations" not in m.name)


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _subclasses(sub)
    return found


@pytest.fixture(scope="module")
def error_classes() -> list[type[CallupError]]:
    for name in _all_modules():  # an error class exists once its module is imported
        importlib.import_module(name)
    return sorted((c for c in _subclasses(CallupError) if c.__module__.startswith("callup.")), key=lambda c: c.__qualname__)


def test_every_module_of_the_package_imports(error_classes):
    assert len(error_classes) >= 20  # the features' errors were all found


def test_every_error_has_an_exit_code_and_an_http_status(error_classes):
    for cls in error_classes:
        assert isinstance(cls.exit_code, int) and 2 <= cls.exit_code <= 125 and cls.exit_code != 70, cls  # 70: a bug
        assert isinstance(cls.http_status, int) and 400 <= cls.http_status <= 599, cls
        for kind, pair in KINDS.items():
            if issubclass(cls, kind):
                assert (cls.exit_code, cls.http_status) == pair, f"{cls.__module__}.{cls.__qualname__} is a {kind.__name__}"


def test_an_error_keeps_its_field_and_kind_across_a_process_boundary():
    import pickle

    from callup.campaigns.errors import CampaignStateError

    for error in (InputError("the window ends before it starts", field="window"), CampaignStateError("x is drawn")):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and str(copy) == str(error) and copy.field == error.field


@pytest.mark.parametrize(("error", "shown"), [
    (InputError("the window ends (2027-04-01) before it starts (2027-05-01)", field="window"),
     "error: --window: the window ends (2027-04-01) before it starts (2027-05-01)\n"),
    (InputError("--quota: must be a whole number", field="quota"), "error: --quota: must be a whole number\n"),
    (InputError("x.csv: line 3: bad region", field="regional_quotas"), "error: --regional-quotas: x.csv: line 3: bad region\n"),
    (NotFound("no campaign named 'c'"), "error: no campaign named 'c'\n"),
])
def test_the_command_line_names_the_field_as_its_option(capsys, error, shown):
    from callup.cli import _show

    _show(error)
    assert capsys.readouterr().err == shown


@pytest.mark.db
def test_a_window_that_ends_before_it_starts_is_one_line_naming_window(tmp_path):
    result = subprocess.run([sys.executable, "-m", "callup.cli", "campaign", "create", "x", "--window", "2027-05-01:2027-04-01",
                             "--quota", "1"], cwd=tmp_path, env=dict(os.environ), capture_output=True, text=True, timeout=120)
    lines = result.stderr.splitlines()
    assert result.returncode == 2 and result.stdout == "" and len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and "--window" in lines[0] and "Traceback" not in result.stderr
