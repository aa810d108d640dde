"""Signed heads of the audit chain: the outside anchor that makes truncation visible.

A keyed chain shows any edit, deletion or insertion *inside* it, but cutting off the newest
entries leaves a shorter chain that is still valid. So the worker (and ``xinyong audit head``)
periodically signs the newest entry: its id and hash, and the time. ``audit verify`` then checks each head against the chain: a head
whose entry is gone means truncation, a head whose hash no longer matches means the chain was
rewritten, a head with a bad signature was forged.

Each head is stored in ``audit_heads`` and appended, after its transaction committed, to
``<data_dir>/audit/heads.jsonl``: a copy outside the database, so that deleting heads from the
table is noticed too. (Anchoring the heads with a third party is the evidence-log issue's.)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinyong.audit.chain import AuditKeys, canonical_json, deployment_keys, lock_chain
from xinyong.audit.models import AuditEntry, AuditHead

HEAD_FILE: Final = Path("audit") / "heads.jsonl"


@dataclass(frozen=True)
class SignedHead:
    """A head as read from the table or from the file copy."""

    id: int
    at: datetime
    entry_id: int
    entry_hash: str
    signature: str
    source: Literal["database", "file"] = "database"

    def as_json(self) -> str:
        data = asdict(self)
        del data["source"]
        data["at"] = self.at.astimezone(UTC).isoformat()
        return json.dumps(data, ensure_ascii=False, sort_keys=True)


def head_file(data_dir: Path) -> Path:
    """Where the copies of the heads are appended."""
    return data_dir / HEAD_FILE


def sign_head(
    keys: AuditKeys,
    *,
    head_id: int,
    at: datetime,
    entry_id: int,
    entry_hash: str,
) -> str:
    """HMAC-SHA256 with the head key over the head's fields in canonical JSON."""
    payload = canonical_json(
        {
            "id": head_id,
            "at": at.astimezone(UTC).isoformat(),
            "entry_id": entry_id,
            "entry_hash": entry_hash,
        }
    )
    return hmac.new(keys.head, payload.encode("utf-8"), hashlib.sha256).hexdigest()


def signature_valid(keys: AuditKeys, head: SignedHead) -> bool:
    expected = sign_head(
        keys,
        head_id=head.id,
        at=head.at,
        entry_id=head.entry_id,
        entry_hash=head.entry_hash,
    )
    return hmac.compare_digest(expected, head.signature)


def _signed(row: AuditHead) -> SignedHead:
    return SignedHead(
        id=row.id,
        at=row.at,
        entry_id=row.entry_id,
        entry_hash=row.entry_hash,
        signature=row.signature,
    )


def database_heads(session: Session) -> list[SignedHead]:
    """Every head in the table, oldest first."""
    return [_signed(row) for row in session.scalars(select(AuditHead).order_by(AuditHead.id))]


def latest_head(session: Session) -> SignedHead | None:
    row = session.scalar(select(AuditHead).order_by(AuditHead.id.desc()).limit(1))
    return _signed(row) if row is not None else None


def head_due(session: Session, *, now: datetime, interval: timedelta) -> bool:
    """Whether the newest head is older than ``interval`` (or there is none)."""
    latest = latest_head(session)
    return latest is None or latest.at <= now - interval


def publish_head(
    session: Session, *, now: datetime, keys: AuditKeys | None = None
) -> SignedHead | None:
    """Sign the newest entry, in the caller's transaction; None when the chain is empty or the
    newest head already covers the newest entry. Takes the chain lock, so the head is the tail
    at that moment and head ids stay contiguous."""
    keys = keys or deployment_keys()
    lock_chain(session)
    tail = session.execute(
        select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    if tail is None:
        return None
    latest = latest_head(session)
    if latest is not None and (latest.entry_id, latest.entry_hash) == (tail.id, tail.hash):
        return None
    head_id = (session.scalar(select(func.max(AuditHead.id))) or 0) + 1
    signature = sign_head(keys, head_id=head_id, at=now, entry_id=tail.id, entry_hash=tail.hash)
    row = AuditHead(id=head_id, at=now, entry_id=tail.id, entry_hash=tail.hash, signature=signature)
    session.add(row)
    session.flush()
    return _signed(row)


def read_file(path: Path) -> tuple[list[SignedHead], list[int]]:
    """The heads in the file copy, and the line numbers that are not a head (a damaged copy is
    reported, never silently skipped). A missing file has no heads."""
    if not path.exists():
        return [], []
    heads: list[SignedHead] = []
    bad: list[int] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            heads.append(
                SignedHead(
                    id=int(data["id"]),
                    at=datetime.fromisoformat(data["at"]),
                    entry_id=int(data["entry_id"]),
                    entry_hash=str(data["entry_hash"]),
                    signature=str(data["signature"]),
                    source="file",
                )
            )
        except (ValueError, KeyError, TypeError):
            bad.append(number)
    return heads, bad


def append_to_file(path: Path, heads: Sequence[SignedHead]) -> int:
    """Append the heads newer than the file's newest (so a head missed after a crash is
    caught up), never rewriting what is there: a head deleted from the table stays in the
    copy. Returns how many were appended."""
    existing, _ = read_file(path)
    newest = max((h.id for h in existing), default=0)
    new = [h for h in heads if h.id > newest]
    if not new:
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        for head in new:
            fh.write(head.as_json() + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return len(new)
