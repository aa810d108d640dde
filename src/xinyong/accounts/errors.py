"""Errors of accounts and authentication: stable codes, Chinese messages."""

from __future__ import annotations

import math
from datetime import timedelta

from xinyong.errors import FieldError, Forbidden, NotFound, Unauthorized, XinyongError


class InvalidCredentials(Unauthorized):
    """Unknown user, wrong password or inactive account: one answer, so names can't be probed."""

    def __init__(self) -> None:
        super().__init__("auth.invalid_credentials", "用户名或密码错误")


class LoginFailed(InvalidCredentials):
    """The same answer as InvalidCredentials; the failure's count and audit row are kept."""

    keep_changes = True


class LoginLocked(XinyongError):
    """429: too many failed logins for this username or from this address; the same answer
    whether the username exists or not."""

    keep_changes = True

    def __init__(self, wait: timedelta) -> None:
        seconds = max(1, math.ceil(wait.total_seconds()))
        minutes = max(1, math.ceil(seconds / 60))
        super().__init__(
            code="auth.login_locked",
            title="登录失败次数过多，已暂时锁定",
            status=429,
            detail=f"请在 {minutes} 分钟后再试；忘记密码请联系信用办管理员",
            headers={"Retry-After": str(seconds)},
        )
        self.retry_after = seconds


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
    """The password policy refused a new password; ``message`` says why."""

    def __init__(self, message: str, field_name: str = "password") -> None:
        super().__init__("accounts.weak_password", field_name, message)


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


class WrongPassword(FieldInvalid):
    """The current password given to change it is wrong; counted like a failed login."""

    keep_changes = True

    def __init__(self) -> None:
        super().__init__("accounts.wrong_password", "old_password", "原密码不正确")


class PasswordUnchanged(FieldInvalid):
    def __init__(self) -> None:
        super().__init__("accounts.password_unchanged", "new_password", "新密码不能与原密码相同")


class UserRequired(Forbidden):
    def __init__(self) -> None:
        super().__init__("auth.user_required", "此操作须以用户账号登录（API 密钥不适用）")


class AdminRequired(Forbidden):
    def __init__(self) -> None:
        super().__init__("accounts.admin_required", "只有信用办管理员可以停用或恢复用户账号")


class CannotDeactivateSelf(XinyongError):
    def __init__(self) -> None:
        super().__init__(
            code="accounts.cannot_deactivate_self",
            title="不能停用自己正在使用的账号",
            status=409,
            errors=[FieldError("username", "accounts.cannot_deactivate_self", "不能停用自己")],
        )


class UnknownUser(NotFound):
    def __init__(self, username: str) -> None:
        super().__init__("accounts.unknown_user", f"用户“{username}”不存在", field_name="username")


class UnknownApiKey(NotFound):
    def __init__(self, key_id: int) -> None:
        super().__init__("accounts.unknown_api_key", f"API 密钥 {key_id} 不存在", field_name="id")
