"""Requests and responses of credit objections."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from xinyong.objections.workflow import Grounds
from xinyong.workflow import EventRead

NonBlank = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
# Hard ceilings of a request; the deployment's own, lower limits are settings (intake.py).
MAX_EVIDENCE_FILES = 50
DbId = Annotated[int, Field(ge=1, le=2**31 - 1)]
CorrectedValue = Annotated[str, StringConstraints(max_length=2000)] | list[str] | int | float


class EvidenceFile(BaseModel):
    """One evidence file, base64-encoded."""

    filename: Annotated[NonBlank, StringConstraints(max_length=200)]
    content_type: Annotated[str, StringConstraints(max_length=100)] = "application/pdf"
    content_base64: Annotated[str, StringConstraints(max_length=14_000_000)]


class ObjectionCreate(BaseModel):
    """提出信用异议：信息内容、公示期限，或（对不予修复的事项）修复结果。"""

    record_id: DbId | None = Field(default=None, description="有异议的信用信息编号")
    repair_item_id: DbId | None = Field(
        default=None, description="对修复结果有异议时：不予修复的修复事项编号"
    )
    grounds: Grounds = Field(
        default=Grounds.CONTENT,
        description="content 信息内容；publicity_period 公示期限；repair_result 修复结果",
    )
    reason: Annotated[NonBlank, StringConstraints(max_length=2000)] = Field(description="异议理由")
    evidence: list[EvidenceFile] = Field(default_factory=list, max_length=MAX_EVIDENCE_FILES)
    contact: Annotated[str, StringConstraints(strip_whitespace=True, max_length=128)] | None = (
        Field(default=None, description="联系方式（电话或邮箱）")
    )


class ObjectionAcceptance(BaseModel):
    """第三方异议的受理：accepted 认定有据、予以受理（当即标注“异议处理中”）；dismissed 不予受理（须说明理由，信息不作标注）。"""

    outcome: Literal["accepted", "dismissed"]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class ObjectionDecision(BaseModel):
    """处理结果：corrected 更正（附更正后的字段值）、withdrawn 删除（撤销公示）、upheld 不予更正（须说明理由）。"""

    outcome: Literal["corrected", "withdrawn", "upheld"]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None
    corrected: dict[Annotated[str, StringConstraints(max_length=64)], CorrectedValue] | None = (
        Field(default=None, max_length=50, description="更正后的字段值（字段名 → 值）")
    )


class EvidenceRead(BaseModel):
    filename: str
    content_type: str
    size: int
    sha256: str


class ObjectionRead(BaseModel):
    id: int
    record_id: int
    record_type: str
    record_title: str
    record_version: int = Field(description="记录的当前版本")
    subject_name: str
    department_code: str
    department_name: str
    repair_item_id: int | None
    by_subject: bool
    grounds: str
    grounds_label: str
    reason: str
    contact: str | None
    status: str
    status_label: str
    allowed_actions: list[str]
    received_on: date
    accept_due_on: date | None = Field(description="第三方异议：数据来源部门决定是否受理的期限")
    accepted_at: datetime | None
    flagged_at: datetime | None = Field(
        description="标注“异议处理中”的时间；未受理的第三方异议为空"
    )
    flag_due_on: date | None
    decision_due_on: date | None = Field(description="作出处理决定的期限（第三方异议自受理起算）")
    due_on: date | None = Field(
        description="当前环节的期限：待受理时为受理期限，处理中时为处理期限"
    )
    due_provisional: bool = Field(description="期限含尚未公布的节假日安排，为暂定")
    overdue: bool
    outcome: str | None
    decision_reason: str | None
    corrected_values: dict[str, object] | None
    decided_at: datetime | None
    evidence: list[EvidenceRead]
    events: list[EventRead]
