"""Errors of authorizations and the query log."""

from __future__ import annotations

from pathlib import Path

from xinyong.errors import (
    DefinitionFileError,
    FieldError,
    FieldProblem,
    Forbidden,
    NotFound,
)


class ScopeDefinitionError(DefinitionFileError):
    """``definitions/scopes.yaml`` is invalid: names the file and every problem."""

    def __init__(self, path: Path, errors: list[FieldError]) -> None:
        super().__init__("access.invalid_scopes", f"授权范围定义文件有误：{path.name}", errors)


class GrantOnlyOwnFile(Forbidden):
    def __init__(self) -> None:
        super().__init__(
            "access.not_own_subject", "只能授权查询本企业的信用档案，不能替其他主体授权"
        )


class GrantEnterpriseOnly(Forbidden):
    def __init__(self) -> None:
        super().__init__("access.enterprise_only", "只有企业账号可以授权或撤销授权")


class GrantTooLong(FieldProblem):
    def __init__(self, days: int, limit: int) -> None:
        super().__init__(
            "access.too_long", "days", f"授权期限 {days} 天超过上限 {limit} 天，请缩短期限"
        )


class UnknownScope(FieldProblem):
    def __init__(self, field_name: str, scope: str, known: list[str]) -> None:
        super().__init__(
            "access.unknown_scope",
            field_name,
            f"未知的授权范围：{scope[:40]}（可选：{'、'.join(known)}）",
        )


class UnknownGrantee(FieldProblem):
    def __init__(self, code: str) -> None:
        super().__init__(
            "access.unknown_grantee",
            "grantee_code",
            f"被授权机构 {code[:40]} 不存在或没有可用的银行账号",
        )


class GrantNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("access.grant_not_found", "授权不存在", field_name="grant_id")


class NoGrant(Forbidden):
    def __init__(self) -> None:
        super().__init__("access.no_grant", "该企业未授权贵机构查询其信用信息；请先取得企业授权")


class GrantExpired(Forbidden):
    def __init__(self) -> None:
        super().__init__("access.grant_expired", "企业对贵机构的授权已过期；请企业重新授权")


class GrantRevoked(Forbidden):
    def __init__(self) -> None:
        super().__init__("access.grant_revoked", "企业已撤销对贵机构的授权")


class ScopeNotGranted(Forbidden):
    def __init__(self, scopes: list[str]) -> None:
        super().__init__("access.scope_not_granted", f"企业未授权查询以下范围：{'、'.join(scopes)}")


class QueryLogForbidden(Forbidden):
    def __init__(self) -> None:
        super().__init__("access.query_log_forbidden", "查询记录仅本主体和信用办管理员可以查看")
