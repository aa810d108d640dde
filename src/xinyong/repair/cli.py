"""``xinyong repair``: the reviewer's console for departments without their own system.

The department code given stands for the reviewer; the console acts as that department's
reviewer would through the API (same service, same checks, same audit).
"""

from __future__ import annotations

from typing import Final

import typer
from rich.console import Console

from xinyong.accounts.principal import Principal
from xinyong.catalog.loader import default_catalog
from xinyong.console import (
    DEPARTMENT_OPTION,
    JSON_OPTION,
    REVIEWER_OPTION,
    RowTable,
    due_cell,
    fail,
    refusals,
    wired,
)
from xinyong.db import get_engine, unit_of_work
from xinyong.errors import XinyongError
from xinyong.kit import clock
from xinyong.repair import review
from xinyong.repair.schemas import Decision, TaskDecision, TaskRead
from xinyong.repair.setup import RepairSetup

repair_app = typer.Typer(help="信用修复（审核任务）", no_args_is_help=True)
console = Console()


def _fail(exc: XinyongError) -> typer.Exit:
    return fail(exc, console)


@repair_app.command("tasks")
def tasks(
    department: str = DEPARTMENT_OPTION,
    status: str = typer.Option(
        "pending",
        "--status",
        help="状态：pending 待审核、supplement_requested 待补正、decided 已决定、expired 逾期终止",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """列出本部门的修复审核任务（按到期日排序，超期标红）。"""
    with refusals(_fail) as session:
        rows = review.list_tasks(
            session,
            default_catalog(),
            principal=Principal.console_reviewer(department, "审核员"),
            status=status,
            overdue=None,
            now=clock.now(),
        )
    TASKS.show(console, rows, title=f"{department} 修复审核任务（{len(rows)}）", as_json=as_json)


def _task_cells(t: TaskRead) -> tuple[str, ...]:
    items = "；".join(f"#{i.record_id} {i.title}" for i in t.items)
    due = due_cell(str(t.due_on), overdue=t.overdue)
    return (str(t.id), str(t.application_id), t.subject_name, items, t.status_label, due)


TASKS: Final = RowTable[TaskRead](("任务", "申请", "企业", "信息", "状态", "到期日"), _task_cells)


@repair_app.command("decide")
def decide(
    ctx: typer.Context,
    task_id: int = typer.Argument(..., help="任务编号"),
    department: str = DEPARTMENT_OPTION,
    approve: list[int] = typer.Option([], "--approve", help="准予修复的信息编号（可重复）"),
    reject: list[int] = typer.Option([], "--reject", help="不予修复的信息编号（可重复）"),
    reason: str = typer.Option(None, "--reason", help="不予修复的理由"),
    reviewer: str = REVIEWER_OPTION,
) -> None:
    """对一个任务逐条作出决定；准予修复的信息当即停止公示并推送各平台。"""
    decisions = [Decision(record_id=r, outcome="approve") for r in approve]
    decisions += [Decision(record_id=r, outcome="reject", reason=reason) for r in reject]
    with refusals(_fail) as session:
        task = review.decide(
            session,
            wired(ctx, session).get(RepairSetup),
            principal=Principal.console_reviewer(department, reviewer),
            task_id=task_id,
            data=TaskDecision(decisions=decisions),
            now=clock.now(),
        )
    console.print(
        f"[green]任务 {task.id} 已决定[/green]："
        + "；".join(f"#{i.record_id} {i.status_label}" for i in task.items)
    )


@repair_app.command("sweep")
def sweep() -> None:
    """终止逾期未补正材料的申请项，并通知申请人。"""
    with unit_of_work(get_engine()) as session:
        n = review.expire_supplements(session, now=clock.now())
    console.print(f"已终止 {n} 个逾期未补正的审核任务")
