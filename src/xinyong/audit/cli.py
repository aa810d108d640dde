"""``xinyong audit``: check the audit chain, sign its head."""

from __future__ import annotations

from datetime import datetime, timedelta

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from xinyong.audit import heads, service
from xinyong.config import Settings, get_settings
from xinyong.db import get_engine, unit_of_work
from xinyong.kit import clock

audit_app = typer.Typer(help="审计日志", no_args_is_help=True)
console = Console()


@audit_app.callback()
def _audit() -> None:
    """审计日志"""


def _local(at: datetime) -> str:
    return at.astimezone(clock.SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def _print_summary(report: service.ChainReport, bad_lines: list[int]) -> None:
    latest = report.latest_head
    if latest is None:
        console.print(
            "[yellow]尚无签名摘要：无法发现最新记录被截断。"
            "请运行 xinyong audit head，或启动 xinyong worker 定期签名。[/yellow]"
        )
    else:
        console.print(
            f"已核对 {report.heads_checked} 个签名摘要；最新摘要 #{latest.id} "
            f"签于 {_local(latest.at)}，覆盖到第 {latest.entry_id} 条",
            highlight=False,
        )
    if bad_lines:
        lines = "、".join(str(n) for n in bad_lines)
        console.print(f"[red]签名摘要文件副本第 {lines} 行无法读取[/red]", highlight=False)


@audit_app.command("verify")
def verify() -> None:
    """校验审计日志的密钥哈希链和签名摘要；发现问题时逐条列出并以状态码 1 退出。"""
    settings = get_settings()
    copies, bad_lines = heads.read_file(heads.head_file(settings.data_dir))
    with unit_of_work(get_engine(settings)) as session:
        total = service.count_entries(session)
        with Progress(
            TextColumn("校验审计日志"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task("verify", total=total)
            report = service.check(
                session,
                head_copies=copies,
                progress=lambda n: progress.advance(task, advance=n),
            )
    _print_summary(report, bad_lines)
    if not report.findings and not bad_lines:
        console.print(f"[green]OK[/green] 审计日志完整：共 {total} 条记录", highlight=False)
        return
    for finding in report.findings:
        console.print(
            f"[red]#{finding.entry_id}[/red] {escape(f'[{finding.kind}]')} {finding.message}",
            highlight=False,
        )
    problems = len(report.findings) + len(bad_lines)
    console.print(f"[red]发现 {problems} 处问题[/red]（共 {total} 条记录）", highlight=False)
    raise typer.Exit(code=1)


def publish(settings: Settings, *, now: datetime) -> heads.SignedHead | None:
    """Sign the newest entry (one transaction), then append every head not yet in the file
    copy: after the commit, so the copy never holds a head the database does not."""
    with unit_of_work(get_engine(settings)) as session:
        head = heads.publish_head(session, now=now)
    with unit_of_work(get_engine(settings)) as session:
        stored = heads.database_heads(session)
    heads.append_to_file(heads.head_file(settings.data_dir), stored)
    return head


@audit_app.command("head")
def head_command() -> None:
    """为审计日志最新一条记录签名（签名摘要），同时追加到数据目录中的副本文件。"""
    settings = get_settings()
    head = publish(settings, now=clock.now())
    path = heads.head_file(settings.data_dir)
    if head is None:
        console.print(f"没有新的审计记录需要签名；副本文件：{escape(str(path))}", highlight=False)
        return
    console.print(
        f"已签名摘要 #{head.id}：覆盖到第 {head.entry_id} 条记录（{_local(head.at)}），"
        f"副本已写入 {escape(str(path))}",
        highlight=False,
    )


def publish_due_head(now: datetime) -> str | None:
    """A worker chore: sign a head once the newest is older than
    ``Settings.audit_head_interval_minutes`` and new entries were added."""
    settings = get_settings()
    interval = timedelta(minutes=settings.audit_head_interval_minutes)
    with unit_of_work(get_engine(settings)) as session:
        due = heads.head_due(session, now=now, interval=interval)
    if not due:
        return None
    head = publish(settings, now=now)
    return None if head is None else f"审计日志签名摘要 #{head.id}：覆盖到第 {head.entry_id} 条"
