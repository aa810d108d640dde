"""Response shapes of scores and their explanations."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class RecordRef(BaseModel):
    id: int
    record_type: str
    type_name: str
    title: str
    decided_on: date
    repair_possible_from: date | None = None


class ItemExplanation(BaseModel):
    id: str
    kind: str  # indicator | bonus
    name: str
    dimension: str | None
    max_points: Decimal
    value: str | None
    points: Decimal
    lost: Decimal
    reference: str
    records: list[RecordRef]
    # Authorized views: records behind the item outside the granted scopes or not in
    # publicity, counted without detail.
    undisclosed_records: int = 0


class VetoExplanation(BaseModel):
    id: str
    name: str
    indicator: str
    triggered: bool
    effect: str
    reference: str


class Adjustment(BaseModel):
    reason: str
    points: Decimal


class ModelScore(BaseModel):
    """A score with parts that add up exactly: sum(items.points) + sum(adjustments) = total."""

    model_id: str
    model_name: str
    model_version: int
    definition_hash: str
    as_of: date
    total: Decimal
    grade: str
    items: list[ItemExplanation]
    vetoes: list[VetoExplanation]
    adjustments: list[Adjustment]
    reference: str
    # Self view only: the items that cost the most points, and when adverse records may be repaired.
    lowers_most: list[str] = []
    repair_dates: list[RecordRef] = []


class Unavailable(BaseModel):
    model_id: str
    model_name: str
    code: str
    reason: str


class SubjectScores(BaseModel):
    code: str
    name: str
    view: str
    as_of: date
    scores: list[ModelScore]
    unavailable: list[Unavailable]


class FileGrade(BaseModel):
    """公共信用评价等级 in a credit file, with where it comes from."""

    model_config = ConfigDict(from_attributes=True)

    model_id: str
    model_name: str
    model_version: int = Field(description="现行模型版本")
    grade: str
    as_of: date = Field(description="评价日")
    online: bool = Field(
        description="true：无该版本的有效评价结果（尚未评价，或信息变化后待重新评价），按现行模型实时计算"
    )
