"""``xinyong keys``, ``xinyong users`` and ``xinyong departments``: one transaction per command,
each change recorded in the audit log. The account lifecycle commands (deactivate, reactivate,
revoke-tokens, password) act as a credit-office admin at the console through the same services
as the API (``accounts.lifecycle``); ``--by`` names the operator in the audit log."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Final

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.orm import Session

from xinyong.accounts import lifecycle, service
from xinyong.accounts.errors import UnknownSubject
from xinyong.accounts.models import ApiKey, Role
from xinyong.accounts.principal import Principal
from xinyong.audit import service as audit
from xinyong.config import get_settings
from xinyong.console import refusals
from xinyong.errors import XinyongError
from xinyong.kit import clock

# Filled by higher layers (subjects) at start-up: each maps a USCC to a subject id or None.
SubjectResolver = Callable[[Session, str], int | None]
SUBJECT_RESOLVERS: Final[list[SubjectResolver]] = []

CLI_ACTOR: Final = "system"

keys_app = typer.Typer(help="API 密钥管理", no_args_is_help=True)
users_app = typer.Typer(help="用户账号管理", no_args_is_help=True)
departments_app = typer.Typer(help="部门管理", no_args_is_help=True)

console = Console()
err_console = Console(stderr=True)


@keys_app.callback()
def _keys() -> None:
    """API 密钥管理"""


@users_app.callback()
def _users() -> None:
    """用户账号管理"""


@departments_app.callback()
def _departments() -> None:
    """部门管理"""


def resolve_subject(session: Session, reference: str) -> int:
    """The subject id for a USCC via the registered resolvers, or 422 accounts.unknown_subject."""
    for resolver in SUBJECT_RESOLVERS:
        subject_id = resolver(session, reference)
        if subject_id is not None:
            return subject_id
    raise UnknownSubject(reference)


def _fail(exc: XinyongError) -> typer.Exit:
    err_console.print(f"[red]错误[/red] {escape(f'[{exc.code}]')} {exc.title}", highlight=False)
    for item in exc.errors:
        if item.message != exc.title:
            err_console.print(f"  {item.field}: {item.message}", highlight=False)
    return typer.Exit(code=1)


def _now() -> datetime:
    return clock.now()


def _admin(who: str) -> Principal:
    return Principal.console(role=Role.ADMIN, department_code=None, operator=who)


OPERATOR_OPTION = typer.Option("管理员", "--by", help="操作人（记入审计日志）")


@keys_app.command("create")
def create_key(
    name: Annotated[str, typer.Option("--name", help="密钥名称（用途）")],
    role: Annotated[Role, typer.Option("--role", help="角色")],
    department: Annotated[str | None, typer.Option("--department", help="部门代码")] = None,
    subject: Annotated[
        str | None, typer.Option("--subject", help="绑定主体的统一社会信用代码")
    ] = None,
    rate_limit: Annotated[
        int | None,
        typer.Option(
            "--rate-limit",
            help="每分钟请求上限；不填用部署默认值（XINYONG_RATE_LIMIT_PER_MINUTE），"
            "0 表示不限（仅用于可信的内部系统）",
        ),
    ] = None,
    owner: Annotated[
        str | None,
        typer.Option("--owner", help="负责人用户名：其账号停用期间此密钥不可用"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
) -> None:
    """创建 API 密钥。明文密钥只显示这一次。"""
    now = _now()
    secret = get_settings().secret_key.get_secret_value()
    with refusals(_fail) as session:
        subject_id = resolve_subject(session, subject) if subject else None
        owner_id = service.get_user(session, owner).id if owner else None
        plain, key = service.create_api_key(
            session,
            name=name,
            role=role,
            department_code=department,
            subject_id=subject_id,
            rate_limit_per_minute=rate_limit,
            owner_user_id=owner_id,
            secret=secret,
            now=now,
        )
        _audit_key(session, key, department=department, owner=owner, now=now)
        key_id, key_role = key.id, key.role.value
    _print_key(
        plain, key_id=key_id, name=name, role=key_role, rate_limit=rate_limit, as_json=as_json
    )


def _audit_key(
    session: Session, key: ApiKey, *, department: str | None, owner: str | None, now: datetime
) -> None:
    audit.record(
        session,
        actor=CLI_ACTOR,
        actor_role=Role.SYSTEM.value,
        action="key.create",
        object_type="api_key",
        object_id=str(key.id),
        detail={
            "name": key.name,
            "role": key.role.value,
            "prefix": key.prefix,
            "department_code": department,
            "subject_id": key.subject_id,
            "rate_limit_per_minute": key.rate_limit_per_minute,
            "owner": owner,
            "via": "cli",
        },
        now=now,
    )


def _print_key(
    plain: str, *, key_id: int, name: str, role: str, rate_limit: int | None, as_json: bool
) -> None:
    if as_json:
        doc = {"key": plain, "id": key_id, "name": name, "role": role}
        typer.echo(json.dumps(doc, ensure_ascii=False))
        return
    limit = "默认" if rate_limit is None else ("不限" if rate_limit == 0 else str(rate_limit))
    console.print(
        f"已创建 API 密钥 #{key_id}（{name}，角色 {role}，每分钟请求上限 {limit}）",
        highlight=False,
    )
    console.print(f"[bold]{plain}[/bold]", highlight=False, soft_wrap=True)
    console.print("[yellow]请立即保存：明文密钥不会再次显示。[/yellow]")


@keys_app.command("revoke")
def revoke_key(key_id: Annotated[int, typer.Argument(metavar="ID", help="密钥编号")]) -> None:
    """吊销 API 密钥。"""
    now = _now()
    with refusals(_fail) as session:
        key = service.revoke_api_key(session, key_id=key_id, now=now)
        audit.record(
            session,
            actor=CLI_ACTOR,
            actor_role=Role.SYSTEM.value,
            action="key.revoke",
            object_type="api_key",
            object_id=str(key.id),
            detail={"name": key.name, "prefix": key.prefix, "via": "cli"},
            now=now,
        )
    console.print(f"已吊销 API 密钥 #{key_id}", highlight=False)


@users_app.command("create")
def create_user(
    username: Annotated[str, typer.Argument(help="用户名")],
    role: Annotated[Role, typer.Option("--role", help="角色")],
    password: Annotated[
        str,
        typer.Option(
            "--password", prompt="密码", hide_input=True, confirmation_prompt=True, help="密码"
        ),
    ],
    department: Annotated[str | None, typer.Option("--department", help="部门代码")] = None,
    subject_id: Annotated[int | None, typer.Option("--subject-id", help="绑定主体编号")] = None,
    display_name: Annotated[str | None, typer.Option("--display-name", help="显示名称")] = None,
) -> None:
    """创建用户账号。"""
    now = _now()
    with refusals(_fail) as session:
        user = service.create_user(
            session,
            username=username,
            password=password,
            role=role,
            display_name=display_name,
            department_code=department,
            subject_id=subject_id,
            min_password_length=get_settings().password_min_length,
            now=now,
        )
        audit.record(
            session,
            actor=CLI_ACTOR,
            actor_role=Role.SYSTEM.value,
            action="user.create",
            object_type="user",
            object_id=str(user.id),
            detail={
                "username": username,
                "role": user.role.value,
                "department_code": department,
                "subject_id": subject_id,
                "via": "cli",
            },
            now=now,
        )
        user_id = user.id
    console.print(f"已创建用户 #{user_id} {username}（角色 {role.value}）", highlight=False)


@users_app.command("deactivate")
def deactivate_user(
    username: Annotated[str, typer.Argument(help="用户名")],
    reason: Annotated[str | None, typer.Option("--reason", help="停用原因")] = None,
    who: str = OPERATOR_OPTION,
) -> None:
    """停用用户账号：立即生效，其登录令牌全部注销，名下 API 密钥停用。"""
    with refusals(_fail) as session:
        lifecycle.deactivate(
            session, username=username, actor=_admin(who), reason=reason, now=_now()
        )
    console.print(f"已停用用户 {username}", highlight=False)


@users_app.command("reactivate")
def reactivate_user(
    username: Annotated[str, typer.Argument(help="用户名")],
    who: str = OPERATOR_OPTION,
) -> None:
    """恢复已停用的用户账号（原登录令牌仍然无效，须重新登录）。"""
    with refusals(_fail) as session:
        lifecycle.reactivate(
            session,
            username=username,
            actor=_admin(who),
            secret=get_settings().hmac_key,
            now=_now(),
        )
    console.print(f"已恢复用户 {username}", highlight=False)


@users_app.command("revoke-tokens")
def revoke_user_tokens(
    username: Annotated[str, typer.Argument(help="用户名")],
    who: str = OPERATOR_OPTION,
) -> None:
    """注销用户的全部登录令牌（所有设备退出登录）。"""
    with refusals(_fail) as session:
        revoked = lifecycle.revoke_tokens_of(
            session, username=username, actor=_admin(who), now=_now()
        )
    console.print(f"已注销用户 {username} 的 {revoked} 个登录令牌", highlight=False)


@users_app.command("password")
def reset_password(
    username: Annotated[str, typer.Argument(help="用户名")],
    password: Annotated[
        str,
        typer.Option(
            "--password", prompt="新密码", hide_input=True, confirmation_prompt=True, help="新密码"
        ),
    ],
    who: str = OPERATOR_OPTION,
) -> None:
    """重设用户密码（用户忘记密码时由管理员操作）；其登录令牌全部注销。"""
    with refusals(_fail) as session:
        revoked = lifecycle.reset_password(
            session,
            username=username,
            actor=_admin(who),
            new_password=password,
            min_length=get_settings().password_min_length,
            now=_now(),
        )
    console.print(f"已重设用户 {username} 的密码，注销 {revoked} 个登录令牌", highlight=False)


@departments_app.command("create")
def create_department(
    code: Annotated[str, typer.Argument(help="部门代码，如 330100-SCJG")],
    name: Annotated[str, typer.Argument(help="部门名称")],
    uscc: Annotated[str | None, typer.Option("--uscc", help="统一社会信用代码")] = None,
    sector: Annotated[str | None, typer.Option("--sector", help="行业领域")] = None,
) -> None:
    """登记部门。"""
    now = _now()
    with refusals(_fail) as session:
        dept = service.create_department(
            session, code=code, name=name, uscc=uscc, sector=sector, now=now
        )
        audit.record(
            session,
            actor=CLI_ACTOR,
            actor_role=Role.SYSTEM.value,
            action="department.create",
            object_type="department",
            object_id=str(dept.id),
            detail={"code": code, "name": name, "sector": sector, "via": "cli"},
            now=now,
        )
        dept_id = dept.id
    console.print(f"已登记部门 #{dept_id} {code} {name}", highlight=False)
