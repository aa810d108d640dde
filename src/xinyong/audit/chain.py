"""The hashes of the audit chain and the keys they are made with.

Each entry's ``hash`` is the HMAC-SHA256, with the *chain key*, of the previous entry's hash
and the entry's content (id, time, actor, action, object, detail) in canonical JSON, so that
nobody without the key can re-hash the chain after deleting or editing a row. (Before
migration 0011 the hash was a plain SHA-256, ``compute_hash``, which anyone can recompute;
that migration re-hashed the existing chain with the key, see its docstring.)

The keys are not stored in the database: they are derived from the deployment secret
(``XINYONG_SECRET_KEY``) with distinct labels, one for the chain and one for the signed heads,
so neither can stand in for the other nor for the ID-number HMAC made with the same secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from typing import Any, Final

from sqlalchemy import text
from sqlalchemy.orm import Session

from xinyong.audit.models import AuditEntry
from xinyong.config import get_settings
from xinyong.db import take_write_lock

GENESIS_HASH: Final = "0" * 64
CHAIN_LABEL: Final = b"xinyong/audit-chain/v1"
HEAD_LABEL: Final = b"xinyong/audit-head/v1"
# pg_advisory_xact_lock key for the chain ("xy" audit); any constant unique in the database.
CHAIN_LOCK_KEY: Final = 0x78790A0D


@dataclass(frozen=True)
class AuditKeys:
    """The chain key (entry hashes) and the head key (signatures of published heads)."""

    chain: bytes
    head: bytes


@lru_cache(maxsize=8)
def keys_from_secret(secret: bytes) -> AuditKeys:
    """The audit keys derived from ``secret``: HMAC-SHA256(secret, label) per purpose."""
    return AuditKeys(
        chain=hmac.new(secret, CHAIN_LABEL, hashlib.sha256).digest(),
        head=hmac.new(secret, HEAD_LABEL, hashlib.sha256).digest(),
    )


def deployment_keys() -> AuditKeys:
    """The keys of this deployment, from the process's settings.

    Read here rather than passed in because every domain appends to the one chain (some forty
    call sites): the server, the worker and each command of an installation read the same
    ``XINYONG_SECRET_KEY``, so they all write and check with the same keys. Tests that want
    other keys pass ``keys=`` explicitly.
    """
    return keys_from_secret(get_settings().hmac_key)


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


def content(
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
    """What an entry's hash covers besides the previous hash."""
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


def compute_hash(prev_hash: str, entry: Mapping[str, Any]) -> str:
    """The unkeyed hash of the chain before migration 0011: recomputable by anyone."""
    return hashlib.sha256((prev_hash + canonical_json(entry)).encode("utf-8")).hexdigest()


def keyed_hash(key: bytes, prev_hash: str, entry: Mapping[str, Any]) -> str:
    """An entry's hash: recomputable only with the chain key."""
    message = (prev_hash + canonical_json(entry)).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def lock_chain(session: Session) -> None:
    """Serialise appends (and heads) so two transactions never read the same tail.

    PostgreSQL: a transaction-scoped advisory lock. SQLite has one writer at a time, but a
    deferred transaction that reads the tail first and writes later fails with "database is
    locked" instead of waiting; a no-op write takes the write lock (waiting up to busy_timeout)
    before the tail is read. The primary key on id refuses a forked chain either way.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    else:
        take_write_lock(session, AuditEntry.__table__)
