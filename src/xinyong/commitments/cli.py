"""``xinyong commitments``: commitment templates, lists and the department's verification.

The department code given stands for the department's account; the console acts as that
account would through the API (same service, same checks, same audit).
"""

from __future__ import annotations

from typing import Final

import typer
from rich.console import Console
from rich.table import Table

from xinyong.accounts.models import Role
from xinyong.accounts.principal import Principal
from xinyong.commitments import queries, verification
from xinyong.commitments.api import template_list
from xinyong.commitments.schemas import CommitmentRead, VerificationIn
from xinyong.commitments.service import CommitmentSetup
from xinyong.commitments.templates import TemplateBook
from xinyong.commitments.workflow import CommitmentStatus
from xinyong.config import get_settings
from xinyong.console import JSON_OPTION, RowTable, due_cell, fail, refusals, wired
from xinyong.db import get_engine, unit_of_work
from xinyong.errors import XinyongError
from xinyong.kit import clock

commitments_app = typer.Typer(help="信用承诺", no_args_is_help=True)
console = Console()


def _principal(department: str | None, who: str) -> Principal:
    if department is None:
        return Principal.console(role=Role.ADMIN, department_code=None, operator=who)
    return Principal.console(role=Role.DEPARTMENT, department_code=department, operator=who)


def _fail(exc: XinyongError) -> typer.Exit:
    return fail(exc, console)


@commitments_app.command("templates")
def templates(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """列出现行有效的信用承诺书模板（六类承诺）。"""
    with unit_of_work(get_engine()) as session:
        book = template_list(wired(ctx, session).get(TemplateBook), on_date=clock.today())
    if as_json:
        typer.echo(book.model_dump_json())
        return
    table = Table(title=f"信用承诺书模板（第 {book.version} 版，{book.effective_from} 起）")
    for col in ("编号", "类型", "名称", "版本", "公示", "履诺期限（日）", "限制失信主体", "依据"):
        table.add_column(col)
    for t in book.templates:
        table.add_row(
            t.id, t.type, t.name, str(t.version), "是" if t.public else "否",
            str(t.verify_within_days), "是" if t.restricted else "否", t.reference,
        )  # fmt: skip
    console.print(table)


@commitments_app.command("list")
def list_command(
    department: str = typer.Option(None, "--department", help="本部门代码（不写则为管理员视图）"),
    subject: str = typer.Option(None, "--subject", help="主体代码"),
    status: CommitmentStatus = typer.Option(
        None, "--status", help="状态：signed 已签署、fulfilled 履诺、breached 违诺"
    ),
    overdue: bool = typer.Option(False, "--overdue", help="只看履诺期限已过、尚未核查的承诺"),
    as_json: bool = JSON_OPTION,
) -> None:
    """列出信用承诺（本部门受理的，或全部）；--overdue 列出逾期未核查的承诺。"""
    with refusals(_fail) as session:
        rows = queries.list_commitments(
            session,
            principal=_principal(department, "信用办"),
            secret=get_settings().hmac_key,
            subject_code=subject,
            status=status,
            overdue=overdue,
            now=clock.now(),
        )
    COMMITMENTS.show(console, rows, title=f"信用承诺（{len(rows)}）", as_json=as_json)


def _commitment_cells(c: CommitmentRead) -> tuple[str, ...]:
    return (
        str(c.id), c.subject_name, c.commitment_type, c.matter, c.receiving_department_name,
        c.status_label, due_cell(str(c.due_on), overdue=c.overdue, late="（逾期未核查）"),
    )  # fmt: skip


COMMITMENTS: Final = RowTable[CommitmentRead](
    ("编号", "主体", "类型", "事项", "受理部门", "状态", "履诺期限"), _commitment_cells
)


@commitments_app.command("verify")
def verify(
    ctx: typer.Context,
    commitment_id: int = typer.Argument(..., help="承诺编号"),
    department: str = typer.Option(..., "--department", help="承诺受理部门代码"),
    outcome: str = typer.Option(..., "--outcome", help="fulfilled 履诺；breached 违诺"),
    note: str = typer.Option(..., "--note", help="核查情况或违诺理由"),
    breach_kind: str = typer.Option(None, "--breach-kind", help="未履行承诺 或 虚假承诺"),
    who: str = typer.Option("核查人", "--by", help="核查人姓名"),
) -> None:
    """记录履诺或违诺；违诺当即记入违诺信息（失信），修复前不适用告知承诺。"""
    try:
        data = VerificationIn.model_validate(
            {"outcome": outcome, "note": note, "breach_kind": breach_kind}
        )
        with unit_of_work(get_engine()) as session:
            commitment = verification.verify(
                session,
                wired(ctx, session).get(CommitmentSetup),
                principal=_principal(department, who),
                commitment_id=commitment_id,
                data=data,
                now=clock.now(),
            )
            label, breach_id = (
                CommitmentStatus(commitment.status).label,
                commitment.breach_record_id,
            )
    except XinyongError as exc:
        raise _fail(exc) from None
    except ValueError as exc:
        console.print(f"[red]参数有误：{exc}[/red]")
        raise typer.Exit(2) from None
    extra = f"，已记入违诺信息 #{breach_id}" if breach_id else ""
    console.print(f"[green]承诺 {commitment_id}：{label}[/green]{extra}")
