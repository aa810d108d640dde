"""Errors of the subjects domain."""

from __future__ import annotations

from xinyong.errors import FieldProblem, NotFound


class SubjectNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("subject.not_found", "未找到该信用主体", field_name="code")


class InvalidSubjectCode(FieldProblem):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, "code", message)


class PersonNotFound(SubjectNotFound):
    """A person looked up by name and ID number that matched nobody: the same answer as an
    unknown code (a wrong name must not tell that the number exists), and the look-up's audit
    row is kept."""

    keep_changes = True


class PersonNameRequired(FieldProblem):
    def __init__(self) -> None:
        super().__init__(
            "subject.person_name_required",
            "name",
            "查询自然人的信用信息，须同时提供姓名和身份证号码",
        )
