"""Record and verify the tamper-evident audit chain.

Each row's ``hash`` is ``sha256(prev_hash + canonical_json(content))`` where content is the id,
time, actor, action, object and detail. Changing, deleting or inserting a row breaks the chain
at that point, and ``verify`` says where. (Truncating the newest rows needs an outside anchor of
the last hash, e.g. a daily export; that is out of scope here.)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Final, Literal

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from xinyong.audit.models import AuditEntry
from xinyong.kit.identifiers import mask_text_ids

GENESIS_HASH: Final = "0" * 64
# pg_advisory_xact_lock key for the chain ("xy" audit); any constant unique in the database.
CHAIN_LOCK_KEY: Final = 0x78790A0D
VERIFY_BATCH: Final = 1000

FindingKind = Literal["hash_mismatch", "broken_link", "gap"]


@dataclass(frozen=True)
class AuditFinding:
    """One break in the chain: the row it was found at and a Chinese description."""

    entry_id: int
    kind: FindingKind
    message: str


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in audit detail; pass an aware datetime")
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"audit detail value of type {type(value).__name__} is not serialisable")


def canonical_json(value: Any) -> str:
    """Sorted keys, UTF-8 text, no spaces, datetimes as ISO 8601 in UTC."""
    return json.dumps(
        value,
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=_json_default,
        allow_nan=False,
    )


def scrub(value: Any) -> Any:
    """Mask anything looking like a resident ID number, in strings and keys, at any depth."""
    if isinstance(value, str):
        return mask_text_ids(value)
    if isinstance(value, Mapping):
        return {scrub(str(k)): scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [scrub(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and len(str(abs(value))) >= 15:
        # A number typed as an integer is still an ID number if it has the shape of one.
        masked = mask_text_ids(str(value))
        return value if masked == str(value) else masked
    return value


def _content(
    *,
    entry_id: int,
    at: datetime,
    actor: str,
    actor_role: str | None,
    action: str,
    object_type: str | None,
    object_id: str | None,
    detail: Any,
) -> dict[str, Any]:
    return {
        "id": entry_id,
        "at": at.astimezone(UTC).isoformat(),
        "actor": actor,
        "actor_role": actor_role,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "detail": detail,
    }


def compute_hash(prev_hash: str, content: Mapping[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(content)).encode("utf-8")).hexdigest()


def _lock_chain(session: Session) -> None:
    """Serialise appends so two transactions never read the same tail.

    PostgreSQL: a transaction-scoped advisory lock. SQLite has one writer at a time, but a
    deferred transaction that reads the tail first and writes later fails with "database is
    locked" instead of waiting; a no-op write takes the write lock (waiting up to busy_timeout)
    before the tail is read. The primary key on id refuses a forked chain either way.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    elif dialect == "sqlite":
        session.execute(text("UPDATE audit_log SET id = id WHERE 0"))


def record(
    session: Session,
    *,
    actor: str,
    actor_role: str | None,
    action: str,
    object_type: str | None,
    object_id: str | int | None,
    detail: Mapping[str, Any] | None,
    now: datetime,
) -> AuditEntry:
    """Append an entry in the caller's transaction, chained to the newest entry.

    ``detail`` is scrubbed of ID numbers (masked as 330106********1234) before it is hashed and
    stored; it must not carry other personal data in clear either.
    """
    if now.tzinfo is None:
        raise ValueError("audit time must be timezone-aware")
    _lock_chain(session)
    session.flush()
    tail = session.execute(
        select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    entry_id, prev_hash = (tail.id + 1, tail.hash) if tail else (1, GENESIS_HASH)
    clean_detail = json.loads(canonical_json(scrub(dict(detail or {}))))
    clean_object_id = None if object_id is None else mask_text_ids(str(object_id))
    content = _content(
        entry_id=entry_id,
        at=now,
        actor=actor,
        actor_role=actor_role,
        action=action,
        object_type=object_type,
        object_id=clean_object_id,
        detail=clean_detail,
    )
    entry = AuditEntry(
        id=entry_id,
        at=now,
        actor=actor,
        actor_role=actor_role,
        action=action,
        object_type=object_type,
        object_id=clean_object_id,
        detail=clean_detail,
        prev_hash=prev_hash,
        hash=compute_hash(prev_hash, content),
    )
    session.add(entry)
    session.flush()
    return entry


def count_entries(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def verify(
    session: Session, *, progress: Callable[[int], None] | None = None
) -> list[AuditFinding]:
    """Walk the chain in id order and report every break.

    A row whose stored hash differs from the hash of its content was edited; a row whose
    ``prev_hash`` differs from the previous row's hash follows a deleted, inserted or re-hashed
    row; a jump in ids means rows were deleted. ``progress`` is called with the number of rows
    checked per batch.
    """
    table = AuditEntry.__table__
    stmt = select(table).order_by(table.c.id).execution_options(yield_per=VERIFY_BATCH)
    findings: list[AuditFinding] = []
    prev_id = 0
    prev_hash = GENESIS_HASH
    checked = 0
    for row in session.execute(stmt):
        if row.id != prev_id + 1:
            missing = row.id - prev_id - 1
            span = f"{prev_id + 1}" if missing == 1 else f"{prev_id + 1}–{row.id - 1}"
            findings.append(
                AuditFinding(
                    row.id,
                    "gap",
                    f"第 {row.id} 条之前缺少 {missing} 条记录（编号 {span}），疑似被删除",
                )
            )
        if row.prev_hash != prev_hash:
            findings.append(
                AuditFinding(
                    row.id,
                    "broken_link",
                    f"第 {row.id} 条记录的前序哈希与上一条记录不符，链条在此断开",
                )
            )
        content = _content(
            entry_id=row.id,
            at=row.at,
            actor=row.actor,
            actor_role=row.actor_role,
            action=row.action,
            object_type=row.object_type,
            object_id=row.object_id,
            detail=row.detail,
        )
        if compute_hash(row.prev_hash, content) != row.hash:
            findings.append(
                AuditFinding(
                    row.id, "hash_mismatch", f"第 {row.id} 条记录的内容与其哈希不符，疑似被篡改"
                )
            )
        prev_id, prev_hash = row.id, row.hash
        checked += 1
        if progress is not None and checked % VERIFY_BATCH == 0:
            progress(VERIFY_BATCH)
    if progress is not None and checked % VERIFY_BATCH:
        progress(checked % VERIFY_BATCH)
    return findings
