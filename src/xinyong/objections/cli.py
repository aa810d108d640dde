"""``xinyong objections``: the reviewer's console for departments without their own system.

The department code given stands for the reviewer; the console acts as that department's
reviewer would through the API (same service, same checks, same audit): list the queue,
accept or dismiss a third party's objection, decide an accepted one.
"""

from __future__ import annotations

from typing import Final

import typer
from rich.console import Console
from sqlalchemy.orm import Session

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
from xinyong.errors import XinyongError
from xinyong.kit import clock
from xinyong.objections import acceptance, decision
from xinyong.objections.schemas import ObjectionAcceptance, ObjectionDecision, ObjectionRead
from xinyong.objections.setup import ObjectionSetup

objections_app = typer.Typer(help="信用异议", no_args_is_help=True)
console = Console()


def _fail(exc: XinyongError) -> typer.Exit:
    return fail(exc, console)


def _setup(ctx: typer.Context, session: Session) -> ObjectionSetup:
    return wired(ctx, session).get(ObjectionSetup)


def _corrected(pairs: list[str]) -> dict[str, str] | None:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise typer.BadParameter(f"应为 字段=值：{pair}", param_hint="--set")
        out[name.strip()] = value.strip()
    return out or None


@objections_app.command("list")
def list_objections(
    department: str = DEPARTMENT_OPTION,
    status: str = typer.Option(
        "pending",
        "--status",
        help="状态：pending 待受理和处理中、received 待受理、open 处理中、corrected 已更正、"
        "withdrawn 已撤销、upheld 不予更正、dismissed 不予受理",
    ),
    overdue: bool = typer.Option(False, "--overdue", help="只看已超过当前环节期限的异议"),
    as_json: bool = JSON_OPTION,
) -> None:
    """列出本部门的异议（按当前环节的期限排序，超期标红）。"""
    with refusals(_fail) as session:
        rows = decision.list_objections(
            session,
            default_catalog(),
            principal=Principal.console_reviewer(department, "审核员"),
            status=status or None,
            overdue=True if overdue else None,
            now=clock.now(),
        )
    QUEUE.show(console, rows, title=f"{department} 信用异议（{len(rows)}）", as_json=as_json)


def _queue_cells(o: ObjectionRead) -> tuple[str, ...]:
    due = f"{o.due_on or '—'}{'（暂定）' if o.due_provisional else ''}"
    return (
        str(o.id),
        o.subject_name,
        f"#{o.record_id} {o.record_title}",
        o.grounds_label,
        o.status_label,
        due_cell(due, overdue=o.overdue),
    )


QUEUE: Final = RowTable[ObjectionRead](
    ("编号", "主体", "信息", "异议事项", "状态", "期限"), _queue_cells
)


@objections_app.command("decide")
def decide(
    ctx: typer.Context,
    objection_id: int = typer.Argument(..., help="异议编号"),
    department: str = DEPARTMENT_OPTION,
    outcome: str = typer.Option(
        ..., "--outcome", help="corrected 更正、withdrawn 删除（撤销公示）、upheld 不予更正"
    ),
    reason: str = typer.Option(None, "--reason", help="处理理由（不予更正时必填）"),
    corrected: list[str] = typer.Option([], "--set", help="更正后的字段值，形如 字段=值（可重复）"),
    reviewer: str = REVIEWER_OPTION,
) -> None:
    """处理一件异议；更正或删除当即生效并保留历史版本，信息的“异议处理中”标注随之解除。"""
    if outcome not in ("corrected", "withdrawn", "upheld"):
        raise typer.BadParameter("应为 corrected、withdrawn 或 upheld", param_hint="--outcome")
    data = ObjectionDecision.model_validate(
        {"outcome": outcome, "reason": reason, "corrected": _corrected(corrected)}
    )
    with refusals(_fail) as session:
        result = decision.decide(
            session,
            _setup(ctx, session),
            principal=Principal.console_reviewer(department, reviewer),
            objection_id=objection_id,
            data=data,
            now=clock.now(),
        )
    console.print(
        f"[green]异议 {result.id} 已处理[/green]：{result.status_label}"
        f"（信息 #{result.record_id}，当前版本 {result.record_version}）"
    )


def _review(
    ctx: typer.Context,
    objection_id: int,
    department: str,
    reviewer: str,
    data: ObjectionAcceptance,
) -> None:
    with refusals(_fail) as session:
        result = acceptance.review(
            session,
            _setup(ctx, session),
            principal=Principal.console_reviewer(department, reviewer),
            objection_id=objection_id,
            data=data,
            now=clock.now(),
        )
    console.print(f"[green]异议 {result.id}[/green]：{result.status_label}{_due(result)}")


def _due(result: ObjectionRead) -> str:
    return f"，请于 {result.decision_due_on} 前作出处理" if result.decision_due_on else ""


@objections_app.command("accept")
def accept(
    ctx: typer.Context,
    objection_id: int = typer.Argument(..., help="异议编号"),
    department: str = DEPARTMENT_OPTION,
    reason: str = typer.Option(None, "--reason", help="受理意见（可选）"),
    reviewer: str = REVIEWER_OPTION,
) -> None:
    """受理第三方提出的异议（证据认定有据）：信息当即标注“异议处理中”，处理期限自今日起算。"""
    _review(
        ctx,
        objection_id,
        department,
        reviewer,
        ObjectionAcceptance(outcome="accepted", reason=reason),
    )


@objections_app.command("dismiss")
def dismiss(
    ctx: typer.Context,
    objection_id: int = typer.Argument(..., help="异议编号"),
    department: str = DEPARTMENT_OPTION,
    reason: str = typer.Option(..., "--reason", help="不予受理的理由（必填）"),
    reviewer: str = REVIEWER_OPTION,
) -> None:
    """不予受理第三方提出的异议（须说明理由）：异议终结，信息不作标注。"""
    _review(
        ctx,
        objection_id,
        department,
        reviewer,
        ObjectionAcceptance(outcome="dismissed", reason=reason),
    )
