"""Who is making a request: a user, an API key, or nobody."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from xinyong.accounts.models import Role
from xinyong.errors import Unauthorized, XinyongError

PrincipalKind = Literal["user", "key", "anonymous", "console"]

INTERNAL_ROLES: Final = frozenset({Role.ADMIN, Role.DEPARTMENT, Role.REVIEWER, Role.SYSTEM})


@dataclass(frozen=True)
class Principal:
    """The resolved caller. Authorisation decisions read this, never the raw credential."""

    kind: PrincipalKind
    id: int | None
    role: Role | None
    department_code: str | None
    subject_id: int | None
    name: str
    # An API key's own requests-per-minute limit: None is the deployment default, 0 unlimited.
    rate_limit_per_minute: int | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.kind == "anonymous"

    @property
    def role_name(self) -> str | None:
        """The role as stored in the audit log and the query log (None for nobody)."""
        return self.role.value if self.role else None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_internal(self) -> bool:
        """Government-side callers (admin, department, reviewer, system) who see non-public data."""
        return self.role in INTERNAL_ROLES

    def require_admin(self, denied: XinyongError) -> None:
        """401 for nobody; ``denied`` (the domain's 403) for anyone but a credit-office admin."""
        if self.is_anonymous:
            raise Unauthorized()
        if not self.is_admin:
            raise denied

    @property
    def actor(self) -> str:
        """The audit-log actor: ``user:3``, ``key:5``, ``console:张三@330106-SCJG`` or
        ``anonymous``."""
        if self.kind == "console":
            return f"console:{self.name}"[:64]
        if self.kind == "anonymous" or self.id is None:
            return "anonymous"
        return f"{self.kind}:{self.id}"

    @classmethod
    def console(cls, *, role: Role, department_code: str | None, operator: str) -> Principal:
        """Someone at the server's console (``xinyong`` CLI) acting as ``role`` of
        ``department_code``: for departments without their own system. The console is trusted
        as the operator of the installation; the audit log names the operator and department."""
        where = f"@{department_code}" if department_code else ""
        return cls(
            kind="console",
            id=None,
            role=role,
            department_code=department_code,
            subject_id=None,
            name=f"{operator}{where}",
        )

    @classmethod
    def console_reviewer(cls, department_code: str, operator: str) -> Principal:
        """A reviewer of ``department_code`` at the console (``xinyong repair``, ``xinyong
        objections``), deciding as the department's reviewers do through the API."""
        return cls.console(role=Role.REVIEWER, department_code=department_code, operator=operator)


ANONYMOUS: Final = Principal(
    kind="anonymous", id=None, role=None, department_code=None, subject_id=None, name="匿名访问"
)
