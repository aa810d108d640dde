"""Security: a keyed audit chain with signed heads; login throttles; owners of API keys.

Until now each audit entry's hash was a plain SHA-256 that anyone could recompute after
deleting or editing rows. From this revision it is an HMAC-SHA256 with a key derived from the
deployment secret (``xinyong.audit.chain``), which is not in the database.

Decision for existing chains: the upgrade first checks the unkeyed chain as it stands, then
re-hashes every entry with the key (ids, contents and gaps unchanged) and appends one
``audit.chain_keyed`` entry recording how many entries were re-keyed, the last unkeyed hash
(compare it with any earlier export) and every break it found in the unkeyed chain. From then on
the whole chain is keyed: there is no "legacy" kind of entry left that could be re-hashed
without the key. What was changed undetectably before the upgrade cannot be found afterwards
either; what was detectable is kept, as that entry. Run ``xinyong db upgrade`` with the
deployment's own ``XINYONG_SECRET_KEY`` (the command refuses the shipped one).

``audit_heads`` holds the signed heads of the chain (``xinyong.audit.heads``).
``login_throttles`` counts failed logins per username and per client address
(``xinyong.accounts.login``). ``api_keys.owner_user_id`` names the person answerable for a key,
whose deactivation stops it.

Downgrade re-hashes the chain without the key again (as the older code checks it).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from xinyong.audit.chain import (
    GENESIS_HASH,
    compute_hash,
    content,
    deployment_keys,
    keyed_hash,
)
from xinyong.db import JSONType, UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BATCH = 1000
MAX_RECORDED_FINDINGS = 100

audit_log = sa.table(
    "audit_log",
    sa.column("id", sa.Integer()),
    sa.column("at", UTCDateTime()),
    sa.column("actor", sa.String()),
    sa.column("actor_role", sa.String()),
    sa.column("action", sa.String()),
    sa.column("object_type", sa.String()),
    sa.column("object_id", sa.String()),
    sa.column("detail", JSONType),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)


def _content(row: Any) -> dict[str, Any]:
    return content(
        entry_id=row.id,
        at=row.at,
        actor=row.actor,
        actor_role=row.actor_role,
        action=row.action,
        object_type=row.object_type,
        object_id=row.object_id,
        detail=row.detail,
    )


def _breaks(row: Any, prev_id: int, prev_hash: str) -> list[str]:
    """What the unkeyed check finds at ``row`` (the older ``audit verify``, in short)."""
    found = []
    if row.id != prev_id + 1:
        found.append(f"第 {row.id} 条之前缺少 {row.id - prev_id - 1} 条记录")
    if row.prev_hash != prev_hash:
        found.append(f"第 {row.id} 条记录的前序哈希与上一条记录不符")
    if compute_hash(row.prev_hash, _content(row)) != row.hash:
        found.append(f"第 {row.id} 条记录的内容与其哈希不符")
    return found


def _rehash(
    conn: sa.Connection, new_hash: Callable[[str, dict[str, Any]], str]
) -> tuple[int, int, str, str, list[str]]:
    """Re-hash every entry in id order with ``new_hash``; returns (entries, last id, last old
    hash, last new hash, breaks of the old chain)."""
    count, prev_id, old_prev, new_prev = 0, 0, GENESIS_HASH, GENESIS_HASH
    breaks: list[str] = []
    while True:
        rows = conn.execute(
            sa.select(audit_log)
            .where(audit_log.c.id > prev_id)
            .order_by(audit_log.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return count, prev_id, old_prev, new_prev, breaks
        updates = []
        for row in rows:
            breaks.extend(_breaks(row, prev_id, old_prev))
            hashed = new_hash(new_prev, _content(row))
            updates.append({"row_id": row.id, "prev_hash": new_prev, "hash": hashed})
            count, prev_id, old_prev, new_prev = count + 1, row.id, row.hash, hashed
        conn.execute(
            audit_log.update()
            .where(audit_log.c.id == sa.bindparam("row_id"))
            .values(prev_hash=sa.bindparam("prev_hash"), hash=sa.bindparam("hash")),
            updates,
        )


def _record_keying(
    conn: sa.Connection, key: bytes, *, last_id: int, prev_hash: str, detail: dict[str, Any]
) -> None:
    fields: dict[str, Any] = {
        "at": datetime.now(UTC),
        "actor": "system",
        "actor_role": "system",
        "action": "audit.chain_keyed",
        "object_type": "audit_log",
        "object_id": None,
        "detail": detail,
    }
    entry_id = last_id + 1
    hashed = keyed_hash(key, prev_hash, content(entry_id=entry_id, **fields))
    conn.execute(audit_log.insert().values(id=entry_id, prev_hash=prev_hash, hash=hashed, **fields))


def upgrade() -> None:
    conn = op.get_bind()
    key = deployment_keys().chain
    count, last_id, old_tail, new_tail, breaks = _rehash(
        conn, lambda prev, entry: keyed_hash(key, prev, entry)
    )
    if count:
        detail = {
            "rekeyed_entries": count,
            "unkeyed_tail_hash": old_tail,
            "unkeyed_breaks": breaks[:MAX_RECORDED_FINDINGS],
            "unkeyed_breaks_total": len(breaks),
        }
        _record_keying(conn, key, last_id=last_id, prev_hash=new_tail, detail=detail)
    op.create_table(
        "audit_heads",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_heads")),
    )
    _accounts()


def _accounts() -> None:
    op.create_table(
        "login_throttles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", UTCDateTime(), nullable=False),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_throttles")),
        sa.UniqueConstraint("scope", "key_hash", name=op.f("uq_login_throttles_scope_key_hash")),
    )
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("owner_user_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_api_keys_owner_user_id_users"), "users", ["owner_user_id"], ["id"]
        )
        batch.create_index(op.f("ix_api_keys_owner_user_id"), ["owner_user_id"])


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_index(op.f("ix_api_keys_owner_user_id"))
        batch.drop_constraint(op.f("fk_api_keys_owner_user_id_users"), type_="foreignkey")
        batch.drop_column("owner_user_id")
    op.drop_table("login_throttles")
    op.drop_table("audit_heads")
    _rehash(op.get_bind(), compute_hash)
