"""What every ``xinyong`` sub-command prints when a service refuses: the same problem the API
would return (Chinese title, stable code, each field's message), then exit code 1.

Also the refusal to run on the shipped secret: with it every stored ID-number hash and mask
can be reversed by anyone who has the source, so no command that touches real data runs with
it. The root command calls ``guard_default_secret`` before any sub-command: every command is
refused unless it is listed in ``OPEN_COMMANDS`` (it reads only shipped definitions) or it is
the demo, which makes its own per-installation key (``demo_settings``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Final

import typer
from rich.console import Console
from rich.markup import escape

from xinyong.config import (
    SECRET_KEY_FILE,
    Settings,
    get_settings,
    write_installation_secret,
)
from xinyong.errors import XinyongError

# sysexits.h EX_CONFIG: a service manager can tell "misconfigured" from a crash.
EXIT_DEFAULT_SECRET: Final = 78
# Commands that read only the shipped definitions (or write synthetic files), never real data.
OPEN_COMMANDS: Final = frozenset(
    {
        "demo",
        "synth",
        "catalog",
        "measures list",
        "measures check",
        "commitments templates",
        "db current",
    }
)
GENERATE_COMMAND: Final = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"

err_console = Console(stderr=True)


def fail(exc: XinyongError, console: Console) -> typer.Exit:
    """Print ``exc`` on ``console`` and return the exit to raise (``raise fail(exc, c)``)."""
    console.print(f"[red]{escape(exc.title)}[/red]（{exc.code}）", highlight=False)
    for item in exc.errors:
        if item.message != exc.title:
            console.print(f"  {item.field}: {escape(item.message)}", highlight=False)
    return typer.Exit(1)


def default_secret_message() -> str:
    """What to do about the shipped secret, in Chinese, with a command that makes a key."""
    return (
        "拒绝启动：未设置 XINYONG_SECRET_KEY，正在使用随源码公开的演示密钥。\n"
        "用它计算的证件号码哈希和 API 密钥哈希，任何人都能还原。\n"
        "请生成一个随机密钥，并在运行 xinyong 的每个环境（服务、worker、命令行）中设置为同一个值：\n"
        f'  export XINYONG_SECRET_KEY="$({GENERATE_COMMAND})"\n'
        "同一套数据必须一直使用同一个密钥：更换后，已存储的哈希和审计日志签名将无法核对。\n"
        "只想体验：运行 xinyong demo（它在数据目录中生成本机专用密钥）。"
    )


def require_secret_key(settings: Settings) -> None:
    """Exit with ``EXIT_DEFAULT_SECRET`` and the explanation when ``settings`` carry the
    shipped secret (or an empty one)."""
    if settings.is_default_secret:
        err_console.print(
            f"[red]{escape(default_secret_message())}[/red]", highlight=False, soft_wrap=True
        )
        raise typer.Exit(EXIT_DEFAULT_SECRET)


def _refusing_default_secret(callback: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(callback)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        require_secret_key(get_settings())
        return callback(*args, **kwargs)

    guarded.refuses_default_secret = True  # type: ignore[attr-defined]
    return guarded


def _guard(command: Any, path: str) -> None:
    # Duck-typed: Typer builds its commands on a vendored copy of click, not on click itself.
    if path in OPEN_COMMANDS:
        return
    subcommands = getattr(command, "commands", None)
    if isinstance(subcommands, dict):
        for name, sub in subcommands.items():
            _guard(sub, f"{path} {name}")
    elif getattr(command, "callback", None) is not None:
        command.callback = _refusing_default_secret(command.callback)


def guard_default_secret(ctx: typer.Context) -> None:
    """Make the sub-command about to run refuse the shipped secret.

    Called by the root command's callback, which runs before the sub-command's arguments are
    parsed: checking here directly would refuse ``xinyong serve --help`` too. So the check is
    put into the callbacks of the commands about to run (the click objects are built afresh
    for each invocation), and runs only when one of them actually runs.
    """
    name = ctx.invoked_subcommand
    get_command = getattr(ctx.command, "get_command", None)
    if name is None or get_command is None:
        return
    command = get_command(ctx, name)
    if command is not None:
        _guard(command, name)


def demo_settings(settings: Settings, console: Console) -> Settings:
    """The settings the demo runs with: the configured secret if there is one; else a random
    per-installation key created in ``<data_dir>/secret.key`` (0600) that every later command
    on this data directory reads too (``Settings`` picks the file up when
    ``XINYONG_SECRET_KEY`` is unset).

    A data directory seeded before demos had their own key keeps the shipped secret, which
    its hashes were made with; the demo says so.
    """
    if not settings.is_default_secret:
        return settings
    if settings.database_url is None and (settings.data_dir / "xinyong.db").exists():
        console.print(
            "[yellow]提示：此演示数据库是用公开的演示密钥生成的，继续沿用；"
            f"删除 {escape(str(settings.data_dir))} 后重新运行 xinyong demo "
            "会生成本机专用密钥。[/yellow]"
        )
        return settings
    key = write_installation_secret(settings.data_dir)
    console.print(
        f"已生成本机专用密钥 {escape(str(settings.data_dir / SECRET_KEY_FILE))}（仅本人可读）；"
        "使用此数据目录的其他 xinyong 命令会自动读取它。",
        highlight=False,
    )
    # Later get_settings() calls in this process (worker thread, services) must see the key.
    get_settings.cache_clear()
    return settings.model_copy(update={"secret_key": key})
