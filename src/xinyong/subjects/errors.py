"""Errors of the subjects domain."""

from __future__ import annotations

from xinyong.errors import FieldProblem, NotFound


class SubjectNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("subject.not_found", "未找到该信用主体", field_name="code")


class InvalidSubjectCode(FieldProblem):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, "code", message)
