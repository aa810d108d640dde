"""Typed errors rendered as RFC 9457 problem details, messages in Chinese with stable codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
