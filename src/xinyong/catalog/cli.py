"""``xinyong catalog list`` / ``show TYPE``: the information catalog for humans and scripts."""

from __future__ import annotations

import json
from typing import TypedDict

import typer
from rich.console import Console
from rich.table import Table

from xinyong.catalog.loader import default_catalog
from xinyong.console import JSON_OPTION
from xinyong.errors import FieldProblem

catalog_app = typer.Typer(help="公共信用信息目录", no_args_is_help=True)
console = Console()

REQUIRED_LABELS = {True: "必填", "organisation": "法人组织必填", "person": "自然人必填", False: ""}


class TypeRow(TypedDict):
    """One information type as ``catalog list`` shows it (and prints it with --json)."""

    code: str
    name: str
    category: str
    polarity: str
    publicity: str
    version: int
    fields: int


@catalog_app.command("list")
def list_types(as_json: bool = JSON_OPTION) -> None:
    """列出全部信息类型。"""
    catalog = default_catalog()
    rows: list[TypeRow] = [
        {
            "code": t.code,
            "name": t.name,
            "category": t.category,
            "polarity": t.polarity.default.value,
            "publicity": t.publicity.kind.value,
            "version": t.version,
            "fields": len(t.fields),
        }
        for t in catalog.types.values()
    ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    table = Table(title=f"公共信用信息目录（定义哈希 {catalog.definition_hash[:12]}）")
    for col in ("代码", "名称", "类别", "性质", "公示方式", "版本", "字段数"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["code"],
            r["name"],
            r["category"],
            r["polarity"],
            r["publicity"],
            str(r["version"]),
            str(r["fields"]),
        )
    console.print(table)


@catalog_app.command("show")
def show_type(
    code: str = typer.Argument(..., help="信息类型代码"),
    as_json: bool = JSON_OPTION,
) -> None:
    """显示一个信息类型的字段、别名、严重程度和公示规则。"""
    catalog = default_catalog()
    rt = catalog.get(code)
    if rt is None:
        message = f"未知的信息类型：{code}（可用 xinyong catalog list 查看）"
        if as_json:
            problem = FieldProblem("catalog.unknown_type", "type", message, status=404)
            typer.echo(json.dumps(problem.problem(), ensure_ascii=False))
        else:
            console.print(f"[red]{message}[/red]")
        raise typer.Exit(1)
    if as_json:
        typer.echo(rt.model_dump_json(by_alias=True))
        return
    console.print(
        f"[bold]{rt.name}[/bold]（{rt.code}） 第{rt.version}版，自 {rt.effective_from} 起"
    )
    console.print(f"依据：{rt.reference}")
    table = Table()
    for col in ("字段", "名称", "类型", "要求", "公开", "可接受的列名"):
        table.add_column(col)
    for f in rt.fields:
        table.add_row(
            f.name,
            f.label,
            f.type.value,
            REQUIRED_LABELS[f.required],
            "是" if f.public else "否",
            "、".join(f.aliases[:6]),
        )
    console.print(table)
    keys = "、".join(rt.key_fields) + (
        f"（无则用 {'、'.join(rt.fallback_key_fields)}）" if rt.fallback_key_fields else ""
    )
    console.print(f"记录标识：{keys}")
    console.print(f"公示方式：{rt.publicity.kind.value}")
    if rt.publicity.kind.value == "regime":
        for r in catalog.regimes:
            if rt.code in r.record_types:
                end = r.effective_to or "至今"
                console.print(
                    f"  · {r.name}（{r.effective_from} — {end}）{'适用领域：' + '、'.join(r.sectors) if r.sectors else ''}"
                )
