"""HTTP routes of authentication. Built by a factory so accounts needn't import the web layer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session

from xinyong.accounts import service
from xinyong.accounts.principal import Principal
from xinyong.accounts.schemas import PrincipalRead, TokenRead, TokenRequest
from xinyong.audit import service as audit
from xinyong.config import Settings, get_settings
from xinyong.errors import FieldError, XinyongError
from xinyong.kit import clock as kit_clock
from xinyong.kit.storable import is_storable

JSON_TYPE = "application/json"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

_TOKEN_REQUEST_SCHEMA = TokenRequest.model_json_schema()
_PROBLEM = {"content": {"application/problem+json": {}}}


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


def build_router(
    session_dep: Callable[..., Any],
    *,
    settings_dep: Callable[[], Settings] = get_settings,
    principal_dep: Callable[..., Any] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> APIRouter:
    """``/auth`` routes bound to the web layer's session (and, for ``/auth/me``, principal)
    dependencies. ``session_dep`` must commit after the handler, as SessionDep does.
    ``clock`` defaults to ``xinyong.kit.clock.now``, looked up at each request."""
    router = APIRouter(prefix="/auth", tags=["auth"])

    def current_time() -> datetime:
        return clock() if clock is not None else kit_clock.now()

    @router.post(
        "/token",
        response_model=TokenRead,
        summary="登录并获取访问令牌",
        responses={401: _PROBLEM, 415: _PROBLEM, 422: _PROBLEM},
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
        credentials: TokenRequest = Depends(read_token_request),
        session: Session = Depends(session_dep, scope="function"),
        settings: Settings = Depends(settings_dep),
    ) -> TokenRead:
        now = current_time()
        user = service.authenticate(
            session, username=credentials.username, password=credentials.password, now=now
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

    if principal_dep is not None:

        @router.get("/me", response_model=PrincipalRead, summary="当前身份")
        def me(principal: Principal = Depends(principal_dep)) -> PrincipalRead:
            return PrincipalRead.model_validate(principal)

    return router
