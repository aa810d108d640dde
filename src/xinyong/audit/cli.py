"""``xinyong audit``: check the audit chain."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from xinyong.audit import service
from xinyong.db import get_engine, unit_of_work

audit_app = typer.Typer(help="审计日志", no_args_is_help=True)
console = Console()


@audit_app.callback()
def _audit() -> None:
    """审计日志"""


@audit_app.command("verify")
def verify() -> None:
    """校验审计日志的哈希链；发现问题时逐条列出并以状态码 1 退出。"""
    with unit_of_work(get_engine()) as session:
        total = service.count_entries(session)
        with Progress(
            TextColumn("校验审计日志"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task("verify", total=total)
            findings = service.verify(session, progress=lambda n: progress.advance(task, advance=n))
    if not findings:
        console.print(f"[green]OK[/green] 审计日志完整：共 {total} 条记录", highlight=False)
        return
    for finding in findings:
        console.print(
            f"[red]#{finding.entry_id}[/red] {escape(f'[{finding.kind}]')} {finding.message}",
            highlight=False,
        )
    console.print(f"[red]发现 {len(findings)} 处问题[/red]（共 {total} 条记录）", highlight=False)
    raise typer.Exit(code=1)
