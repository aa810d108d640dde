"""HTTP routes of authentication. Built by a factory so accounts needn't import the web layer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from xinyong.accounts import lifecycle, login, service
from xinyong.accounts.principal import Principal
from xinyong.accounts.schemas import (
    DeactivateRequest,
    PasswordChange,
    PrincipalRead,
    TokenRead,
    TokenRequest,
    TokensRevoked,
    UserRead,
)
from xinyong.audit import service as audit
from xinyong.config import Settings, get_settings
from xinyong.errors import FieldError, XinyongError
from xinyong.kit import clock as kit_clock
from xinyong.kit.storable import is_storable

JSON_TYPE = "application/json"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

_TOKEN_REQUEST_SCHEMA = TokenRequest.model_json_schema()
_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
_LOCKED = {
    **_PROBLEM,
    "description": "登录失败次数过多，暂时锁定",
    "headers": {"Retry-After": {"description": "解锁前的秒数", "schema": {"type": "integer"}}},
}


def _invalid_body(exc: ValidationError) -> XinyongError:
    errors = [
        FieldError(".".join(str(p) for p in err["loc"]) or "body", "request.invalid", err["msg"])
        for err in exc.errors()
    ]
    return XinyongError(
        code="request.invalid", title="请求内容不符合要求", status=422, errors=errors
    )


def _storable(credentials: TokenRequest) -> TokenRequest:
    """The username is looked up in the database, which cannot hold a NUL."""
    if not is_storable(credentials.username):
        raise XinyongError(
            code="request.invalid",
            title="请求内容不符合要求",
            status=422,
            errors=[FieldError("username", "request.invalid", "用户名不能包含空字符（U+0000）")],
        )
    return credentials


async def read_token_request(request: Request) -> TokenRequest:
    """Accept ``{"username","password"}`` as JSON or as OAuth2 password form fields."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if content_type == JSON_TYPE:
            try:
                body: Any = await request.json()
            except ValueError:
                raise XinyongError(
                    code="request.invalid_json", title="请求体不是有效的 JSON", status=400
                ) from None
            return _storable(TokenRequest.model_validate(body))
        if content_type in FORM_TYPES:
            form = await request.form()
            return _storable(
                TokenRequest.model_validate(
                    {
                        k: v
                        for k, v in form.items()
                        if isinstance(v, str) and k in TokenRequest.model_fields
                    }
                )
            )
    except ValidationError as exc:
        raise _invalid_body(exc) from None
    raise XinyongError(
        code="request.unsupported_media_type",
        title="请以 JSON 或表单格式提交用户名和密码",
        status=415,
    )


def peer_address(request: Request) -> str | None:
    """The connecting address (the web layer passes its proxy-aware one instead)."""
    return request.client.host if request.client else None


def bearer_token(request: Request) -> str | None:
    """The token of ``Authorization: Bearer …``, or None."""
    auth = request.headers.get("authorization", "")
    if not auth.lower().startswith("bearer "):
        return None
    return auth[7:].strip() or None


@dataclass(frozen=True)
class _Wiring:
    """The web layer's dependencies the routes are bound to."""

    session: Callable[..., Any]
    settings: Callable[..., Settings]
    principal: Callable[..., Any]
    client_address: Callable[[Request], str | None]
    clock: Callable[[], datetime] | None

    def now(self) -> datetime:
        # Looked up at each request, so that a test moving kit.clock moves the login too.
        return self.clock() if self.clock is not None else kit_clock.now()


def build_router(
    session_dep: Callable[..., Any],
    *,
    settings_dep: Callable[..., Settings] = get_settings,
    principal_dep: Callable[..., Any] | None = None,
    client_address: Callable[[Request], str | None] = peer_address,
    clock: Callable[[], datetime] | None = None,
) -> APIRouter:
    """``/auth`` and ``/users`` routes bound to the web layer's session, settings and
    principal dependencies and its client address. ``session_dep`` must commit after the
    handler, as SessionDep does (and commit the refusals that keep their changes: a failed
    login's count). ``clock`` defaults to ``xinyong.kit.clock.now``. Without
    ``principal_dep`` only the token endpoint is built."""
    router = APIRouter()
    wiring = _Wiring(
        session_dep, settings_dep, principal_dep or _no_principal, client_address, clock
    )
    _token_route(router, wiring)
    if principal_dep is not None:
        _session_routes(router, wiring)
        _password_route(router, wiring)
        _admin_routes(router, wiring)
    return router


def _no_principal() -> Principal:
    raise NotImplementedError("built without a principal dependency")


def _token_route(router: APIRouter, w: _Wiring) -> None:
    @router.post(
        "/auth/token",
        tags=["auth"],
        response_model=TokenRead,
        summary="登录并获取访问令牌",
        responses={401: _PROBLEM, 415: _PROBLEM, 422: _PROBLEM, 429: _LOCKED},
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    JSON_TYPE: {"schema": _TOKEN_REQUEST_SCHEMA},
                    FORM_TYPES[0]: {"schema": _TOKEN_REQUEST_SCHEMA},
                },
            }
        },
    )
    def issue_token(
        request: Request,
        credentials: TokenRequest = Depends(read_token_request),
        session: Session = Depends(w.session, scope="function"),
        settings: Settings = Depends(w.settings),
    ) -> TokenRead:
        """失败次数过多时暂时锁定（429，见 Retry-After）；用户名不存在与密码错误的回答相同。"""
        now = w.now()
        user = login.log_in(
            session,
            login.Attempt(credentials.username, w.client_address(request)),
            password=credentials.password,
            policy=login.LoginPolicy.from_settings(settings),
            secret=settings.hmac_key,
            now=now,
        )
        token, expires_at = service.issue_token(
            session, user=user, now=now, ttl=timedelta(minutes=settings.token_ttl_minutes)
        )
        audit.record(
            session,
            actor=f"user:{user.id}",
            actor_role=user.role.value,
            action="auth.token_issue",
            object_type="user",
            object_id=str(user.id),
            detail={"username": user.username, "expires_at": expires_at},
            now=now,
        )
        return TokenRead(access_token=token, expires_at=expires_at)


def _session_routes(router: APIRouter, w: _Wiring) -> None:
    @router.get("/auth/me", tags=["auth"], response_model=PrincipalRead, summary="当前身份")
    def me(principal: Principal = Depends(w.principal)) -> PrincipalRead:
        return PrincipalRead.model_validate(principal)

    @router.post(
        "/auth/logout",
        tags=["auth"],
        status_code=204,
        summary="退出登录（注销当前令牌）",
        responses={401: _PROBLEM, 403: _PROBLEM},
    )
    def logout(
        request: Request,
        principal: Principal = Depends(w.principal),
        session: Session = Depends(w.session, scope="function"),
    ) -> Response:
        token = bearer_token(request) or ""
        lifecycle.log_out(session, principal=principal, token=token, now=w.now())
        return Response(status_code=204)

    @router.post(
        "/auth/tokens/revoke",
        tags=["auth"],
        response_model=TokensRevoked,
        summary="注销本人全部登录令牌（所有设备退出登录）",
        responses={401: _PROBLEM, 403: _PROBLEM},
    )
    def revoke_tokens(
        principal: Principal = Depends(w.principal),
        session: Session = Depends(w.session, scope="function"),
    ) -> TokensRevoked:
        revoked = lifecycle.revoke_own_tokens(session, principal=principal, now=w.now())
        return TokensRevoked(revoked_tokens=revoked)


def _password_route(router: APIRouter, w: _Wiring) -> None:
    @router.post(
        "/auth/password",
        tags=["auth"],
        response_model=TokensRevoked,
        summary="修改本人密码（须提供原密码；其他设备上的登录随之失效）",
        responses={401: _PROBLEM, 403: _PROBLEM, 422: _PROBLEM, 429: _LOCKED},
    )
    def change_password(
        data: PasswordChange,
        request: Request,
        principal: Principal = Depends(w.principal),
        session: Session = Depends(w.session, scope="function"),
        settings: Settings = Depends(w.settings),
    ) -> TokensRevoked:
        revoked = lifecycle.change_password(
            session,
            principal=principal,
            old_password=data.old_password,
            new_password=data.new_password,
            current_token=bearer_token(request),
            address=w.client_address(request),
            policy=login.LoginPolicy.from_settings(settings),
            secret=settings.hmac_key,
            min_length=settings.password_min_length,
            now=w.now(),
        )
        return TokensRevoked(revoked_tokens=revoked)


def _admin_routes(router: APIRouter, w: _Wiring) -> None:
    @router.post(
        "/users/{username}/deactivate",
        tags=["users"],
        response_model=UserRead,
        summary="停用用户账号（立即生效：登录令牌注销，其名下 API 密钥停用）",
        responses={401: _PROBLEM, 403: _PROBLEM, 404: _PROBLEM, 409: _PROBLEM},
    )
    def deactivate(
        username: str,
        principal: Principal = Depends(w.principal),
        session: Session = Depends(w.session, scope="function"),
        data: DeactivateRequest | None = None,
    ) -> UserRead:
        user = lifecycle.deactivate(
            session,
            username=username,
            actor=principal,
            reason=data.reason if data else None,
            now=w.now(),
        )
        return UserRead.model_validate(user)

    @router.post(
        "/users/{username}/reactivate",
        tags=["users"],
        response_model=UserRead,
        summary="恢复已停用的用户账号",
        responses={401: _PROBLEM, 403: _PROBLEM, 404: _PROBLEM},
    )
    def reactivate(
        username: str,
        principal: Principal = Depends(w.principal),
        session: Session = Depends(w.session, scope="function"),
        settings: Settings = Depends(w.settings),
    ) -> UserRead:
        user = lifecycle.reactivate(
            session, username=username, actor=principal, secret=settings.hmac_key, now=w.now()
        )
        return UserRead.model_validate(user)
