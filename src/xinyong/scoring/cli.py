"""``xinyong evaluate`` and ``xinyong models``: runs and the shipped models."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import TypedDict

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from xinyong.catalog.loader import default_catalog
from xinyong.config import get_settings
from xinyong.console import wired
from xinyong.db import get_engine, unit_of_work
from xinyong.errors import XinyongError
from xinyong.kit import clock
from xinyong.migrations import scratch_database
from xinyong.rules.cases import print_results
from xinyong.scoring import service
from xinyong.scoring.cases import run_case_file
from xinyong.scoring.errors import UnknownEngine, UnknownModel
from xinyong.scoring.in_force import ScorecardsInForce
from xinyong.scoring.read import parse_as_of
from xinyong.scoring.shipped import CASES_DIR, load_all

models_app = typer.Typer(help="评价模型", no_args_is_help=True)
console = Console(stderr=True)


def _served_models(ctx: typer.Context) -> ScorecardsInForce:
    """What the platform evaluates with: shipped models, overridden by published versions."""
    with unit_of_work(get_engine()) as session:
        return wired(ctx, session).get(ScorecardsInForce)


def _fail(exc: XinyongError, as_json: bool) -> typer.Exit:
    if as_json:
        typer.echo(json.dumps(exc.problem(), ensure_ascii=False))
    else:
        console.print(f"[red]{exc.title}[/red]（{exc.code}）")
    return typer.Exit(1)


def evaluate_command(
    ctx: typer.Context,
    model: str = typer.Option(..., "--model", help="模型标识，见 xinyong models list"),
    as_of: str = typer.Option(None, "--as-of", help="评价日期 YYYY-MM-DD，默认今天"),
    engine: str = typer.Option("database", "--engine", help="database 或 duckdb"),
    as_json: bool = typer.Option(False, "--json", help="只输出一个 JSON 对象"),
) -> None:
    """对一个模型的全部主体运行评价，结果按块写入，可重复运行。"""
    catalog = default_catalog()
    try:
        loaded = _served_models(ctx).get(model)
        if loaded is None:
            raise UnknownModel(model)
        if engine not in ("database", "duckdb"):
            raise UnknownEngine(engine)
        day = parse_as_of(as_of, clock.today())
        db = get_engine(get_settings())
        if as_json:
            report = service.run_batch(db, loaded, catalog, as_of=day, on=engine)
        else:
            with Progress(
                TextColumn(f"[bold]评价[/bold] {model} @ {day}"),
                BarColumn(),
                TextColumn("{task.completed:,} 个主体"),
                TimeElapsedColumn(),
                console=console,
            ) as bar:
                task = bar.add_task("run", total=None)
                report = service.run_batch(
                    db,
                    loaded,
                    catalog,
                    as_of=day,
                    on=engine,
                    progress=lambda n: bar.update(task, completed=n),
                )
    except XinyongError as exc:
        raise _fail(exc, as_json) from None
    out = asdict(report)
    out["as_of"] = report.as_of.isoformat()
    if as_json:
        typer.echo(json.dumps(out, ensure_ascii=False))
        return
    console.print(
        f"运行 {report.run_id}：{report.subjects:,} 个主体，等级变化 {report.grade_changes:,}"
    )
    for grade, n in sorted(report.grades.items(), key=lambda kv: -kv[1]):
        console.print(f"  {grade}：{n:,}")


class ModelRow(TypedDict):
    """One published model as ``models list`` shows it (and prints it with --json)."""

    id: str
    name: str
    version: int
    subject_kinds: Sequence[str]
    hash: str
    consent_required: bool


@models_app.command("list")
def list_models(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="只输出一个 JSON 数组"),
) -> None:
    """列出已发布的评价模型。"""
    models = _served_models(ctx)
    rows: list[ModelRow] = [
        {
            "id": m.scorecard.id,
            "name": m.scorecard.name,
            "version": m.scorecard.version,
            "subject_kinds": m.scorecard.subject_kinds,
            "hash": m.definition_hash[:12],
            "consent_required": m.scorecard.consent_required,
        }
        for m in models.values()
    ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    table = Table(title="评价模型")
    for col in ("标识", "名称", "版本", "主体类型", "需授权", "定义哈希"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["id"],
            r["name"],
            str(r["version"]),
            "、".join(r["subject_kinds"]),
            "是" if r["consent_required"] else "否",
            r["hash"],
        )
    Console().print(table)


@models_app.command("test")
def test_models(
    model: str = typer.Option(None, "--model", help="只测试一个模型"),
    duckdb: bool = typer.Option(True, "--duckdb/--no-duckdb", help="同时在 DuckDB 上批量计算"),
) -> None:
    """用模型自带的案例（输入事实 → 指标、得分、等级）检验联机与批量两条路径。"""
    catalog = default_catalog()
    models = load_all(catalog)
    failures = total = 0
    with scratch_database() as engine:
        for path in sorted(CASES_DIR.glob("*.yaml")):
            if model and path.stem != model:
                continue
            with unit_of_work(engine) as session:
                results = run_case_file(session, catalog, models, path, duckdb=duckdb)
                session.rollback()
            total += len(results)
            failures += print_results(results, console.print)
    if total == 0:
        console.print(f"[red]没有找到模型 {model} 的案例[/red]")
        raise typer.Exit(1)
    console.print(f"{total - failures} passed, {failures} failed")
    if failures:
        raise typer.Exit(1)
