"""``xinyong measures list|check``: the measures catalog for officials who edit it, checked
against the models in force (shipped, or newer published ones) and the lists, as a server would
check it when it loads it."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from xinyong.catalog.loader import default_catalog
from xinyong.checks.measure_cases import CASES_PATH, load_cases, run_measure_cases
from xinyong.checks.measures import MEASURES_PATH, Area, MeasureCatalog, load_measures
from xinyong.console import JSON_OPTION, wired
from xinyong.db import get_engine, unit_of_work
from xinyong.errors import XinyongError
from xinyong.lists.definitions import ListDefinitions, load_definitions
from xinyong.rules.cases import print_results
from xinyong.scoring.in_force import ScorecardsInForce
from xinyong.scoring.shipped import load_all

measures_app = typer.Typer(help="守信激励与失信惩戒措施清单", no_args_is_help=True)
console = Console()


def _load(ctx: typer.Context, path: Path) -> MeasureCatalog:
    with unit_of_work(get_engine()) as session:
        setups = wired(ctx, session)
        in_force, lists = setups.get(ScorecardsInForce), setups.get(ListDefinitions)
    return load_measures(in_force, lists, path)


@measures_app.command("list")
def list_measures(
    ctx: typer.Context,
    area: str = typer.Option(None, "--area", help="只看一个领域，如 公共资源交易"),
    as_json: bool = JSON_OPTION,
) -> None:
    """列出措施：领域、类型、触发条件、处理方式和依据。"""
    measures = _load(ctx, MEASURES_PATH)
    chosen = [m for m in measures.measures if area is None or area in [a.value for a in m.areas]]
    if as_json:
        typer.echo(json.dumps([m.model_dump(mode="json") for m in chosen], ensure_ascii=False))
        return
    table = Table(title=f"措施清单 第 {measures.version} 版（{len(chosen)} 项）")
    for col in ("编号", "名称", "类型", "领域", "触发条件", "处理方式", "依据"):
        table.add_column(col, overflow="fold")
    for m in chosen:
        table.add_row(
            m.id,
            m.name,
            "激励" if m.kind == "reward" else "惩戒",
            "、".join(a.value for a in m.areas),
            m.when,
            m.action.value,
            m.reference,
        )
    console.print(table)


@measures_app.command("check")
def check_file(
    ctx: typer.Context,
    path: Path = typer.Argument(MEASURES_PATH, help="措施清单 YAML 文件（默认内置清单）"),
) -> None:
    """校验一份措施清单：字段、表达式、引用的模型和名单；有误时逐项列出并以 1 退出。"""
    try:
        measures = _load(ctx, path)
    except XinyongError as exc:
        console.print(f"[red]{exc.title}[/red]（{exc.code}）")
        for e in exc.errors:
            console.print(f"  {e.field}: {e.message}（{e.code}）")
        raise typer.Exit(1) from None
    areas = {a for m in measures.measures for a in m.areas}
    missing = [a.value for a in Area if a not in areas]
    console.print(f"[green]措施清单有效[/green]：{len(measures.measures)} 项")
    if missing:
        console.print(f"[yellow]以下领域没有任何措施：{'、'.join(missing)}[/yellow]")


@measures_app.command("test")
def test_measures(
    path: Path = typer.Argument(CASES_PATH, help="测试案例 YAML 文件（默认内置案例）"),
) -> None:
    """用措施清单自带的案例（输入核查事实 → 各领域的处理方式与措施）检验内置清单；有误时以 1 退出。"""
    catalog = default_catalog()
    scorecards, lists = load_all(catalog), load_definitions(catalog)
    try:
        results = run_measure_cases(
            load_measures(scorecards, lists), scorecards, lists, load_cases(path)
        )
    except XinyongError as exc:
        console.print(f"[red]{exc.title}[/red]：{exc.detail}")
        raise typer.Exit(1) from None
    failures = print_results(results, console.print)
    console.print(f"{len(results) - failures} passed, {failures} failed")
    if failures:
        raise typer.Exit(1)
