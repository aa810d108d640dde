"""RFC 9457 problem details for every error, with Chinese messages and stable codes."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from xinyong.errors import FieldError, XinyongError
from xinyong.kit.identifiers import mask_text_ids

log = logging.getLogger("xinyong.web")
PROBLEM_JSON = "application/problem+json"
# What a client should wait before retrying while the database cannot be reached.
DATABASE_RETRY_AFTER_SECONDS = 30
# Errors that mean the database cannot be reached or is overloaded (connection refused or lost,
# pool exhausted, server shutting down, SQLite locked), not that the request was wrong.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError, PoolTimeoutError)

_PROBLEM_SCHEMA = {
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
}
_DESCRIPTIONS = {
    400: "请求有误",
    401: "未认证",
    403: "无权访问",
    404: "未找到",
    409: "状态冲突",
    422: "输入不合法",
    429: "请求过于频繁",
    503: "服务暂不可用",
}


_RETRY_AFTER = {
    "Retry-After": {
        "description": "再次请求前应等待的秒数",
        "schema": {"type": "integer", "minimum": 1},
    }
}
_HEADERS = {429: _RETRY_AFTER, 503: _RETRY_AFTER}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries for the expected errors of a route."""
    responses: dict[int | str, dict[str, Any]] = {}
    for s in statuses:
        entry: dict[str, Any] = {
            "description": _DESCRIPTIONS.get(s, "错误"),
            "content": {PROBLEM_JSON: {"schema": _PROBLEM_SCHEMA}},
        }
        if s in _HEADERS:
            entry["headers"] = _HEADERS[s]
        responses[s] = entry
    return responses


def problem(err: XinyongError) -> JSONResponse:
    """The problem+json response for ``err``, with any headers it carries (``Retry-After``)."""
    return JSONResponse(
        err.problem(), status_code=err.status, media_type=PROBLEM_JSON, headers=err.headers or None
    )


_PYDANTIC_MESSAGES = {
    "missing": "缺少必填项",
    "int_parsing": "应为整数",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "string_too_long": "内容过长",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "json_invalid": "不是有效的 JSON",
    "list_type": "应为数组",
    "dict_type": "应为对象",
    "string_type": "应为字符串",
}


def _validation_problem(exc: RequestValidationError) -> XinyongError:
    errors = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        field = ".".join(loc) or "body"
        message = _PYDANTIC_MESSAGES.get(err.get("type", ""), "取值不合法")
        errors.append(
            FieldError(field, f"request.{err.get('type', 'invalid')}", f"{field}：{message}")
        )
    return XinyongError(code="request.invalid", title="请求参数不合法", status=422, errors=errors)


class DatabaseUnavailable(XinyongError):
    """503: the database cannot be reached; nothing was changed, try again later."""

    def __init__(self) -> None:
        super().__init__(
            code="service.database_unavailable",
            title="数据库暂时无法访问，请稍后重试",
            status=503,
            detail=f"本次请求未做任何更改，请在 {DATABASE_RETRY_AFTER_SECONDS} 秒后重试",
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )


def install(app: FastAPI) -> None:
    """Register the handlers: expected errors, validation, HTTP errors, an unreachable
    database, and the last resort."""

    async def _database(request: Request, exc: Exception) -> JSONResponse:
        log.error("database unavailable on %s: %s", request.url.path, mask_text_ids(repr(exc)))
        return problem(DatabaseUnavailable())

    for error_type in DATABASE_UNAVAILABLE:
        app.add_exception_handler(error_type, _database)

    @app.exception_handler(XinyongError)
    async def _xinyong(_: Request, exc: XinyongError) -> JSONResponse:
        return problem(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return problem(_validation_problem(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {404: "请求的地址不存在", 405: "不支持该请求方法"}
        title = titles.get(exc.status_code, "请求无法处理")
        return problem(
            XinyongError(code=f"http.{exc.status_code}", title=title, status=exc.status_code)
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error on %s: %s", request.url.path, mask_text_ids(repr(exc)))
        return problem(
            XinyongError(code="server.error", title="服务器内部错误，请稍后重试", status=500)
        )
