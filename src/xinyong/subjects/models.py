"""Tables of subjects and their name history."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, Enum, ForeignKey, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, UTCDateTime


class SubjectKind(StrEnum):
    """The five kinds of 信用主体 (531X: 企业、自然人、社会组织、事业单位、政府机构)."""

    ENTERPRISE = "enterprise"
    PERSON = "person"
    SOCIAL_ORG = "social_org"
    INSTITUTION = "institution"
    GOVERNMENT = "government"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS = {
    SubjectKind.ENTERPRISE: "企业",
    SubjectKind.PERSON: "自然人",
    SubjectKind.SOCIAL_ORG: "社会组织",
    SubjectKind.INSTITUTION: "事业单位",
    SubjectKind.GOVERNMENT: "政府机构",
}

KIND_TYPE = Enum(
    SubjectKind,
    name="subject_kind",
    native_enum=False,
    length=16,
    values_callable=lambda enum: [m.value for m in enum],
)


class Subject(Base):
    """A 信用主体. Organisations are unique by USCC; persons by the HMAC of their ID number,
    which is never stored in clear (only ``id_masked``)."""

    __tablename__ = "subjects"
    __table_args__ = (
        CheckConstraint("uscc IS NOT NULL OR id_hash IS NOT NULL", name="identified"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[SubjectKind] = mapped_column(KIND_TYPE)
    subtype: Mapped[str | None] = mapped_column(String(32))  # 个体工商户, 农民专业合作社 …
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    id_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    id_masked: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200), index=True)
    legal_rep: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="存续")
    district: Mapped[str | None] = mapped_column(String(64))
    industry: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(300))
    established_on: Mapped[date | None] = mapped_column(Date)
    registered_capital_wan: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    registration_authority: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def code(self) -> str:
        """The public handle: the USCC, or the masked ID number of a person."""
        return self.uscc or self.id_masked or ""


class SubjectName(Base):
    """Every name a subject has had, with when xinyong first and last saw it in force."""

    __tablename__ = "subject_names"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SubjectConsent(Base):
    """A subject's authorisation (授权) for a use of its data, e.g. computing a personal credit
    score (DOMAIN.md decision 6): in force from ``granted_at`` until revoked."""

    __tablename__ = "subject_consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))  # personal_score
    channel: Mapped[str] = mapped_column(String(32))  # app | window | api
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
