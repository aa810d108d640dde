"""Requests and responses of credit checks, feedback and statistics."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from xinyong.checks.measures import Action

NonBlank = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Code = Annotated[NonBlank, StringConstraints(max_length=40)]
Matter = Annotated[NonBlank, StringConstraints(max_length=200)]
AreaText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=16)]
MAX_BATCH = 1000


class CheckRequest(BaseModel):
    """一次信用核查：办理事项中的申请人或交易主体。"""

    subject_code: Code = Field(description="统一社会信用代码或居民身份证号码")
    matter: Matter = Field(description="办理事项名称，如“企业投资项目核准”")
    area: AreaText = Field(
        description="应用领域：审批服务、行政监管、公共服务、公共资源交易、其他政务"
    )


class BatchSubject(BaseModel):
    """批量核查中的一个主体。"""

    # Checked by the service, one by one: a mistyped code is answered with its own error and
    # the rest of the list is still checked. The bound only protects the parser.
    code: Annotated[str, StringConstraints(max_length=200)] = Field(
        description="统一社会信用代码或居民身份证号码"
    )


class BatchCheckRequest(BaseModel):
    """批量核查（如投标人名单），一次最多 1000 个主体。"""

    matter: Matter
    area: AreaText
    # The 1 000 limit is checked by the service with its own code; this bound only protects
    # the parser from absurd bodies.
    subjects: list[BatchSubject] = Field(
        max_length=100_000, description="主体列表（最多 1000 个），每项 {code}"
    )


class SubjectRef(BaseModel):
    found: bool
    code: str
    name: str | None = None
    kind: str | None = None
    kind_label: str | None = None


class MeasureApplied(BaseModel):
    id: str
    name: str
    kind: Literal["reward", "punish"]
    action: Action
    text: str
    reference: str
    reason: str
    key_supervision: bool = Field(description="部门反馈已采取时列入重点监管名单")


class GradeRead(BaseModel):
    """核查所用的评价等级及其来源：模型版本、评价日，以及是否为本次核查时实时计算。"""

    model_config = ConfigDict(from_attributes=True)

    model_id: str
    model_name: str
    model_version: int = Field(description="现行模型版本")
    grade: str
    total: Decimal
    as_of: date = Field(description="评价日")
    # Checks stored before this field existed read their grades from stored results.
    online: bool = Field(
        default=False,
        description="true：无该版本的有效评价结果（尚未评价，或信息变化后待重新评价），本次核查时按现行模型实时计算",
    )


class ListRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    list_id: str
    list_name: str
    basis: str
    reference: str | None
    starts_on: date
    ends_on: date | None


class CheckResult(BaseModel):
    check_id: int
    checked_at: datetime
    subject: SubjectRef
    matter: str
    area: str
    decision: Action
    measures: list[MeasureApplied]
    grades: list[GradeRead]
    lists: list[ListRef]
    reasons: list[str]


class ItemError(BaseModel):
    """为什么这一项未核查：稳定代码、中文说明和所指字段（如 subjects[3].code）。"""

    field: str
    code: str
    message: str


class BatchItem(BaseModel):
    """批量核查中一项的答复：核查结论，或该项未能核查的原因。"""

    index: int = Field(description="在请求 subjects 中的位置（从 0 起）")
    ok: bool
    check: CheckResult | None = None
    error: ItemError | None = None


class BatchCheckResult(BaseModel):
    batch_ref: str
    matter: str
    area: str
    total: int
    succeeded: int = Field(description="已核查（已登记、已审计）的主体数")
    failed: int = Field(description="代码有误、未核查的主体数")
    decisions: dict[str, int]
    results: list[BatchItem] = Field(description="按请求顺序，每个主体一项")


class FeedbackIn(BaseModel):
    """办理结果反馈：是否采纳核查结论、实际采取的处理方式、说明。"""

    applied: bool
    action_taken: Action | None = Field(default=None, description="实际采取的处理方式")
    note: Annotated[str, StringConstraints(max_length=500)] | None = None


class FeedbackRead(BaseModel):
    check_id: int
    applied: bool
    action_taken: Action | None
    note: str | None
    feedback_at: datetime
    key_supervision_entry_id: int | None


StatsBy = Literal["area", "department", "decision", "measure"]


class StatsRow(BaseModel):
    key: str
    label: str
    checks: int
    decisions: dict[str, int]
    feedback: int
    applied: int
    key_supervision_subjects: int


class CheckStats(BaseModel):
    from_date: date | None
    to_date: date | None
    by: StatsBy
    total: StatsRow
    rows: list[StatsRow]
