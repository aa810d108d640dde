"""Requests and responses of credit commitments."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from xinyong.workflow import EventRead

NonBlank = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
BreachKind = Literal["未履行承诺", "虚假承诺"]


class TemplateRead(BaseModel):
    id: str
    type: str
    name: str
    version: int
    effective_from: date
    text: str
    items: list[str]
    public: bool
    verify_within_days: int
    matters: list[str]
    restricted: bool = Field(
        description="较严重失信或违诺未修复的主体不得签署（国办发〔2020〕42号）"
    )
    reference: str


class TemplateList(BaseModel):
    version: int
    effective_from: date
    reference: str
    templates: list[TemplateRead]


class CommitmentCreate(BaseModel):
    """在线签署一份信用承诺书：选择模板、承诺受理部门和办理事项。"""

    subject_code: Annotated[NonBlank, StringConstraints(max_length=40)]
    template_id: Annotated[NonBlank, StringConstraints(max_length=64)]
    receiving_department: Annotated[NonBlank, StringConstraints(max_length=32)] = Field(
        description="承诺受理部门代码"
    )
    matter: Annotated[NonBlank, StringConstraints(max_length=200)] = Field(
        description="办理事项，如“食品经营许可”"
    )
    signer_name: Annotated[NonBlank, StringConstraints(max_length=64)] = Field(
        description="签署人（法定代表人或经办人）"
    )
    accepted: bool = Field(description="已阅读并同意承诺书全部内容")


class VerificationIn(BaseModel):
    """承诺受理部门核查履诺情况：履诺，或违诺（须选违诺情形并说明理由）。"""

    outcome: Literal["fulfilled", "breached"]
    note: Annotated[NonBlank, StringConstraints(max_length=1000)]
    breach_kind: BreachKind | None = None


class CommitmentRead(BaseModel):
    id: int
    subject_code: str
    subject_name: str
    commitment_type: str
    template_id: str
    template_version: int
    matter: str
    items: list[str]
    text: str
    text_sha256: str
    public: bool
    reference: str
    channel: str
    signer_name: str
    signed_at: datetime
    due_on: date
    receiving_department_code: str
    receiving_department_name: str
    status: str
    status_label: str
    overdue: bool
    allowed_actions: list[str]
    record_id: int | None
    breach_record_id: int | None
    breach_kind: str | None
    verified_at: datetime | None
    verification_note: str | None
    events: list[EventRead]
