"""The one message the credit platforms (信用中国, 国家企业信用信息公示系统, the provincial and city
platforms) receive about a record that changed after they were sent it: repaired (终止公示),
corrected, or withdrawn (撤销公示).

Repair and objection decisions both build it, so every platform reads one shape whichever
domain decided. A natural person is never named to a platform: the subject's name and ID number
are masked by construction (张*, ``330106********1234``), and so are that name and ID numbers
inside corrected values; an organisation's name and USCC are public and sent as they are.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, Final, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from xinyong.kit.identifiers import (
    mask_names,
    mask_person_name,
    mask_resident_id,
    mask_text_ids,
    normalise,
)

# ``subjects.SubjectKind.PERSON``: sync sits below subjects and names the value itself.
PERSON: Final = "person"


class Change(StrEnum):
    """What happened to the record."""

    REPAIRED = "repaired"  # 信用修复: stop showing it (终止公示、停止共享)
    CORRECTED = "corrected"  # 异议更正: replace it by its new version
    WITHDRAWN = "withdrawn"  # 异议撤销: take it down


class SubjectRef(BaseModel):
    """Who the record is about, as a platform may show it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str = Field(description="主体类别（enterprise、person、social_org …）")
    code: str = Field(description="统一社会信用代码；自然人为脱敏的身份证号码")
    name: str = Field(description="名称；自然人姓名已脱敏")

    @model_validator(mode="before")
    @classmethod
    def _mask_person(cls, data: Any) -> Any:
        if not isinstance(data, dict) or data.get("kind") != PERSON:
            return data
        code = normalise(str(data.get("code", "")))
        return {
            **data,
            # Already masked (``subjects`` stores only the masked form) or a number: mask it.
            "code": code if "*" in code else mask_resident_id(code),
            "name": mask_person_name(str(data.get("name", ""))),
        }


class StoredRecord(Protocol):
    """What the message reads of a ``records.Record`` (sync sits below records)."""

    @property
    def id(self) -> int: ...
    @property
    def record_type(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def decided_on(self) -> date: ...
    @property
    def fields(self) -> dict[str, Any]: ...


class RecordRef(BaseModel):
    """Which record changed, in the identity the platforms received it under."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: int
    type: str = Field(description="信息类型（目录编码）")
    version: int = Field(description="变更后的版本号")
    decision_number: str | None = Field(description="决定文书号")
    decided_on: date = Field(description="决定日期")
    source_department: str = Field(description="数据来源部门编码")


def record_ref(record: StoredRecord, *, source_department: str) -> RecordRef:
    """The record as it now stands (its version after the change)."""
    number = (record.fields or {}).get("decision_number")
    return RecordRef(
        id=record.id,
        type=record.record_type,
        version=record.version,
        decision_number=str(number) if number else None,
        decided_on=record.decided_on,
        source_department=source_department,
    )


class Cause(BaseModel):
    """The decision that changed the record: a repair item or an objection."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["repair_item", "objection"]
    id: int


class RecordChangeMessage(BaseModel):
    """One record change for every credit platform that shows the record's type."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    change: Change
    record: RecordRef
    subject: SubjectRef
    effective_on: date = Field(description="修复、更正或撤销生效的日期")
    cause: Cause
    corrected: dict[str, Any] | None = Field(
        None, description="更正后的字段值（仅 corrected）；自然人姓名和身份证号码已脱敏"
    )

    @classmethod
    def build(
        cls,
        *,
        change: Change,
        record: RecordRef,
        subject_kind: str,
        subject_code: str,
        subject_name: str,
        effective_on: date,
        cause: Cause,
        corrected: dict[str, Any] | None = None,
    ) -> RecordChangeMessage:
        """The message with the subject masked by kind; a person's name and ID numbers are
        masked inside the corrected values too, where a free-text field may repeat them."""
        if corrected is not None and subject_kind == PERSON:
            corrected = {k: _masked(v, subject_name) for k, v in corrected.items()}
        return cls(
            change=change,
            record=record,
            subject=SubjectRef(kind=subject_kind, code=subject_code, name=subject_name),
            effective_on=effective_on,
            cause=cause,
            corrected=corrected,
        )

    def payload(self) -> dict[str, Any]:
        """The JSON the outbox stores and the platforms receive."""
        return self.model_dump(mode="json")


def _masked(value: Any, person_name: str) -> Any:
    if isinstance(value, str):
        return mask_names(mask_text_ids(value), [person_name])
    if isinstance(value, list):
        return [_masked(v, person_name) for v in value]
    return value
