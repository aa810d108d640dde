"""Response shapes of the credit file and subject search."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from xinyong.lists.schemas import ListMembership
from xinyong.records.describe import PublicityState, View
from xinyong.scoring.schemas import FileGrade


class FieldValue(BaseModel):
    name: str
    label: str
    value: str


class ObjectionRoute(BaseModel):
    """How to object to a repair result (国办发〔2025〕22号: 对修复结果可提出异议)."""

    label: str
    method: str = "POST"
    href: str
    body: dict[str, str | int]


class RepairDecision(BaseModel):
    """The last decision on an application to repair this record."""

    outcome: str = Field(description="approved 准予修复；rejected 不予修复；expired 逾期未补正")
    outcome_label: str
    reason: str | None
    decided_on: date
    department: str = Field(description="作出决定的部门")
    application_id: int
    item_id: int
    reapply_from: date | None = Field(
        None, description="不予修复或逾期终止后，可重新申请修复的日期"
    )
    objection: ObjectionRoute | None = Field(None, description="对不予修复的决定提出异议")


class RepairStatus(BaseModel):
    """Whether a bad record can be repaired now; if not, why and from which date; and the
    last decision on an application for it."""

    possible: bool
    code: str
    reason: str
    possible_from: date | None = None
    application_id: int | None = Field(None, description="处理中的修复申请")
    last_decision: RepairDecision | None = None


class RecordRead(BaseModel):
    id: int
    record_type: str
    type_name: str
    decided_on: date
    polarity: str
    severity: str | None
    source: str
    title: str
    fields: list[FieldValue]
    disputed: bool
    dispute_label: str | None = None
    # Self and internal views only:
    publicity_state: PublicityState | None = None
    publicity_starts_on: date | None = None
    publicity_ends_on: date | None = None
    repair_possible_from: date | None = None
    repaired_on: date | None = None
    repair: RepairStatus | None = None
    regime: str | None = None
    version: int | None = None


class NameRead(BaseModel):
    name: str
    valid_from: date | None
    valid_to: date | None


class SubjectBasic(BaseModel):
    code: str
    kind: str
    kind_label: str
    subtype: str | None
    name: str
    legal_rep: str | None
    status: str
    district: str | None
    industry: str | None
    address: str | None
    established_on: date | None
    registered_capital_wan: str | None
    registration_authority: str | None
    former_names: list[NameRead]


class CreditFile(BaseModel):
    """信用档案: basic information, good, bad and other records, and the subject's grades
    (self and internal views, and an authorized reader granted the ``scores`` scope)."""

    view: View
    as_of: date
    subject: SubjectBasic
    good: list[RecordRead]
    bad: list[RecordRead]
    other: list[RecordRead]
    notes: list[str]
    scopes: list[str] | None = None
    grades: list[FileGrade] | None = None


class CreditFileWithLists(CreditFile):
    """信用档案 with the subject's current list memberships (the public sees public lists; an
    authorized reader sees them only with the ``lists`` scope, otherwise ``lists`` is null)."""

    lists: list[ListMembership] | None


class SubjectSummary(BaseModel):
    code: str
    name: str
    kind: str
    kind_label: str
    district: str | None
    status: str


class SubjectPage(BaseModel):
    items: list[SubjectSummary]
    total: int
    page: int
    size: int
