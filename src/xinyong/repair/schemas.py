"""Requests and responses of credit repair."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from xinyong.credit_file.schemas import RepairStatus
from xinyong.workflow import EventRead

NonBlank = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
MAX_RECORDS = 200
# Hard ceilings of a request; the deployment's own, lower limits are settings (ProofLimits).
MAX_PROOF_FILES = 100
MAX_PROOF_BASE64 = 14_000_000  # 10 MiB of file, base64-encoded


class CommitmentSignature(BaseModel):
    """The one online 信用承诺书 for the whole application."""

    accepted: bool = Field(description="已阅读并同意信用承诺书全部内容")
    signer_name: Annotated[NonBlank, StringConstraints(max_length=64)] = Field(
        description="签署人（法定代表人或经办人）"
    )


class ProofFile(BaseModel):
    """One file of the merged proof upload."""

    filename: Annotated[NonBlank, StringConstraints(max_length=200)]
    content_type: Annotated[str, StringConstraints(max_length=100)] = "application/pdf"
    content_base64: Annotated[str, StringConstraints(max_length=MAX_PROOF_BASE64)]
    record_ids: list[int] = Field(default_factory=list, max_length=MAX_RECORDS)


class ApplicationCreate(BaseModel):
    """一次申请，全平台修复：本企业任意多条失信信息，跨部门合并为一份申请。"""

    subject_code: Annotated[NonBlank, StringConstraints(max_length=40)] | None = Field(
        None, description="统一社会信用代码；省略时为本企业"
    )
    record_ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(max_length=1000)
    commitment: CommitmentSignature | None = None
    proofs: list[ProofFile] = Field(default_factory=list, max_length=MAX_PROOF_FILES)
    channel: Literal["online", "window"] = Field(
        default="online", description="online 网上申请；window 服务大厅（修复服务站）代办"
    )


class Material(BaseModel):
    kind: str
    name: str
    provided_by: str
    files: int = 0


class ItemRead(BaseModel):
    id: int
    record_id: int
    record_type: str
    title: str
    department: str
    rule_id: str
    status: str
    status_label: str
    reason: str | None
    decided_at: datetime | None


class TaskRead(BaseModel):
    id: int
    application_id: int
    department_code: str
    department_name: str
    status: str
    status_label: str
    received_on: date
    due_on: date
    due_provisional: bool
    overdue: bool
    supplement_reason: str | None
    supplement_due_on: date | None
    subject_code: str
    subject_name: str
    items: list[ItemRead]


class ApplicationRead(BaseModel):
    id: int
    subject_code: str
    subject_name: str
    status: str
    status_label: str
    channel: str
    fee: int = Field(0, description="信用修复一律免费（单位：分）")
    submitted_at: datetime
    feedback_due_on: date
    feedback_due_provisional: bool
    completed_on: date | None
    materials: list[Material]
    tasks: list[TaskRead]
    events: list[EventRead]


class Decision(BaseModel):
    record_id: int = Field(ge=1, le=2**31 - 1)
    outcome: Literal["approve", "reject"]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None


class TaskDecision(BaseModel):
    """对任务中的每条信息作出决定：准予修复，或不予修复并说明理由。"""

    decisions: list[Decision] = Field(min_length=1, max_length=MAX_RECORDS)


class SupplementRequest(BaseModel):
    reason: Annotated[NonBlank, StringConstraints(max_length=1000)]


class SupplementIn(BaseModel):
    proofs: list[ProofFile] = Field(min_length=1, max_length=MAX_PROOF_FILES)
    note: Annotated[str, StringConstraints(max_length=1000)] | None = None


class EligibilityItem(BaseModel):
    record_id: int
    record_type: str
    type_name: str
    title: str
    decided_on: date
    severity: str | None
    department: str
    status: RepairStatus
    rule_id: str | None
    proofs: list[Material]


class Eligibility(BaseModel):
    subject_code: str
    as_of: date
    items: list[EligibilityItem]


class GuideProof(BaseModel):
    name: str
    provided_by: str
    provided_by_label: str


class GuideRule(BaseModel):
    id: str
    name: str
    record_types: list[str]
    record_type_names: list[str]
    severities: list[str]
    sectors: list[str]
    repairable: bool
    not_repairable_reason: str | None
    conditions: list[str]
    proofs: list[GuideProof]
    decider: str
    intake: str
    reference: str
    publicity: list[str]


class Guide(BaseModel):
    title: str
    version: int
    effective_from: date
    reference: str
    free_of_charge: bool
    materials: list[str]
    time_limits: list[str]
    rules: list[GuideRule]


class MetricsRow(BaseModel):
    key: str
    label: str
    applications: int
    completed: int
    records: int
    approved_records: int
    median_workdays: float | None
    mean_workdays: float | None
    online_share: float | None


class Metrics(BaseModel):
    from_date: date | None
    to_date: date | None
    total: MetricsRow
    by_department: list[MetricsRow]
    by_record_type: list[MetricsRow]
