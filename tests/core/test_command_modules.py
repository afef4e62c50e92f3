"""Commands only parse and render: no `commands.py` reaches for the store, SQLAlchemy or Arrow.

Every import statement counts, including those inside functions (where the lazy command line puts
them): a command needing the database goes through a service; `callup.store.service` is the store's
own service module.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

import callup

PACKAGE = pathlib.Path(callup.__file__).resolve().parent
COMMAND_MODULES = sorted(PACKAGE.rglob("commands.py"))
FORBIDDEN = ("sqlalchemy", "pyarrow", "callup.store")
ALLOWED = ("callup.store.service",)


def _module_name(path: pathlib.Path, root: pathlib.Path) -> str:
    return ".".join(("callup", *path.relative_to(root).with_suffix("").parts))


def imported_modules(path: pathlib.Path, root: pathlib.Path = PACKAGE) -> set[str]:
    """What every import statement of `path` names: `import X` gives X, `from X import y` gives X.y (y may be a module
    or a name in X: `from callup.store import service` is the service module, `from callup.store import open_store`
    is the store), relative imports resolved."""
    package = _module_name(path, root).rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*parent, base] if base else parent)
            found.update(base if alias.name == "*" else f"{base}.{alias.name}" for alias in node.names)
    return found


def _forbidden(module: str) -> bool:
    if any(module == a or module.startswith(a + ".") for a in ALLOWED):
        return False
    return any(module == f or module.startswith(f + ".") for f in FORBIDDEN)


def test_there_are_command_modules_to_check():
    assert len(COMMAND_MODULES) >= 8 and PACKAGE / "campaigns" / "commands.py" in COMMAND_MODULES


@pytest.mark.parametrize("path", COMMAND_MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_command_module_imports_neither_the_store_nor_sqlalchemy_nor_pyarrow(path):
    reached = sorted(m for m in imported_modules(path) if _forbidden(m))
    assert reached == [], f"{path.relative_to(PACKAGE)} imports {', '.join(reached)}: move that work into a service"


@pytest.mark.parametrize(("source", "reached"), [
    ("import sqlalchemy", ["sqlalchemy"]),
    ("def f():\n    from sqlalchemy import select", ["sqlalchemy.select"]),
    ("def f():\n    import pyarrow.compute as pc", ["pyarrow.compute"]),
    ("from callup.store.engine import connect", ["callup.store.engine.connect"]),
    ("from callup.store import bulk, service", ["callup.store.bulk"]),
    ("from callup.store import open_store", ["callup.store.open_store"]),
    ("import callup.store", ["callup.store"]),
    ("class C:\n    def m(self):\n        from ..store import engine", ["callup.store.engine"]),
    ("from callup.store.service import backup_store", []),
    ("from callup.store import service", []),
    ("from callup.register.queries import get_person", []),
])
def test_the_check_sees_every_kind_of_import_statement(tmp_path, source, reached):
    module = tmp_path / "callup" / "feature" / "commands.py"
    module.parent.mkdir(parents=True)
    module.write_text(source)
    assert sorted(m for m in imported_modules(module, tmp_path / "callup") if _forbidden(m)) == reached
