"""``xinyong ingest PATH --type TYPE --source DEPT`` and ``xinyong quality``."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from xinyong.catalog.loader import default_catalog
from xinyong.config import get_settings
from xinyong.console import JSON_OPTION
from xinyong.db import get_engine, unit_of_work
from xinyong.errors import XinyongError
from xinyong.ingest.limits import IngestLimits
from xinyong.ingest.runner import FileIngestOptions, ingest_file
from xinyong.ingest.service import Actor, quality_report

console = Console(stderr=True)


def _run(path: Path, options: FileIngestOptions, *, as_json: bool) -> dict[str, Any]:
    settings = get_settings()
    engine, catalog, actor = get_engine(settings), default_catalog(), Actor("cli", "admin")
    if as_json:
        return ingest_file(engine, catalog, path, options, actor=actor)
    with Progress(
        TextColumn("[bold]归集[/bold] {task.description}"),
        BarColumn(),
        TextColumn("{task.fields[rows]} 行"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task(path.name, total=None, rows=0)
        return ingest_file(
            engine,
            catalog,
            path,
            options,
            actor=actor,
            progress=lambda rows, _size: bar.update(task, rows=rows),
        )


def _print_report(report: dict[str, Any]) -> None:
    console.print(
        f"批次 {report['batch_id']}：新增 {report['accepted']}，更正 {report['updated']}，"
        f"未变 {report['unchanged']}，撤销 {report['revoked']}，拒收 {report['rejected']}"
    )
    if report["unknown_columns"]:
        console.print(
            f"[yellow]已忽略无法识别的列：{'、'.join(report['unknown_columns'])}[/yellow]"
        )
    for r in report["rejects"][:20]:
        console.print(f"  第{r['row']}行：{r['message']}（{r['code']}）")
    if len(report["rejects"]) > 20:
        console.print(f"  …… 共 {len(report['rejects'])} 条问题，用 --json 查看全部")


def ingest_command(
    path: Path = typer.Argument(..., help="CSV（UTF-8 / GB18030）、XLSX 或 Parquet 文件"),
    record_type: str = typer.Option(..., "--type", help="信息类型代码，见 xinyong catalog list"),
    source: str = typer.Option(..., "--source", help="数据来源单位代码"),
    as_json: bool = typer.Option(False, "--json", help="只输出一个 JSON 对象"),
) -> None:
    """归集一个文件：逐行校验，合格行入库，不合格行隔离并报告原因。"""
    settings = get_settings()
    options = FileIngestOptions(
        record_type=record_type,
        source=source,
        secret=settings.hmac_key,
        strict_org_code=settings.strict_org_code,
        chunk_rows=settings.ingest_chunk_rows,
        workers=settings.ingest_workers,
        limits=IngestLimits.from_settings(settings),
    )
    try:
        report = _run(path, options, as_json=as_json)
    except XinyongError as exc:
        # Also a second import of a file being imported (ingest.already_running) and a batch
        # stopped by a limit: exit 1 with the reason, never a traceback.
        if as_json:
            typer.echo(json.dumps(exc.problem(), ensure_ascii=False))
        else:
            console.print(f"[red]{escape(exc.title)}[/red]（{exc.code}）")
            for e in exc.errors:
                console.print(f"  · {escape(e.message)}")
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
    else:
        _print_report(report)


def quality_command(
    source: str = typer.Option(None, "--source", help="只看一个来源单位"),
    as_json: bool = JSON_OPTION,
) -> None:
    """数据质量报告：各来源单位的拒收原因和字段缺失率。"""
    with unit_of_work(get_engine()) as session:
        report = quality_report(session, default_catalog(), source=source)
    if as_json:
        typer.echo(json.dumps([asdict(r) for r in report], ensure_ascii=False))
        return
    out = Console()
    for q in report:
        out.print(
            f"[bold]{q.source_name}[/bold]（{q.source}） {q.record_type}：{q.rows} 行，"
            f"拒收 {q.rejected}（{q.reject_rate:.2%}）"
        )
        if q.reject_reasons:
            out.print("  拒收原因：")
            for code, count in q.reject_reasons.items():
                out.print(f"    {q.reject_examples.get(code, code)}（{code}）× {count}")
        table = Table(show_header=True)
        table.add_column("字段")
        table.add_column("缺失率", justify="right")
        for f in q.fields:
            if f.missing_rate > 0:
                table.add_row(f.label, f"{f.missing_rate:.1%}")
        if table.row_count:
            out.print(table)
