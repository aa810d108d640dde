"""Requests and responses of authorizations and the query log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

NonBlank = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
GrantStatus = Literal["active", "expired", "revoked"]


class GrantCreate(BaseModel):
    """企业授权：把本企业信用档案的若干范围开放给一家金融机构，用于一个目的，最长 365 天。"""

    subject_code: Annotated[NonBlank, StringConstraints(max_length=40)] = Field(
        description="授权企业的统一社会信用代码（须为本账号所属企业）"
    )
    grantee_code: Annotated[NonBlank, StringConstraints(max_length=32)] = Field(
        description="被授权机构代码（银行在平台登记的机构代码）"
    )
    scopes: list[Annotated[str, StringConstraints(max_length=32)]] = Field(
        min_length=1, max_length=20, description="授权范围，见 GET /api/v1/grant-scopes"
    )
    purpose: Annotated[NonBlank, StringConstraints(max_length=200)] = Field(
        description="用途，如“流动资金贷款贷前调查”"
    )
    days: int = Field(ge=1, le=100_000, description="授权天数，1–365")


class GrantRead(BaseModel):
    id: int
    subject_code: str
    subject_name: str
    grantee_code: str
    grantee_name: str
    scopes: list[str]
    purpose: str
    granted_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    status: GrantStatus


class ScopeRead(BaseModel):
    id: str
    name: str
    record_types: list[str]
    includes: list[str]


class QueryLogItem(BaseModel):
    at: datetime
    subject_code: str | None = None
    actor: str
    actor_name: str
    actor_role: str | None
    organisation_code: str | None
    organisation_name: str | None
    channel: str
    channel_label: str
    purpose: str
    scopes: list[str] | None
    reference: str | None


class QueryLogPage(BaseModel):
    items: list[QueryLogItem]
    total: int
    page: int
    size: int
