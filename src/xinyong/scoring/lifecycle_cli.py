"""``xinyong lifecycle``: drafts, dry runs and publishing from the command line (as admin)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from xinyong.accounts.models import Role
from xinyong.catalog.loader import default_catalog
from xinyong.console import check_definitions, refusals, wired
from xinyong.errors import XinyongError
from xinyong.kit import clock
from xinyong.scoring import lifecycle
from xinyong.scoring.in_force import ScorecardsInForce
from xinyong.scoring.read import parse_as_of

lifecycle_app = typer.Typer(help="评价模型的草稿、试算与发布", no_args_is_help=True)
console = Console(stderr=True)
ACTOR = "cli"


def _fail(exc: XinyongError) -> typer.Exit:
    console.print(f"[red]{exc.title}[/red]（{exc.code}）")
    for err in exc.errors:
        console.print(f"  {err.field}：{err.message}")
    return typer.Exit(1)


@lifecycle_app.command("draft")
def draft_command(
    ctx: typer.Context, file: Path = typer.Argument(..., help="模型定义 YAML 文件")
) -> None:
    """提交一个模型草稿（校验与发布的模型文件相同）。"""
    catalog = default_catalog()
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        console.print(f"[red]无法读取文件：{exc.strerror}[/red]")
        raise typer.Exit(1) from None
    with refusals(_fail) as session:
        row = lifecycle.create_draft(
            session,
            yaml_text=text,
            catalog=catalog,
            actor=ACTOR,
            actor_role=Role.ADMIN,
            now=clock.now(),
            shipped=wired(ctx, session).get(ScorecardsInForce),
        )
        label = f"{row.model_id} 第 {row.version} 版"
    console.print(f"已保存草稿：{label}")


@lifecycle_app.command("dry-run")
def dry_run_command(
    ctx: typer.Context,
    model: str = typer.Argument(..., help="模型标识"),
    version: int = typer.Argument(..., help="版本号"),
    as_of: str = typer.Option(None, "--as-of", help="评价日期 YYYY-MM-DD，默认今天"),
) -> None:
    """试算：输出等级分布及与已发布版本相比等级变化的主体（JSON）。"""
    catalog = default_catalog()
    with refusals(_fail) as session:
        day = parse_as_of(as_of, clock.today())
        row = lifecycle.get_version(session, model, version)
        published = wired(ctx, session).get(ScorecardsInForce).get(model)
        summary = lifecycle.dry_run(
            session,
            row,
            catalog=catalog,
            published=published,
            as_of=day,
            actor=ACTOR,
            actor_role=Role.ADMIN,
            now=clock.now(),
        )
    typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))


@lifecycle_app.command("publish")
def publish_command(
    ctx: typer.Context,
    model: str = typer.Argument(..., help="模型标识"),
    version: int = typer.Argument(..., help="版本号"),
) -> None:
    """发布已试算的版本，并停用此前发布的版本。"""
    with refusals(_fail) as session:
        row = lifecycle.get_version(session, model, version)
        lifecycle.publish(
            session,
            row,
            actor_role=Role.ADMIN,
            actor=ACTOR,
            now=clock.now(),
            definitions_hold=lambda: check_definitions(ctx, session),
        )
    console.print(f"已发布：{model} 第 {version} 版（各服务进程自下一次请求起使用，无需重启）")
