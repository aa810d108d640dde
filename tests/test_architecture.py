"""The one-way layers of STYLE.md, enforced by import-linter's contract in pyproject.toml, and
one writer per table (records, list entries and scores change only in their own domain), and
the wiring's rules: only the app factory and the HTTP dependencies touch ``app.state``, and no
domain's routes import another domain's routes (they share setups through the wiring)."""

import ast
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "xinyong"
APP_STATE_OWNERS = {"web/app.py", "http/deps.py"}


def _modules() -> list[tuple[str, Path]]:
    return [(p.relative_to(PACKAGE).as_posix(), p) for p in sorted(PACKAGE.rglob("*.py"))]


def test_domains_import_only_lower_layers():
    lint = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    result = subprocess.run(
        [lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- one writer per table ---------------------------------------------------------------------

SRC = ROOT / "src" / "xinyong"
# Each guarded table's model, by the package that alone may insert, update or delete its rows.
OWNED = {
    "records": ("Record", "RecordVersion"),
    "lists": ("ManualListEntry", "ListConflict"),
    "scoring": ("Score", "ScoreRun", "GradeChange"),
}
OWNER = {name: package for package, names in OWNED.items() for name in names}
# Marks other domains decide but only ``records.service`` writes.
RECORD_MARKS = frozenset({"disputed", "repaired_on"})
WRITES = frozenset({"insert", "update", "delete", "bulk_insert"})


def _guarded_names(tree: ast.Module) -> dict[str, str]:
    """Local name → model of every guarded model this module imports from its models."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").endswith(".models"):
            for alias in node.names:
                if OWNER.get(alias.name) == node.module.split(".")[-2]:
                    names[alias.asname or alias.name] = alias.name
    return names


def _refers_to(node: ast.AST, names: dict[str, str]) -> str | None:
    """The guarded model ``node`` names (``Record``, ``Record.__table__``), if any."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return names.get(node.id) if isinstance(node, ast.Name) else None


def _callee(node: ast.Call) -> str | None:
    func = node.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)


def _call_writes(node: ast.Call, names: dict[str, str], package: str) -> list[str]:
    found = []
    callee = _callee(node)
    if callee in names:
        found.append(f"constructs {names[callee]}")
    if callee in WRITES:
        found += [f"{callee}({m})" for a in node.args if (m := _refers_to(a, names))]
    if callee == "values" and package != "records":
        found += [f"values({k.arg}=…)" for k in node.keywords if k.arg in RECORD_MARKS]
    return found


def _attribute_writes(node: ast.AST) -> list[str]:
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = [t for target in node.targets for t in ast.walk(target)]
    elif isinstance(node, ast.AugAssign | ast.AnnAssign):
        targets = [node.target]
    return [
        f".{t.attr} = …" for t in targets if isinstance(t, ast.Attribute) and t.attr in RECORD_MARKS
    ]


def table_writes(source: str, module: str) -> list[str]:
    """Every write in ``source`` (module ``xinyong.<package>…``) to a table another package
    owns: constructing its model, ``insert``/``update``/``delete``/``bulk_insert`` on it, or
    setting a record's ``disputed``/``repaired_on`` (attribute or ``.values(...)``)."""
    package = module.split(".")[1]
    tree = ast.parse(source)
    names = {k: v for k, v in _guarded_names(tree).items() if OWNER[v] != package}
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            found += _call_writes(node, names, package)
        if package != "records":
            found += _attribute_writes(node)
    return [f"{module}:{where}" for where in found]


def _module(path: Path) -> str:
    return ".".join(path.relative_to(SRC.parent).with_suffix("").parts)


def test_records_list_entries_and_scores_are_written_only_by_their_own_domain():
    offences = [
        offence
        for path in sorted(SRC.rglob("*.py"))
        if "migrations" not in path.parts
        for offence in table_writes(path.read_text("utf-8"), _module(path))
    ]
    assert offences == []


def test_a_repair_setting_repaired_on_itself_is_caught():
    source = (
        "from xinyong.records.models import Record\n"
        "def approve(record):\n"
        "    record.repaired_on = today\n"
    )
    assert table_writes(source, "xinyong.repair.effects") == [
        "xinyong.repair.effects:.repaired_on = …"
    ]


def test_writing_another_domains_rows_is_caught():
    source = (
        "from sqlalchemy import update\n"
        "from xinyong.lists.models import ManualListEntry as Entry\n"
        "from xinyong.records.models import Record\n"
        "from xinyong.scoring.models import Score\n"
        "def f(session):\n"
        "    session.add(Entry(list_id='key_supervision'))\n"
        "    session.execute(update(Record).values(disputed=True))\n"
        "    session.execute(insert(Score.__table__))\n"
    )
    assert sorted(table_writes(source, "xinyong.checks.service")) == [
        "xinyong.checks.service:constructs ManualListEntry",
        "xinyong.checks.service:insert(Score)",
        "xinyong.checks.service:update(Record)",
        "xinyong.checks.service:values(disputed=…)",
    ]


def test_the_owner_writes_its_own_rows():
    source = (
        "from xinyong.records.models import Record\n"
        "def mark(session, record):\n"
        "    record.repaired_on = on\n"
        "    session.execute(update(Record).values(disputed=True))\n"
    )
    assert table_writes(source, "xinyong.records.service") == []


def test_only_the_app_factory_and_the_http_dependencies_touch_app_state():
    readers = {
        name
        for name, path in _modules()
        if re.search(r"app\.state\.", path.read_text(encoding="utf-8"))
    }
    assert readers - APP_STATE_OWNERS == set()


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


# --- small functions ----------------------------------------------------------------------------

MAX_FUNCTION_LINES = 60


def test_no_function_in_src_runs_past_sixty_lines():
    """STYLE.md: split a function by step before it grows past 60 lines (migrations aside)."""
    long = [
        f"{path.relative_to(SRC)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1})"
        for path in sorted(SRC.rglob("*.py"))
        if "migrations" not in path.parts
        for node in ast.walk(ast.parse(path.read_text("utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (node.end_lineno or node.lineno) - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == []


# --- every package has its rung ---------------------------------------------------------------

# What rules/ may import (the contract's allowed side), besides rules itself.
RULES_MAY_IMPORT = {"catalog", "config", "db", "errors", "kit", "records", "subjects", "workflow"}


def _contracts() -> list[dict]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["importlinter"][
        "contracts"
    ]


def _top_level_packages() -> set[str]:
    return {
        p.stem if p.is_file() else p.name
        for p in PACKAGE.iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()
    }


def test_every_package_takes_a_rung_and_a_place_in_the_rules_contract():
    """A new capability adds its package to the layers and to what rules/ may not import
    (README, "Adding a capability"): a package missing from either would be unchecked."""
    layers, forbidden = _contracts()
    in_layers = {
        name.strip().removeprefix("xinyong.")
        for layer in layers["layers"]
        for name in layer.split("|")
    }
    not_for_rules = {m.removeprefix("xinyong.") for m in forbidden["forbidden_modules"]}
    # The schema's two homes import every domain's tables; no domain imports them.
    packages = _top_level_packages() - {"rules", "models", "migrations"}
    assert packages - in_layers == set()
    assert packages - RULES_MAY_IMPORT - not_for_rules == set()
