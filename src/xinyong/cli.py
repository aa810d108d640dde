"""The ``xinyong`` command: mounts every domain's sub-commands, plus ``db``, ``serve``, ``demo``."""

from __future__ import annotations

from datetime import datetime

import typer
import uvicorn
from rich.console import Console
from rich.table import Table

from xinyong.accounts.cli import SUBJECT_RESOLVERS, departments_app, keys_app, users_app
from xinyong.audit.cli import audit_app, publish_due_head
from xinyong.catalog.cli import catalog_app
from xinyong.checks.cli import measures_app
from xinyong.commitments.cli import commitments_app
from xinyong.config import get_settings
from xinyong.console import demo_settings, guard_default_secret
from xinyong.db import get_engine, unit_of_work
from xinyong.demo import prepare
from xinyong.ingest.cli import ingest_command, quality_command
from xinyong.migrations import current, upgrade
from xinyong.objections.cli import objections_app
from xinyong.repair.cli import repair_app
from xinyong.repair.review import expire_supplements
from xinyong.scoring.cli import evaluate_command, models_app
from xinyong.scoring.lifecycle_cli import lifecycle_app
from xinyong.subjects.cli import resolve_subject_id
from xinyong.sync.cli import run_worker, start_in_background, sync_app
from xinyong.synth.cli import synth_app
from xinyong.web.app import create_app
from xinyong.workdays.cli import holidays_app

app = typer.Typer(
    help="xinyong 公共信用信息平台", no_args_is_help=True, pretty_exceptions_show_locals=False
)
db_app = typer.Typer(help="数据库与迁移", no_args_is_help=True)
console = Console()


@app.callback()
def _root(ctx: typer.Context) -> None:
    """xinyong 公共信用信息平台"""
    guard_default_secret(ctx)


app.add_typer(db_app, name="db")
app.add_typer(catalog_app, name="catalog")
app.add_typer(measures_app, name="measures")
app.add_typer(repair_app, name="repair")
app.add_typer(objections_app, name="objections")
app.add_typer(commitments_app, name="commitments")
app.add_typer(sync_app, name="sync")
app.add_typer(holidays_app, name="holidays")
app.add_typer(keys_app, name="keys")
app.add_typer(users_app, name="users")
app.add_typer(departments_app, name="departments")
app.add_typer(audit_app, name="audit")
app.add_typer(synth_app, name="synth")
app.command("ingest")(ingest_command)
app.command("quality")(quality_command)
app.command("evaluate")(evaluate_command)


def _expire_repair_supplements(now: datetime) -> str | None:
    with unit_of_work(get_engine()) as session:
        expired = expire_supplements(session, now=now)
    return f"已终止 {expired} 个逾期未补正材料的修复审核任务，并通知申请人" if expired else None


@app.command("worker")
def worker(
    once: bool = typer.Option(False, "--once", help="只处理一轮后退出"),
    interval: float = typer.Option(10.0, "--interval", help="两轮之间的秒数"),
) -> None:
    """后台任务：把修复结果推送到各信用平台（失败按退避重试，直至平台确认），
    终止逾期未补正材料的修复申请，并定期为审计日志签名。"""
    run_worker(once=once, interval=interval, chores=[_expire_repair_supplements, publish_due_head])


app.add_typer(models_app, name="models")
app.add_typer(lifecycle_app, name="lifecycle")
SUBJECT_RESOLVERS.append(resolve_subject_id)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """把数据库迁移到最新版本（或指定版本）。"""
    settings = get_settings()
    engine = get_engine(settings)
    upgrade(engine, revision)
    console.print(f"数据库 {settings.display_database_url} 已迁移到 {current(engine)}")


@db_app.command("current")
def db_current() -> None:
    """显示数据库当前的迁移版本。"""
    console.print(current(get_engine()) or "（空数据库）")


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="监听地址"),
    port: int = typer.Option(8000, help="端口"),
    workers: int = typer.Option(1, help="进程数"),
) -> None:
    """启动网页和 API 服务。"""
    if workers > 1:
        uvicorn.run(
            "xinyong.web.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            proxy_headers=False,
        )
    else:
        # X-Forwarded-For is read by xinyong itself, from XINYONG_TRUSTED_PROXIES only.
        uvicorn.run(create_app(), host=host, port=port, proxy_headers=False)


@app.command("demo")
def demo(
    serve_after: bool = typer.Option(True, "--serve/--no-serve", help="准备完成后启动服务"),
    enterprises: int = typer.Option(5000, help="合成企业数"),
    records: int = typer.Option(50000, help="合成记录数"),
    persons: int = typer.Option(500, help="合成自然人数"),
    port: int = typer.Option(8000, help="端口"),
) -> None:
    """一条命令体验：建库、迁移、生成并归集演示数据、创建演示账号、启动服务。"""
    settings = demo_settings(get_settings(), console)
    engine = get_engine(settings)
    made = prepare(
        settings, engine, enterprises=enterprises, records=records, persons=persons, console=console
    )
    if settings.is_default_secret:
        console.print(
            "[yellow]提示：正在使用演示密钥；正式部署请设置 XINYONG_SECRET_KEY。[/yellow]"
        )
    table = Table(title=f"演示账号（密码另存于 {settings.data_dir / 'demo-accounts.json'}）")
    for col in ("用户名", "密码", "角色", "说明"):
        table.add_column(col)
    for a in made:
        table.add_row(a.username, a.password, a.role, a.note)
    console.print(table)
    console.print(
        f"浏览器打开 [bold]http://127.0.0.1:{port}[/bold] 查询信用档案；"
        f"API 文档 http://127.0.0.1:{port}/api/v1/docs"
    )
    if serve_after:
        # One process for the demo: the worker delivers repair results beside the server.
        stop_worker = start_in_background(
            interval=10.0, chores=[_expire_repair_supplements, publish_due_head]
        )
        try:
            uvicorn.run(
                create_app(settings, engine=engine),
                host="127.0.0.1",
                port=port,
                proxy_headers=False,
            )
        finally:
            stop_worker.set()
