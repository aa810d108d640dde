"""The one-way layers of STYLE.md, enforced by import-linter's contract in pyproject.toml, and
the wiring's rules: only the app factory and the HTTP dependencies touch ``app.state``, and no
domain's routes import another domain's routes (they share setups through the wiring)."""

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "xinyong"
APP_STATE_OWNERS = {"web/app.py", "http/deps.py"}
# Read app.state until the credit file's routes and pages take their setups through
# ``provide`` (lists.deps.ListsDep, access.deps.ScopesDep, records.deps.RepairStatusDep).
APP_STATE_PENDING = {"files/api.py", "portal/routes.py"}


def _modules() -> list[tuple[str, Path]]:
    return [(p.relative_to(PACKAGE).as_posix(), p) for p in sorted(PACKAGE.rglob("*.py"))]


def test_domains_import_only_lower_layers():
    lint = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    result = subprocess.run(
        [lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_only_the_app_factory_and_the_http_dependencies_touch_app_state():
    readers = {
        name
        for name, path in _modules()
        if re.search(r"app\.state\.", path.read_text(encoding="utf-8"))
    }
    assert readers - APP_STATE_OWNERS - APP_STATE_PENDING == set()


def _imported(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_no_domain_routes_import_another_domains_routes():
    crossing = {}
    for name, path in _modules():
        if not name.endswith("api.py") or "/" not in name:
            continue
        domain = name.split("/")[0]
        others = {
            module
            for module in _imported(ast.parse(path.read_text(encoding="utf-8")))
            if re.fullmatch(r"xinyong\.\w+\.(\w+_)?api", module) and module.split(".")[1] != domain
        }
        if others:
            crossing[name] = sorted(others)
    assert crossing == {}
