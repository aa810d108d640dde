"""A case's subject and records, put into the database through the real ingest path.

Rule sets that read records (scorecards, list rules) are tested by cases written as a
department would send the data: a subject and rows keyed by column titles, CF_/XK_ codes or
field names. :func:`push_case` ingests each row from a department of its sector (created when
missing), fills the subject's identifying columns (名称、类别、统一社会信用代码 and 法定代表人,
or 证件类型 and 证件号码) unless the row gives them, records the subject's consent when the case
says so, and finds the subject. Rejected rows and unknown columns are problems: a case must
push cleanly.

Run cases on a scratch database or inside a savepoint that is rolled back: a case's subject is
found by its code, so real records for that code would count too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy.orm import Session

from xinyong.accounts.service import create_department, get_department
from xinyong.catalog.loader import Catalog
from xinyong.catalog.validation import alias_index, header_key
from xinyong.errors import XinyongError
from xinyong.ingest.service import Actor, ingest_rows
from xinyong.kit.identifiers import (
    IdentifierError,
    hash_resident_id,
    mask_resident_id,
    validate_resident_id,
    validate_uscc,
)
from xinyong.subjects.models import KIND_LABELS, Subject, SubjectKind
from xinyong.subjects.service import (
    PERSONAL_SCORE,
    SubjectRef,
    grant_consent,
    resolve_many,
    subject_lookup,
)

# Case data is synthetic: persons are hashed with this secret unless the caller gives another.
CASE_SECRET: Final = b"xinyong-model-cases"
CASE_ACTOR: Final = Actor("cases", "system")
DEPARTMENT_PREFIX: Final = "CASE-"
ORGANISATION_CATEGORY: Final = "法人及非法人组织"
PERSON_CATEGORY: Final = "自然人"
DEFAULT_LEGAL_REP: Final = "张三"
CONSENT_CHANNEL: Final = "案例"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CaseSubject(_Strict):
    """Who the case is about. ``consent: true`` records the subject's authorisation (授权) to
    personal scoring first; a model with ``consent_required`` computes nothing without it."""

    kind: Literal["enterprise", "person", "social_org", "institution", "government"]
    name: str = Field(min_length=1)
    uscc: str | None = None
    id_number: str | None = None
    legal_rep: str | None = None
    consent: bool = False

    @field_validator("uscc", "id_number", mode="before")
    @classmethod
    def _codes_are_text(cls, value: Any) -> Any:
        """An all-digit code written unquoted in YAML is read as a number: take its text."""
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _identified(self) -> CaseSubject:
        if self.kind == "person":
            if not self.id_number or self.uscc:
                raise ValueError("自然人须给出 id_number（证件号码），且不给 uscc")
        elif not self.uscc or self.id_number:
            raise ValueError("组织须给出 uscc（统一社会信用代码），且不给 id_number")
        return self

    @property
    def code(self) -> str:
        return self.uscc or self.id_number or ""


class CaseRecord(_Strict):
    type: str = Field(min_length=1)
    source_sector: str = Field(min_length=1)
    row: dict[str, Any] = Field(min_length=1)


@dataclass(frozen=True)
class Pushed:
    subject_id: int | None
    problems: tuple[str, ...]


def case_now(as_of: date) -> datetime:
    """When a case's data arrives: the morning of its evaluation date."""
    return datetime(as_of.year, as_of.month, as_of.day, 4, 0, tzinfo=UTC)


def _ensure_department(session: Session, sector: str, now: datetime) -> str:
    code = f"{DEPARTMENT_PREFIX}{sector}"
    if get_department(session, code) is None:
        create_department(
            session, code=code, name=f"案例数据来源（{sector}）", sector=sector, now=now
        )
    return code


def _identity(subject: CaseSubject) -> dict[str, str]:
    if subject.kind == "person":
        return {
            "subject_name": subject.name,
            "subject_category": PERSON_CATEGORY,
            "id_type": "身份证",
            "id_number": subject.id_number or "",
        }
    return {
        "subject_name": subject.name,
        "subject_category": ORGANISATION_CATEGORY,
        "uscc": subject.uscc or "",
        "legal_rep": subject.legal_rep or DEFAULT_LEGAL_REP,
    }


def _register_subject(
    session: Session, subject: CaseSubject, *, secret: bytes, now: datetime
) -> Subject:
    """A subject with no records yet (a case without records), created as ingest would."""
    if subject.kind == "person":
        number = validate_resident_id(subject.id_number or "")
        ref = SubjectRef(
            name=subject.name,
            category=PERSON_CATEGORY,
            id_hash=hash_resident_id(number, secret),
            id_masked=mask_resident_id(number),
        )
    else:
        ref = SubjectRef(
            name=subject.name,
            category=ORGANISATION_CATEGORY,
            uscc=validate_uscc(subject.uscc or ""),
            legal_rep=subject.legal_rep or DEFAULT_LEGAL_REP,
        )
    subject_id = resolve_many(session, [ref], now=now)[ref.key]
    return session.get_one(Subject, subject_id)


def _push_record(
    session: Session,
    catalog: Catalog,
    number: int,
    record: CaseRecord,
    identity: dict[str, str],
    *,
    secret: bytes,
    now: datetime,
) -> list[str]:
    """Ingest one row; what went wrong with it, in Chinese."""
    rt = catalog.get(record.type)
    if rt is None:
        return [f"第 {number} 条记录：未知的信息类型 {record.type}"]
    index = alias_index(rt)
    given = {index.get(header_key(k)) for k in record.row}
    row = {k: v for k, v in identity.items() if k not in given and k in index.values()}
    row.update(record.row)
    try:
        report = ingest_rows(
            session,
            catalog,
            record_type=record.type,
            source=_ensure_department(session, record.source_sector, now),
            rows=[row],
            actor=CASE_ACTOR,
            secret=secret,
            strict_org_code=False,
            now=now,
        )
    except XinyongError as exc:
        return [f"第 {number} 条记录（{rt.name}）无法导入：{exc.title}"]
    problems = [
        f"第 {number} 条记录（{rt.name}）被拒收：{reject['field']}：{reject['message']}"
        for reject in report["rejects"]
    ]
    if report["unknown_columns"]:
        unknown = "、".join(report["unknown_columns"])
        problems.append(f"第 {number} 条记录（{rt.name}）有未知列：{unknown}")
    return problems


def push_case(
    session: Session,
    catalog: Catalog,
    subject: CaseSubject,
    records: Sequence[CaseRecord],
    *,
    as_of: date,
    secret: bytes = CASE_SECRET,
    now: datetime | None = None,
) -> Pushed:
    """Ingest the case's records and find (or register) its subject."""
    now = now or case_now(as_of)
    identity = _identity(subject)
    problems: list[str] = []
    for number, record in enumerate(records, start=1):
        problems += _push_record(session, catalog, number, record, identity, secret=secret, now=now)
    found = session.scalars(subject_lookup(subject.code, secret=secret)).first()
    if found is None:
        try:
            found = _register_subject(session, subject, secret=secret, now=now)
        except IdentifierError as exc:
            problems.append(f"案例主体的代码有误：{exc.message}")
            return Pushed(None, tuple(problems))
    if found.kind != SubjectKind(subject.kind):
        problems.append(
            f"案例主体被识别为{found.kind.label}，"
            f"而案例写的是{KIND_LABELS[SubjectKind(subject.kind)]}"
        )
    if subject.consent:
        grant_consent(session, found, purpose=PERSONAL_SCORE, channel=CONSENT_CHANNEL, now=now)
    return Pushed(found.id, tuple(problems))
