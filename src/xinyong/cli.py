"""The ``xinyong`` command: mounts every domain's sub-commands, plus ``db``, ``serve``, ``demo``."""

from __future__ import annotations

import errno
import socket
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import typer
import uvicorn
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from xinyong.accounts.cli import SUBJECT_RESOLVERS, departments_app, keys_app, users_app
from xinyong.audit.cli import audit_app, publish_due_head
from xinyong.catalog.cli import catalog_app
from xinyong.catalog.loader import default_catalog
from xinyong.checks.cli import measures_app
from xinyong.commitments.cli import commitments_app
from xinyong.config import get_settings
from xinyong.console import ChineseTyper, demo_settings, fail, guard_default_secret
from xinyong.db import get_engine, unit_of_work
from xinyong.demo import DEMO_ORGANISATIONS, DEMO_PERSONS, DEMO_RECORDS, prepare
from xinyong.errors import FieldProblem
from xinyong.ingest.cli import ingest_command, quality_command
from xinyong.lists.cli import lists_app
from xinyong.migrations import current, upgrade
from xinyong.objections.cli import objections_app
from xinyong.repair.cli import repair_app
from xinyong.repair.review import expire_supplements
from xinyong.rules.loader import LoadedScorecard
from xinyong.scoring.cli import evaluate_command, models_app
from xinyong.scoring.in_force import ScorecardsInForce
from xinyong.scoring.lifecycle_cli import lifecycle_app
from xinyong.scoring.refresh import refresh_stale
from xinyong.subjects.cli import resolve_subject_id
from xinyong.sync.cli import run_worker, start_in_background, sync_app
from xinyong.synth.cli import synth_app
from xinyong.web.app import create_app
from xinyong.wiring.holder import CommandWiring
from xinyong.workdays.cli import holidays_app

app = ChineseTyper(
    help="xinyong 公共信用信息平台", no_args_is_help=True, pretty_exceptions_show_locals=False
)
db_app = typer.Typer(help="数据库与迁移", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)
DEMO_HOST = "127.0.0.1"


@app.callback()
def _root(ctx: typer.Context) -> None:
    """xinyong 公共信用信息平台"""
    guard_default_secret(ctx)
    # Sub-commands take their setups from it (``xinyong.console.wired``), read on first use.
    ctx.obj = CommandWiring()


app.add_typer(catalog_app, name="catalog")
app.add_typer(measures_app, name="measures")
app.add_typer(lists_app, name="lists")
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


# The worker's own wiring: the models in force, rebuilt when something new is published.
_WORKER_WIRING = CommandWiring()


def _models_in_force(session: Session) -> Mapping[str, LoadedScorecard]:
    return _WORKER_WIRING.fresh(session).get(ScorecardsInForce)


def _refresh_stale_grades(now: datetime) -> str | None:
    catalog = default_catalog()
    return refresh_stale(get_engine(), catalog, _models_in_force, now=now).line()


# After every pass (every ``--interval`` seconds): a grade marked stale is stored fresh within
# a minute, though reads compute it online meanwhile.
WORKER_CHORES = (_expire_repair_supplements, publish_due_head, _refresh_stale_grades)


@app.command("worker")
def worker(
    once: bool = typer.Option(False, "--once", help="只处理一轮后退出"),
    interval: float = typer.Option(10.0, "--interval", help="两轮之间的秒数"),
) -> None:
    """后台任务：把修复结果推送到各信用平台（失败按退避重试，直至平台确认），
    终止逾期未补正材料的修复申请，重新评价信息有变化的主体，并定期为审计日志签名。"""
    run_worker(once=once, interval=interval, chores=WORKER_CHORES)


app.add_typer(models_app, name="models")
app.add_typer(lifecycle_app, name="lifecycle")
SUBJECT_RESOLVERS.append(resolve_subject_id)


@db_app.command("upgrade")
def db_upgrade(
    revision: str = typer.Argument("head", help="目标版本，默认 head（最新版本）"),
) -> None:
    """把数据库迁移到最新版本（或指定版本）。"""
    settings = get_settings()
    engine = get_engine(settings)
    upgrade(engine, revision)
    console.print(f"数据库 {settings.display_database_url} 已迁移到 {current(engine)}")


@db_app.command("current")
def db_current() -> None:
    """显示数据库当前的迁移版本。"""
    console.print(current(get_engine()) or "（空数据库）")


app.add_typer(db_app, name="db")


def _port_problem(host: str, port: int, exc: OSError) -> FieldProblem:
    if exc.errno == errno.EADDRINUSE:
        return FieldProblem(
            "serve.port_in_use",
            "port",
            f"端口 {port} 已被占用（{host}:{port}）：请用 --port 换一个端口，例如 --port {port + 1}",
            status=409,
        )
    if exc.errno == errno.EACCES:
        return FieldProblem(
            "serve.port_forbidden",
            "port",
            f"没有权限监听端口 {port}：请用 --port 换一个 1024 以上的端口",
            status=409,
        )
    return FieldProblem(
        "serve.cannot_listen", "host", f"无法监听 {host}:{port}：{exc.strerror or exc}", status=409
    )


def claim_port(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` as uvicorn binds one (same family rule, SO_REUSEADDR),
    so that a taken port is refused here, in Chinese and before any work, instead of by
    uvicorn's English "[Errno 98]"; the server is then given this very socket."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise fail(_port_problem(host, port, exc), err_console) from None
    return sock


def _serve_on(sock: socket.socket, web_app: Any, *, host: str, port: int) -> None:
    # X-Forwarded-For is read by xinyong itself, from XINYONG_TRUSTED_PROXIES only.
    server = uvicorn.Server(uvicorn.Config(web_app, host=host, port=port, proxy_headers=False))
    server.run(sockets=[sock])
    if not server.started:  # as uvicorn.run: a failed startup is a failed command
        raise typer.Exit(1)


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="监听地址"),
    port: int = typer.Option(8000, help="端口"),
    workers: int = typer.Option(1, help="进程数"),
) -> None:
    """启动网页和 API 服务。"""
    sock = claim_port(host, port)
    console.print(f"在 http://{host}:{port} 提供网页和 API 服务；按 Ctrl+C 停止")
    if workers > 1:
        # uvicorn's worker processes bind the port themselves: free it just before.
        sock.close()
        try:
            uvicorn.run(
                "xinyong.web.app:create_app",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                # X-Forwarded-For is read by xinyong itself, from XINYONG_TRUSTED_PROXIES only.
                proxy_headers=False,
            )
        except SystemExit:
            console.print(
                f"[red]无法在 {host}:{port} 启动服务[/red]：端口被占用时请用 --port 换一个"
            )
            raise
    else:
        _serve_on(sock, create_app(), host=host, port=port)


@app.command("demo")
def demo(
    serve_after: bool = typer.Option(True, "--serve/--no-serve", help="准备完成后启动服务"),
    enterprises: int = typer.Option(
        DEMO_ORGANISATIONS, help="合成单位主体数（企业为主，含社会组织、事业单位、机关）"
    ),
    records: int = typer.Option(DEMO_RECORDS, help="合成信用信息条数（另加每个单位一条登记信息）"),
    persons: int = typer.Option(DEMO_PERSONS, help="合成自然人数"),
    port: int = typer.Option(8000, help="端口"),
) -> None:
    """一条命令体验：建库、迁移、生成并归集演示数据、批量评价、创建演示账号、启动服务。"""
    # Claimed first: a taken port is told before a minute of preparation, not after.
    sock = claim_port(DEMO_HOST, port) if serve_after else None
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
    url = f"http://{DEMO_HOST}:{port}"
    if sock is None:
        again = "xinyong demo" + (f" --port {port}" if port != 8000 else "")
        console.print(
            f"未启动服务（--no-serve）。要浏览演示，运行 [bold]{again}[/bold]"
            f"（数据已准备好，不会重新生成），再用浏览器打开 {url}"
        )
        return
    console.print(
        f"浏览器打开 [bold]{url}[/bold] 查询信用档案；API 文档 {url}/api/v1/docs；按 Ctrl+C 停止"
    )
    # One process for the demo: the worker delivers repair results beside the server.
    stop_worker = start_in_background(interval=10.0, chores=WORKER_CHORES)
    try:
        _serve_on(sock, create_app(settings, engine=engine), host=DEMO_HOST, port=port)
    finally:
        stop_worker.set()
