"""``xinyong holidays``: the holiday table.

The console acts as a credit-office admin (same service, same checks, same audit); ``--by``
names the person for the audit log.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import typer
from rich.console import Console
from rich.table import Table

from xinyong.accounts.models import Role
from xinyong.accounts.principal import Principal
from xinyong.console import JSON_OPTION, fail, refusals
from xinyong.errors import XinyongError
from xinyong.kit import clock
from xinyong.workdays import service

holidays_app = typer.Typer(help="节假日与调休表（工作日计算）", no_args_is_help=True)
console = Console()
WEEKDAYS = "一二三四五六日"


def _admin(who: str) -> Principal:
    return Principal.console(role=Role.ADMIN, department_code=None, operator=who)


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"日期格式应为 YYYY-MM-DD：{value}") from None


def _fail(exc: XinyongError) -> typer.Exit:
    return fail(exc, console)


@holidays_app.command("list")
def list_days(
    year: int = typer.Option(None, "--year", help="年份（默认今年）"),
    as_json: bool = JSON_OPTION,
) -> None:
    """列出某年放假的工作日和调休上班的周末（含管理员录入的日期）。"""
    with refusals(_fail) as session:
        result = service.list_year(
            session, principal=_admin("管理员"), year=year or clock.today().year
        )
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json"), ensure_ascii=False))
        return
    state = "已知" if result.known else "未知（按周一至周五暂定）"
    if result.completed:
        state += f"，已标记完整录入（{result.completed_by}）"
    table = Table(title=f"{result.year} 年节假日与调休：{state}")
    for col in ("日期", "星期", "安排", "名称", "来源"):
        table.add_column(col)
    for d in result.days:
        table.add_row(
            d.day.isoformat(),
            WEEKDAYS[d.weekday - 1],
            "调休上班" if d.is_workday else "放假",
            d.name or "",
            "管理员录入" if d.override else "chinesecalendar",
        )
    console.print(table)


@holidays_app.command("set")
def set_day(
    day: str = typer.Argument(..., help="日期 YYYY-MM-DD"),
    workday: bool = typer.Option(..., "--workday/--holiday", help="调休上班或放假"),
    name: str = typer.Option(..., "--name", help="节日名称，如 春节"),
    note: str = typer.Option(None, "--note", help="依据，如通知文号"),
    who: str = typer.Option("管理员", "--by", help="录入人"),
) -> None:
    """录入或修改某日（优先于 chinesecalendar）。"""
    with refusals(_fail) as session:
        row = service.set_day(
            session,
            principal=_admin(who),
            day=_day(day),
            is_workday=workday,
            name=name,
            note=note,
            now=clock.now(),
        )
        text = f"{row.day} {'调休上班' if row.is_workday else '放假'}（{row.name}）"
    console.print(f"[green]已设置[/green] {text}")


@holidays_app.command("remove")
def remove_day(
    day: str = typer.Argument(..., help="日期 YYYY-MM-DD"),
    who: str = typer.Option("管理员", "--by", help="操作人"),
) -> None:
    """删除管理员录入的某日。"""
    with refusals(_fail) as session:
        service.remove_day(session, principal=_admin(who), day=_day(day), now=clock.now())
    console.print(f"已删除 {day}")


@holidays_app.command("complete-year")
def complete_year(
    year: int = typer.Argument(..., help="年份"),
    note: str = typer.Option(None, "--note", help="依据，如国务院办公厅通知文号"),
    who: str = typer.Option("管理员", "--by", help="操作人"),
) -> None:
    """标记某年已完整录入：该年的工作日期限不再为暂定。"""
    now: datetime = clock.now()
    with refusals(_fail) as session:
        service.complete_year(session, principal=_admin(who), year=year, note=note, now=now)
    console.print(f"[green]{year} 年已标记为完整录入[/green]")


@holidays_app.command("deadline")
def deadline(
    start: str = typer.Argument(..., help="触发日 YYYY-MM-DD（不计入）"),
    days: int = typer.Argument(..., help="工作日数"),
) -> None:
    """计算 N 个工作日后的到期日。"""
    with refusals(_fail) as session:
        result = service.deadline(session, start=_day(start), days=days)
    console.print(f"{result.due}{'（暂定）' if result.provisional else ''}")
