"""Tables of authorizations (授权) and of the query log (查询登记).

``grantee_department_id`` points at the organisation (a bank is registered as an organisation
with bank accounts) rather than one account: any of the bank's accounts may read, and the query
log names the account that did.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, JSONType, UTCDateTime


class Grant(Base):
    """An enterprise lets an organisation read ``scopes`` of its file for ``purpose`` until
    ``expires_at`` (at most 365 days), unless revoked earlier."""

    __tablename__ = "access_grants"
    __table_args__ = (
        Index("ix_access_grants_subject_grantee", "subject_id", "grantee_department_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    grantee_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    scopes: Mapped[list[str]] = mapped_column(JSONType)
    purpose: Mapped[str] = mapped_column(String(200))
    granted_by: Mapped[str] = mapped_column(String(64))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by: Mapped[str | None] = mapped_column(String(64))


class QueryChannel(StrEnum):
    """How a non-public read happened."""

    INTERNAL_FILE = "internal_file"
    AUTHORIZED_FILE = "authorized_file"
    SCORES = "scores"
    CHECK = "check"
    CHECK_READBACK = "check_readback"
    REPAIR = "repair"
    OBJECTION = "objection"
    COMMITMENT = "commitment"

    @property
    def label(self) -> str:
        return CHANNEL_LABELS[self]


CHANNEL_LABELS = {
    QueryChannel.INTERNAL_FILE: "政府部门查阅信用档案",
    QueryChannel.AUTHORIZED_FILE: "授权查询信用档案",
    QueryChannel.SCORES: "查阅公共信用评价",
    QueryChannel.CHECK: "信用核查",
    QueryChannel.CHECK_READBACK: "调阅信用核查结果",
    QueryChannel.REPAIR: "查阅信用修复信息",
    QueryChannel.OBJECTION: "查阅信用异议",
    QueryChannel.COMMITMENT: "查阅信用承诺",
}


class QueryLogEntry(Base):
    """One non-public read of one subject: who, for which organisation, why, what, when."""

    __tablename__ = "query_log"
    __table_args__ = (Index("ix_query_log_subject_at", "subject_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str | None] = mapped_column(String(16))
    actor_name: Mapped[str] = mapped_column(String(128))
    organisation_code: Mapped[str | None] = mapped_column(String(32), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    purpose: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[list[str] | None] = mapped_column(JSONType)
    reference: Mapped[str | None] = mapped_column(String(64))
