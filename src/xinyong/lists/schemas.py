"""Requests and responses of lists."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from xinyong.kit.storable import StorableStr

NonBlank = Annotated[StorableStr, StringConstraints(strip_whitespace=True, min_length=1)]


class ListMembership(BaseModel):
    """One entry of a subject on a list. ``suppressed_by`` names the list that wins over this
    one (red is not shown while the subject is on black)."""

    list_id: str
    list_name: str
    public: bool
    starts_on: date
    ends_on: date | None
    basis: str
    reference: str | None
    source_record_id: int | None = Field(description="来源信用记录；手工列入为空")
    rule_id: str | None = Field(description="派生规则；手工列入为空")
    manual_entry_id: int | None = None
    suppressed_by: str | None = None


class SubjectLists(BaseModel):
    code: str
    name: str
    as_of: date
    memberships: list[ListMembership]


class ListEntryRead(BaseModel):
    starts_on: date
    ends_on: date | None
    basis: str
    reference: str | None
    manual: bool


class ListedSubject(BaseModel):
    code: str
    name: str
    kind: str
    kind_label: str
    entries: list[ListEntryRead]


class ListPage(BaseModel):
    list_id: str
    list_name: str
    reference: str
    as_of: date
    items: list[ListedSubject]
    total: int
    page: int
    size: int


class ManualEntryCreate(BaseModel):
    subject_code: NonBlank = Field(max_length=40)
    starts_on: date
    ends_on: date | None = None
    basis: NonBlank = Field(max_length=2000, description="列入依据（必填）")
    reference: StorableStr | None = Field(default=None, max_length=500)


class ManualEntryRead(BaseModel):
    id: int
    list_id: str
    subject_code: str
    starts_on: date
    ends_on: date | None
    basis: str
    reference: str | None
    created_by: str
    created_at: datetime
    revoked_at: datetime | None


class ConflictRead(BaseModel):
    id: int
    subject_code: str
    subject_name: str
    first_seen_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    note: str | None


class ConflictResolve(BaseModel):
    note: NonBlank = Field(max_length=2000)
