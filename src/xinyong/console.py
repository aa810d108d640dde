"""How every ``xinyong`` command speaks to its user, in Chinese.

``fail``: what a sub-command prints when a service refuses — the same problem the API would
return (Chinese title, stable code, each field's message), then exit code 1.

``ChineseTyper``: the root ``typer.Typer``, which makes every command under it speak Chinese.
Typer and the Click it carries build help pages, usage lines and parse errors from English
strings ("Usage:", "Show this message and exit.", "Missing option '--model'."); this module
gives each a Chinese counterpart at the points Click lets an application choose: the context class and its
help formatter, the help option, the usage pieces, ``Context.fail`` and the usage errors raised
while parsing, and Typer's ``rich_utils`` panel strings.

``refusals``: one command's transaction; a service's refusal ends the command through the
command's own ``fail`` (printed, exit 1), so no command repeats the try/except around its work.

``RowTable``: how a command lists what it found (a queue, a set of tasks): the rows as JSON for
scripts with ``--json``, else a table; ``due_cell`` marks what is past its date in red.

``wired``: the setups in force for a command, from the wiring the root command puts on its
context (``xinyong.wiring``), as the command's session sees what is published.

``guard_default_secret``: the refusal to run on the shipped secret. With it every stored
ID-number hash and mask can be reversed by anyone who has the source, so no command that
touches real data runs with it. The root command calls it before any sub-command: every command
is refused unless it is listed in ``OPEN_COMMANDS`` (it reads only definitions) or it is
the demo, which makes its own per-installation key (``demo_settings``).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from difflib import get_close_matches
from typing import TYPE_CHECKING, Any, Final, Generic, NoReturn, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session
from typer import rich_utils
from typer._click.core import Command, Parameter
from typer._click.core import Context as ClickContext
from typer._click.exceptions import (
    BadParameter,
    MissingParameter,
    NoArgsIsHelpError,
    NoSuchOption,
    UsageError,
)
from typer._click.formatting import HelpFormatter
from typer.core import TyperCommand, TyperGroup, TyperOption
from typer.models import Context, DefaultPlaceholder

from xinyong.config import (
    SECRET_KEY_FILE,
    Settings,
    get_settings,
    write_installation_secret,
)
from xinyong.db import get_engine, unit_of_work
from xinyong.errors import XinyongError
from xinyong.kit.wiring import Wired, WiringSource


def fail(exc: XinyongError, console: Console) -> typer.Exit:
    """Print ``exc`` on ``console`` and return the exit to raise (``raise fail(exc, c)``)."""
    console.print(f"[red]{escape(exc.title)}[/red]（{exc.code}）", highlight=False)
    for item in exc.errors:
        if item.message != exc.title:
            console.print(f"  {item.field}: {escape(item.message)}", highlight=False)
    return typer.Exit(1)


@contextmanager
def refusals(fail_with: Callable[[XinyongError], typer.Exit]) -> Iterator[Session]:
    """A session committed when the block ends and rolled back on any error; a service's
    refusal (``XinyongError``) is shown by ``fail_with`` and ends the command with its exit."""
    try:
        with unit_of_work(get_engine()) as session:
            yield session
    except XinyongError as exc:
        raise fail_with(exc) from None


# Options that commands share, declared once so that each reads and behaves the same everywhere.
JSON_OPTION: Final = typer.Option(False, "--json", help="输出 JSON")
DEPARTMENT_OPTION: Final = typer.Option(..., "--department", help="本部门代码")
REVIEWER_OPTION: Final = typer.Option("审核员", "--by", help="审核人姓名")


Row = TypeVar("Row", bound=BaseModel)


@dataclass(frozen=True)
class RowTable(Generic[Row]):
    """How a command lists rows of one kind: the column headings and the cells of a row,
    declared together so that they stay in step."""

    columns: tuple[str, ...]
    cells: Callable[[Row], Sequence[str]]

    def show(self, console: Console, rows: Sequence[Row], *, title: str, as_json: bool) -> None:
        """Print ``rows`` as one JSON array (the API's shapes, so scripts read both alike) or
        as a table titled ``title``."""
        if as_json:
            typer.echo(json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False))
            return
        table = Table(title=title)
        for column in self.columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*self.cells(row))
        console.print(table)


def due_cell(due: str, *, overdue: bool, late: str = "（已超期）") -> str:
    """A due date as a table shows it: in red, saying so, once it has passed."""
    return f"[red]{due}{late}[/red]" if overdue else due


def wired(ctx: typer.Context, session: Session) -> Wired:
    """The setups in force for this command: commands never build a setup by hand, so they
    see what is published (the same definitions a server process serves)."""
    source: WiringSource | None = ctx.find_root().obj
    if source is None:
        raise RuntimeError("a command that reads definitions runs under the xinyong command")
    return source.fresh(session)


def check_definitions(ctx: typer.Context, session: Session) -> None:
    """Refuse what ``session`` is about to commit if the definitions in force could not be
    built over it (see ``xinyong.kit.wiring.WiringSource.validate``)."""
    source: WiringSource | None = ctx.find_root().obj
    if source is None:
        raise RuntimeError("a command that reads definitions runs under the xinyong command")
    source.validate(session)


# Typer reads these module globals each time it renders help or an error; it has no per-app
# setting for them.
rich_utils.ARGUMENTS_PANEL_TITLE = "参数"
rich_utils.OPTIONS_PANEL_TITLE = "选项"
rich_utils.COMMANDS_PANEL_TITLE = "命令"
rich_utils.ERRORS_PANEL_TITLE = "错误"
rich_utils.REQUIRED_LONG_STRING = "[必填]"
rich_utils.DEFAULT_STRING = "[默认：{}]"
rich_utils.ENVVAR_STRING = "[环境变量：{}]"
rich_utils.DEPRECATED_STRING = "（已弃用）"
rich_utils.ABORTED_TEXT = "已取消。"
rich_utils.RICH_HELP = "运行 [blue]'{command_path} {help_option}'[/] 查看帮助。"

USAGE_PREFIX = "用法："
HELP_OPTION_HELP = "显示本帮助并退出。"
# Help of the options Typer adds by itself (shell completion), by parameter name.
BUILT_IN_OPTION_HELP = {
    "install_completion": "为当前 shell 安装命令补全。",
    "show_completion": "显示当前 shell 的命令补全脚本，可复制或自行安装。",
}
# Click's placeholders in usage lines and its section headings (plain, non-rich help).
USAGE_WORDS = {"[OPTIONS]": "[选项]", "COMMAND [ARGS]...": "命令 [参数]..."}
HEADINGS = {"Arguments": "参数", "Options": "选项", "Commands": "命令"}
PARAM_KINDS = {"option": "选项", "argument": "参数"}
PATH_KINDS = {"file": "文件", "dir": "目录", "path": "路径"}
_CJK = re.compile(r"[\u3400-\u9fff]")

# Messages Click builds as plain text (``Context.fail``, parser errors, path checks).
_MESSAGES: Sequence[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"Missing command\.?$"), lambda m: "缺少子命令。"),
    (re.compile(r"No such command '(.+)'\.?$"), lambda m: f"没有命令 '{m[1]}'。"),
    (
        re.compile(r"Got unexpected extra argument(?:\(s\)|s)? \((.*)\)$"),
        lambda m: f"多余的参数：{m[1]}",
    ),
    (
        re.compile(r"Option '(.+)' requires an argument\.$"),
        lambda m: f"选项 '{m[1]}' 后面需要一个值。",
    ),
    (
        re.compile(r"Option '(.+)' requires (\d+) arguments\.$"),
        lambda m: f"选项 '{m[1]}' 后面需要 {m[2]} 个值。",
    ),
    (re.compile(r"Option '(.+)' does not take a value\.$"), lambda m: f"选项 '{m[1]}' 不接受值。"),
    (
        re.compile(r"Argument '(.+)' takes (\d+) values\.$"),
        lambda m: f"参数 '{m[1]}' 需要 {m[2]} 个值。",
    ),
    (
        re.compile(r"(file|dir|path) '(.+)' does not exist\.$", re.I),
        lambda m: f"{PATH_KINDS[m[1].lower()]} '{m[2]}' 不存在",
    ),
    (
        re.compile(r"(file|dir|path) '(.+)' is a file\.$", re.I),
        lambda m: f"'{m[2]}' 是文件，应为目录",
    ),
    (
        re.compile(r"(file|dir|path) '(.+)' is a directory\.$", re.I),
        lambda m: f"'{m[2]}' 是目录，应为文件",
    ),
    (
        re.compile(r"'(.*)' is not one of (.+)\.$"),
        lambda m: f"应为以下之一：{m[2].replace(', ', '、')}（收到 '{m[1]}'）",
    ),
    (re.compile(r"(file|dir|path) '(.+)' is not readable\.$", re.I), lambda m: f"'{m[2]}' 不可读"),
    (re.compile(r"(file|dir|path) '(.+)' is not writable\.$", re.I), lambda m: f"'{m[2]}' 不可写"),
]

# Typer converts values with pydantic; its error types, by what the user should have typed.
_VALUE_ERRORS = {
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "decimal_parsing": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "date_parsing": "应为日期 YYYY-MM-DD",
    "date_from_datetime_parsing": "应为日期 YYYY-MM-DD",
    "datetime_parsing": "应为日期时间 YYYY-MM-DD HH:MM:SS",
    "datetime_from_date_parsing": "应为日期时间 YYYY-MM-DD HH:MM:SS",
    "enum": "应为以下之一：{expected}",
    "literal_error": "应为以下之一：{expected}",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "greater_than": "应大于 {gt}",
    "less_than": "应小于 {lt}",
}


class ChineseUsageError(UsageError):
    """A usage error whose message is already Chinese (exit code 2, like Click's)."""


def _plain(message: str) -> str:
    for pattern, chinese in _MESSAGES:
        match = pattern.match(message)
        if match:
            return chinese(match)
    return message


def _hint(exc: BadParameter) -> str:
    if exc.param_hint is not None:
        hint = exc.param_hint
        return hint if isinstance(hint, str) else " / ".join(repr(h) for h in hint)
    param = exc.param
    if param is None:
        return ""
    if param.param_type_name == "option" and param.opts:
        # Click's hint would add "(env var: …)" in English.
        return " / ".join(f"'{o}'" for o in param.opts)
    return param.get_error_hint()


def _value_reason(exc: BadParameter) -> str:
    cause = exc.__cause__
    if isinstance(cause, ValidationError) and cause.errors():
        error = cause.errors()[0]
        template = _VALUE_ERRORS.get(error["type"])
        if template is None:  # e.g. Typer's own choice check, a "Value error, …" in English
            return _plain(str(error["msg"]).removeprefix("Value error, "))
        details = {k: str(v).replace(" or ", "、") for k, v in (error.get("ctx") or {}).items()}
        return f"{template.format(**details)}（收到 {error['input']!r}）"
    return _plain(exc.message)


def _message(exc: UsageError) -> str:
    if isinstance(exc, MissingParameter):
        param_kind = exc.param_type or (exc.param.param_type_name if exc.param else "")
        kind = PARAM_KINDS.get(param_kind, "参数")
        return f"缺少{kind} {_hint(exc)}。" if _hint(exc) else f"缺少{kind}。"
    if isinstance(exc, NoSuchOption):
        message = f"没有选项 {exc.option_name}"
        if exc.possibilities:
            message += f"（相近的选项：{'、'.join(sorted(exc.possibilities))}）"
        return message
    if isinstance(exc, BadParameter):
        hint = _hint(exc)
        reason = _value_reason(exc)
        return f"{hint} 的值不正确：{reason}" if hint else f"取值不正确：{reason}"
    return _plain(exc.message)


def in_chinese(exc: UsageError, ctx: ClickContext | None = None) -> UsageError:
    """``exc`` with its message in Chinese; Chinese ones and the no-argument help pass as they
    are (Typer recognises the latter by its class)."""
    if isinstance(exc, ChineseUsageError | NoArgsIsHelpError):
        return exc
    if not isinstance(exc, BadParameter) and _CJK.search(exc.message):
        return exc
    return ChineseUsageError(_message(exc), exc.ctx or ctx)


class ChineseFormatter(HelpFormatter):
    """Click's help formatter with a Chinese usage prefix and section headings."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, USAGE_PREFIX if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        super().write_heading(HEADINGS.get(heading, heading))


class ChineseContext(Context):
    formatter_class = ChineseFormatter

    def fail(self, message: str) -> NoReturn:
        raise ChineseUsageError(_plain(message), self)


# To the type checker the mixin is the Click command both Typer classes derive from, so its
# overrides and super() calls are checked against Click's; at run time it adds no base.
if TYPE_CHECKING:
    _Mixin = Command
else:
    _Mixin = object


class _SpeaksChinese(_Mixin):
    """What ``ChineseCommand`` and ``ChineseGroup`` add to Typer's classes."""

    context_class: type[ClickContext] = ChineseContext

    def get_help_option(self, ctx: ClickContext) -> Any:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = HELP_OPTION_HELP
        return option

    def get_params(self, ctx: ClickContext) -> list[Parameter]:
        params = super().get_params(ctx)
        for param in params:
            # Typer's options carry help; Click's bare Parameter does not.
            if isinstance(param, TyperOption) and param.name in BUILT_IN_OPTION_HELP:
                param.help = BUILT_IN_OPTION_HELP[param.name]
        return params

    def collect_usage_pieces(self, ctx: ClickContext) -> list[str]:
        pieces = super().collect_usage_pieces(ctx)
        return [USAGE_WORDS.get(piece, piece) for piece in pieces]

    def parse_args(self, ctx: ClickContext, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except UsageError as exc:
            raise in_chinese(exc, ctx) from None

    def invoke(self, ctx: ClickContext) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            raise in_chinese(exc, ctx) from None


class ChineseCommand(_SpeaksChinese, TyperCommand):
    pass


class ChineseGroup(_SpeaksChinese, TyperGroup):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Typer's own suggestion is appended in English; resolve_command adds a Chinese one.
        self.suggest_commands = False

    def resolve_command(self, ctx: ClickContext, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except ChineseUsageError as exc:
            close = get_close_matches(args[0], list(self.commands)) if args else []
            if close:
                exc.message += f"是不是要用 {'、'.join(repr(c) for c in close)}？"
            raise


def _adopt(app: typer.Typer) -> None:
    """Give ``app``'s commands and nested groups the Chinese classes, unless they chose one.
    Typer builds its click commands from these infos on each run, so commands must be
    registered before their app is added."""
    for command in app.registered_commands:
        if command.cls in (None, TyperCommand):
            command.cls = ChineseCommand
    for group in app.registered_groups:
        if isinstance(group.cls, DefaultPlaceholder) or group.cls is None:
            group.cls = ChineseGroup
        if group.typer_instance is not None:
            _adopt(group.typer_instance)


class ChineseTyper(typer.Typer):
    """The root ``typer.Typer`` of ``xinyong``: its commands and every group added to it (the
    domains' plain ``typer.Typer`` apps, whatever their layer) use the Chinese classes above,
    so that no help page or usage error is left in English."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cls", ChineseGroup)
        kwargs.setdefault("rich_markup_mode", "rich")
        super().__init__(**kwargs)

    def command(
        self, name: str | None = None, *, cls: type[TyperCommand] | None = None, **kwargs: Any
    ) -> Any:
        return super().command(name, cls=cls or ChineseCommand, **kwargs)

    def add_typer(self, typer_instance: typer.Typer, **kwargs: Any) -> None:
        kwargs.setdefault("cls", ChineseGroup)
        _adopt(typer_instance)
        super().add_typer(typer_instance, **kwargs)


# --- the shipped secret -------------------------------------------------------------------

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
        "measures test",
        "lists test",
        "commitments templates",
        "db current",
    }
)
GENERATE_COMMAND: Final = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"

err_console = Console(stderr=True)


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
