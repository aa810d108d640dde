"""Errors of accounts and authentication: stable codes, Chinese messages."""

from __future__ import annotations

from xinyong.errors import FieldError, NotFound, Unauthorized, XinyongError


class InvalidCredentials(Unauthorized):
    """Unknown user, wrong password or inactive account: one answer, so names can't be probed."""

    def __init__(self) -> None:
        super().__init__("auth.invalid_credentials", "用户名或密码错误")


class InvalidToken(Unauthorized):
    def __init__(self) -> None:
        super().__init__("auth.invalid_token", "登录凭证无效或已注销，请重新登录")


class TokenExpired(Unauthorized):
    def __init__(self) -> None:
        super().__init__("auth.token_expired", "登录已过期，请重新登录")


class InvalidApiKey(Unauthorized):
    def __init__(self) -> None:
        super().__init__("auth.invalid_api_key", "API 密钥无效或已吊销")


class FieldInvalid(XinyongError):
    """422 about one input field."""

    def __init__(self, code: str, field_name: str, message: str, *, status: int = 422) -> None:
        super().__init__(
            code=code, title=message, status=status, errors=[FieldError(field_name, code, message)]
        )


class UnknownDepartment(FieldInvalid):
    def __init__(self, code: str, field_name: str = "department_code") -> None:
        super().__init__("accounts.unknown_department", field_name, f"部门代码“{code}”不存在")


class UnknownSubject(FieldInvalid):
    def __init__(self, reference: str, field_name: str = "subject") -> None:
        super().__init__("accounts.unknown_subject", field_name, f"未找到信用主体“{reference}”")


class UnknownRole(FieldInvalid):
    def __init__(self, role: str, field_name: str = "role") -> None:
        super().__init__("accounts.unknown_role", field_name, f"角色“{role}”不存在")


class UnknownSector(FieldInvalid):
    def __init__(self, sector: str) -> None:
        super().__init__("accounts.unknown_sector", "sector", f"行业领域“{sector}”不存在")


class DepartmentRequired(FieldInvalid):
    def __init__(self, role: str) -> None:
        super().__init__(
            "accounts.department_required", "department_code", f"角色“{role}”必须指定所属部门"
        )


class SubjectRequired(FieldInvalid):
    def __init__(self, role: str) -> None:
        super().__init__("accounts.subject_required", "subject_id", f"角色“{role}”必须绑定信用主体")


class WeakPassword(FieldInvalid):
    def __init__(self, min_length: int) -> None:
        super().__init__(
            "accounts.weak_password", "password", f"密码长度不得少于{min_length}个字符"
        )


class DuplicateUsername(FieldInvalid):
    def __init__(self, username: str) -> None:
        super().__init__(
            "accounts.duplicate_username", "username", f"用户名“{username}”已被使用", status=409
        )


class DuplicateDepartment(FieldInvalid):
    def __init__(self, code: str) -> None:
        super().__init__(
            "accounts.duplicate_department", "code", f"部门代码“{code}”已存在", status=409
        )


class UnknownApiKey(NotFound):
    def __init__(self, key_id: int) -> None:
        super().__init__("accounts.unknown_api_key", f"API 密钥 {key_id} 不存在", field_name="id")
