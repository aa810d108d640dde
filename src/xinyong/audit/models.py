"""The audit log table and the signed heads of its chain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, JSONType, UTCDateTime


class AuditEntry(Base):
    """One audited event, chained to its predecessor by ``prev_hash``.

    ``id`` is assigned by ``audit.service.record`` as the previous id + 1 under the chain lock
    rather than by a sequence: PostgreSQL sequences skip values on rollback, and a contiguous id
    series is what lets ``verify`` report deleted rows as gaps. ``hash`` is keyed
    (``audit.chain``).
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """A signed head: at ``at`` the newest entry was ``entry_id`` with ``entry_hash``.
    ``signature`` is the HMAC-SHA256 of those fields (and the head's id) with the head key
    (``audit.heads``). Ids are contiguous (previous + 1), so a
    deleted head shows as a gap; each head is also appended to a file outside the database.
    """

    __tablename__ = "audit_heads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    entry_id: Mapped[int] = mapped_column(Integer)
    entry_hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(64))
