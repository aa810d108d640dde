"""Typed errors rendered as RFC 9457 problem details, messages in Chinese with stable codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field: ``{"field", "code", "message"}``."""

    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


@dataclass
class XinyongError(Exception):
    """Base of every expected failure. ``code`` is stable; ``title`` is the Chinese message."""

    code: str
    title: str
    status: int = 400
    detail: str | None = None
    errors: list[FieldError] = field(default_factory=list)
    # Extra response headers (e.g. ``Retry-After``); never part of the problem body.
    headers: dict[str, str] = field(default_factory=dict)
    # True for a refusal whose own record must be kept (a failed login's count and its audit
    # row): the request's transaction commits what was flushed, then the error is answered.
    keep_changes: ClassVar[bool] = False

    def __post_init__(self) -> None:
        super().__init__(f"{self.code}: {self.title}")

    def problem(self) -> dict[str, Any]:
        """The RFC 9457 body."""
        return {
            "type": f"https://xinyong.dev/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail or self.title,
            "code": self.code,
            "errors": [e.as_dict() for e in self.errors],
        }


def invalid_field(code: str, field_name: str, message: str, *, status: int = 422) -> XinyongError:
    """An error about one field, the common case for bad input."""
    return XinyongError(
        code=code,
        title=message,
        status=status,
        errors=[FieldError(field_name, code, message)],
    )


class FieldProblem(XinyongError):
    """An error about one named field (or the file, or the request): the common case."""

    def __init__(self, code: str, field_name: str, message: str, *, status: int = 422) -> None:
        super().__init__(
            code=code, title=message, status=status, errors=[FieldError(field_name, code, message)]
        )


class DefinitionFileError(XinyongError):
    """A definitions file cannot be used, named with every problem in it: 500 for the
    deployment's own (fixed before serving), 422 for one an official submits (a model, a list,
    test cases)."""

    def __init__(
        self,
        code: str,
        title: str,
        errors: list[FieldError],
        *,
        status: int = 500,
        detail: str | None = None,
    ) -> None:
        super().__init__(code=code, title=title, status=status, detail=detail, errors=errors)


class NotFound(XinyongError):
    def __init__(self, code: str, title: str, *, field_name: str | None = None) -> None:
        errs = [FieldError(field_name, code, title)] if field_name else []
        super().__init__(code=code, title=title, status=404, errors=errs)


class Forbidden(XinyongError):
    def __init__(self, code: str, title: str) -> None:
        super().__init__(code=code, title=title, status=403)


class Unauthorized(XinyongError):
    def __init__(
        self, code: str = "auth.required", title: str = "需要登录或提供有效的凭证"
    ) -> None:
        super().__init__(code=code, title=title, status=401)


class RateLimited(XinyongError):
    """429: the caller spent its request allowance; ``retry_after`` whole seconds until the next."""

    def __init__(self, *, limit_per_minute: int, retry_after: int) -> None:
        super().__init__(
            code="rate_limited",
            title="请求过于频繁，请稍后再试",
            status=429,
            detail=f"每分钟最多 {limit_per_minute} 次请求，请在 {retry_after} 秒后重试",
            headers={"Retry-After": str(retry_after)},
        )
        self.limit_per_minute = limit_per_minute
        self.retry_after = retry_after
