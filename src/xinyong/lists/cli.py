"""``xinyong lists test``: the list rules checked against their golden cases."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from xinyong.catalog.loader import default_catalog
from xinyong.db import unit_of_work
from xinyong.errors import XinyongError
from xinyong.lists.cases import CASES_PATH, load_cases, run_list_cases
from xinyong.lists.definitions import load_definitions
from xinyong.migrations import scratch_database
from xinyong.rules.cases import print_results

lists_app = typer.Typer(help="信用名单", no_args_is_help=True)
console = Console()


@lists_app.command("test")
def test_lists(
    path: Path = typer.Argument(CASES_PATH, help="测试案例 YAML 文件（默认内置案例）"),
) -> None:
    """用名单规则自带的案例（输入主体的记录 → 所在名单与列入、移出日期）在临时数据库上检验；有误时以 1 退出。"""
    catalog = default_catalog()
    try:
        cases = load_cases(path)
    except XinyongError as exc:
        console.print(f"[red]{exc.title}[/red]：{exc.detail}")
        raise typer.Exit(1) from None
    with scratch_database() as engine, unit_of_work(engine) as session:
        results = run_list_cases(session, load_definitions(catalog), catalog, cases)
        session.rollback()
    failures = print_results(results, console.print)
    console.print(f"{len(results) - failures} passed, {failures} failed")
    if failures:
        raise typer.Exit(1)
