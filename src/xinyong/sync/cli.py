"""``xinyong sync`` and ``xinyong worker``: deliveries to the credit platforms.

The console reads as a credit-office admin would through the API (same services).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from types import FrameType
from typing import Final

import typer
from rich.console import Console

from xinyong.accounts.models import Role
from xinyong.accounts.principal import Principal
from xinyong.config import get_settings
from xinyong.console import JSON_OPTION, RowTable, due_cell, fail, refusals, wired
from xinyong.db import get_engine
from xinyong.errors import XinyongError
from xinyong.kit import clock
from xinyong.sync import service
from xinyong.sync.platforms import Platforms, load_platforms
from xinyong.sync.schemas import DeliveryRead, PlatformRead
from xinyong.sync.worker import RunSummary, build_adapters, run_forever, run_once
from xinyong.sync.workflow import DeliveryStatus

sync_app = typer.Typer(help="同步到各信用平台", no_args_is_help=True)
console = Console()
log = logging.getLogger("xinyong.sync")


# A periodic job the worker runs after each pass, in its own transaction: given now, it says
# what it did (a line for the console) or None when there was nothing to do.
Chore = Callable[[datetime], str | None]


def _admin() -> Principal:
    return Principal.console(role=Role.ADMIN, department_code=None, operator="命令行")


def _fail(exc: XinyongError) -> typer.Exit:
    return fail(exc, console)


def _report(summary: RunSummary) -> None:
    if summary.claimed:
        console.print(
            f"发送 {summary.claimed} 个：已确认 {summary.acknowledged}，失败待重试 {summary.failed}"
        )


def _run_chores(chores: Sequence[Chore]) -> None:
    for chore in chores:
        try:
            line = chore(clock.now())
        except Exception:  # one failing chore must not stop deliveries
            log.exception("worker chore %s failed", getattr(chore, "__name__", chore))
            continue
        if line:
            console.print(line)


def start_in_background(
    *, interval: float, chores: Sequence[Chore] = (), quiet: bool = True
) -> threading.Event:
    """The worker on a daemon thread beside the web server (``xinyong demo``: one process
    serves and delivers); set the returned event to stop it."""
    settings = get_settings()
    platforms = load_platforms(settings)
    engine = get_engine(settings)
    adapters = build_adapters(platforms)
    stop = threading.Event()

    def _after_pass(summary: RunSummary) -> None:
        if not quiet:
            _report(summary)
        _run_chores(chores)

    threading.Thread(
        target=run_forever,
        args=(engine, platforms, adapters),
        kwargs={
            "clock": clock.now,
            "interval": interval,
            "stop": stop,
            "on_pass": _after_pass,
        },
        name="xinyong-worker",
        daemon=True,
    ).start()
    return stop


def run_worker(*, once: bool, interval: float, chores: Sequence[Chore] = ()) -> None:
    """Deliver due syncs pass after pass (or one pass with ``once``), running ``chores`` after
    each pass; stops cleanly on SIGTERM or SIGINT."""
    settings = get_settings()
    try:
        platforms = load_platforms(settings)
    except XinyongError as exc:
        raise _fail(exc) from None
    engine = get_engine(settings)
    adapters = build_adapters(platforms)
    if once:
        summary = run_once(engine, platforms, adapters, clock=clock.now)
        _report(summary)
        _run_chores(chores)
        console.print(f"本轮处理 {summary.claimed} 个推送任务")
        return
    stop = threading.Event()

    def _stop(_sig: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    console.print(f"同步 worker 已启动（{len(platforms.items)} 个平台，每 {interval} 秒一轮）")

    def _after_pass(summary: RunSummary) -> None:
        _report(summary)
        _run_chores(chores)

    run_forever(
        engine,
        platforms,
        adapters,
        clock=clock.now,
        interval=interval,
        stop=stop,
        on_pass=_after_pass,
    )
    console.print("同步 worker 已停止")


@sync_app.command("worker")
def worker_command(
    once: bool = typer.Option(False, "--once", help="只处理一轮到期任务后退出"),
    interval: float = typer.Option(10.0, "--interval", help="两轮之间的秒数"),
) -> None:
    """推送修复结果到各信用平台（失败按退避重试，直至平台确认）。"""
    run_worker(once=once, interval=interval)


@sync_app.command("deliveries")
def deliveries(
    ctx: typer.Context,
    status: DeliveryStatus = typer.Option(
        None,
        "--status",
        help="状态：pending 待推送、sending 推送中、failing 推送失败（仍在重试）、acknowledged 平台已确认",
    ),
    platform: str = typer.Option(None, "--platform", help="平台编号"),
    overdue: bool = typer.Option(None, "--overdue/--not-overdue", help="只看超期/未超期"),
    as_json: bool = JSON_OPTION,
) -> None:
    """列出推送任务（超过 3 个工作日未确认的标红）。"""
    with refusals(_fail) as session:
        rows = service.list_deliveries(
            session,
            wired(ctx, session).get(Platforms),
            principal=_admin(),
            status=status,
            platform=platform,
            overdue=overdue,
            now=clock.now(),
        )
    DELIVERIES.show(console, rows, title=f"推送任务（{len(rows)}）", as_json=as_json)


def _delivery_cells(r: DeliveryRead) -> tuple[str, ...]:
    due = str(r.due_on) + ("（暂定）" if r.due_provisional else "")
    return (
        str(r.id),
        r.platform_name,
        f"{r.object_type}#{r.object_id}",
        r.status_label,
        str(r.attempts),
        due_cell(due, overdue=r.overdue),
        (r.last_error or "")[:60],
    )


DELIVERIES: Final = RowTable[DeliveryRead](
    ("编号", "平台", "对象", "状态", "尝试", "到期日", "最近错误"), _delivery_cells
)


@sync_app.command("retry")
def retry(ctx: typer.Context, delivery_id: int = typer.Argument(..., help="推送任务编号")) -> None:
    """让一个未确认的推送任务立即重新发送。"""
    with refusals(_fail) as session:
        platforms = wired(ctx, session).get(Platforms)
        d = service.retry(
            session, platforms, principal=_admin(), delivery_id=delivery_id, now=clock.now()
        )
    console.print(f"推送任务 {d.id}（{d.platform_name}）将在下一轮发送")


@sync_app.command("platforms")
def platforms_command(ctx: typer.Context) -> None:
    """列出已配置的信用平台及其未确认、超期任务数。"""
    with refusals(_fail) as session:
        platforms = wired(ctx, session).get(Platforms)
        rows = service.list_platforms(session, platforms, principal=_admin(), now=clock.now())
    PLATFORMS.show(console, rows, title="信用平台", as_json=False)


def _platform_cells(p: PlatformRead) -> tuple[str, ...]:
    return (
        p.id,
        p.name,
        p.adapter,
        p.target,
        "全部" if p.record_types is None else "、".join(p.record_types),
        str(p.unacknowledged),
        f"[red]{p.overdue}[/red]" if p.overdue else "0",
    )


PLATFORMS: Final = RowTable[PlatformRead](
    ("编号", "名称", "方式", "目标", "信息类型", "未确认", "超期"), _platform_cells
)
