"""Request and response bodies of the accounts API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from xinyong.accounts.models import Role


class TokenRequest(BaseModel):
    """OAuth2 password-style login, as JSON or as form fields."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    grant_type: Literal["password"] | None = None


class TokenRead(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime


class PrincipalRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: Literal["user", "key", "anonymous"]
    id: int | None
    role: Role | None
    department_code: str | None
    subject_id: int | None
    name: str


class PasswordChange(BaseModel):
    """Change one's own password: the current one, then the new one."""

    old_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class TokensRevoked(BaseModel):
    revoked_tokens: int


class DeactivateRequest(BaseModel):
    reason: str | None = Field(default=None, max_length=500)


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    username: str
    display_name: str
    role: Role
    active: bool
