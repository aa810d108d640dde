"""Record and verify the tamper-evident audit chain.

Each row's ``hash`` is the HMAC-SHA256, with a key derived from the deployment secret and not
stored in the database, of ``prev_hash + canonical_json(content)`` where content is the id,
time, actor, action, object and detail (``audit.chain``). Changing, deleting or inserting a
row breaks the chain at that point, and re-hashing the rest needs the key. Signed heads
(``audit.heads``) pin the newest entry from time to time, so cutting off the newest rows is
found too. ``verify`` says where each break is.

The chain written before the hashes were keyed was re-hashed with the key by migration 0011,
which recorded what it found in that older chain in an ``audit.chain_keyed`` entry.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinyong.audit.chain import (
    CHAIN_LOCK_KEY,
    GENESIS_HASH,
    AuditKeys,
    canonical_json,
    compute_hash,
    deployment_keys,
    keyed_hash,
    lock_chain,
)
from xinyong.audit.chain import content as _content
from xinyong.audit.heads import SignedHead, database_heads, signature_valid
from xinyong.audit.models import AuditEntry
from xinyong.kit import clock
from xinyong.kit.identifiers import mask_text_ids

__all__ = [
    "CHAIN_LOCK_KEY",
    "GENESIS_HASH",
    "AuditFinding",
    "ChainReport",
    "canonical_json",
    "check",
    "compute_hash",
    "count_entries",
    "keyed_hash",
    "record",
    "scrub",
    "verify",
]

VERIFY_BATCH: Final = 1000

FindingKind = Literal[
    "hash_mismatch",
    "broken_link",
    "gap",
    "truncated",
    "head_mismatch",
    "head_forged",
    "head_missing",
]


@dataclass(frozen=True)
class AuditFinding:
    """One break in the chain: the row it was found at and a Chinese description."""

    entry_id: int
    kind: FindingKind
    message: str


@dataclass(frozen=True)
class ChainReport:
    """What ``check`` found, with the counts ``xinyong audit verify`` prints."""

    findings: list[AuditFinding]
    entries: int
    heads_checked: int
    latest_head: SignedHead | None


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
    keys: AuditKeys | None = None,
) -> AuditEntry:
    """Append an entry in the caller's transaction, chained to the newest entry and hashed
    with the chain key (``keys``, by default the deployment's).

    ``detail`` is scrubbed of ID numbers (masked as 330106********1234) before it is hashed and
    stored; it must not carry other personal data in clear either.
    """
    if now.tzinfo is None:
        raise ValueError("audit time must be timezone-aware")
    keys = keys or deployment_keys()
    lock_chain(session)
    session.flush()
    tail = session.execute(
        select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    entry_id, prev_hash = (tail.id + 1, tail.hash) if tail else (1, GENESIS_HASH)
    clean_detail = json.loads(canonical_json(scrub(dict(detail or {}))))
    clean_object_id = None if object_id is None else mask_text_ids(str(object_id))
    fields = {
        "actor": actor,
        "actor_role": actor_role,
        "action": action,
        "object_type": object_type,
        "object_id": clean_object_id,
        "detail": clean_detail,
    }
    hashed = keyed_hash(keys.chain, prev_hash, _content(entry_id=entry_id, at=now, **fields))
    entry = AuditEntry(id=entry_id, at=now, prev_hash=prev_hash, hash=hashed, **fields)
    session.add(entry)
    session.flush()
    return entry


def count_entries(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def _local(at: datetime) -> str:
    return at.astimezone(clock.SHANGHAI).strftime("%Y-%m-%d %H:%M")


@dataclass
class _Heads:
    """The heads to check against the chain: valid ones by the entry they pin."""

    by_entry: dict[int, list[SignedHead]] = field(default_factory=lambda: defaultdict(list))
    findings: list[AuditFinding] = field(default_factory=list)
    checked: int = 0
    latest: SignedHead | None = None

    @classmethod
    def collect(
        cls, keys: AuditKeys, stored: list[SignedHead], copies: Iterable[SignedHead]
    ) -> _Heads:
        heads = cls()
        stored_ids = {h.id for h in stored}
        stored_keys = {(h.id, h.signature) for h in stored}
        missing = set(range(1, max(stored_ids, default=0) + 1)) - stored_ids
        unique: dict[tuple[int, str], SignedHead] = {(h.id, h.signature): h for h in stored}
        for copy in copies:
            unique.setdefault((copy.id, copy.signature), copy)
        for head in unique.values():
            if not signature_valid(keys, head):
                where = "数据库中" if head.source == "database" else "文件副本中"
                heads.findings.append(
                    AuditFinding(
                        head.entry_id,
                        "head_forged",
                        f"{where}的签名摘要 #{head.id} 签名无效，疑似伪造或被改动",
                    )
                )
                continue
            if (head.id, head.signature) not in stored_keys:
                missing.add(head.id)
            heads.add(head)
        for head_id in sorted(missing):
            heads.findings.append(
                AuditFinding(0, "head_missing", f"签名摘要 #{head_id} 已从数据库中删除")
            )
        return heads

    def add(self, head: SignedHead) -> None:
        self.by_entry[head.entry_id].append(head)
        self.checked += 1
        if self.latest is None or head.id > self.latest.id:
            self.latest = head


@dataclass
class _Walk:
    """The state of one pass over the chain in id order."""

    keys: AuditKeys
    heads: _Heads
    findings: list[AuditFinding] = field(default_factory=list)
    prev_id: int = 0
    prev_hash: str = GENESIS_HASH
    seen_at_heads: set[int] = field(default_factory=set)

    def row(self, row: Any) -> None:
        self._link(row)
        entry = _content(
            entry_id=row.id,
            at=row.at,
            actor=row.actor,
            actor_role=row.actor_role,
            action=row.action,
            object_type=row.object_type,
            object_id=row.object_id,
            detail=row.detail,
        )
        if keyed_hash(self.keys.chain, row.prev_hash, entry) != row.hash:
            self._add(row.id, "hash_mismatch", f"第 {row.id} 条记录的内容与其哈希不符，疑似被篡改")
        for head in self.heads.by_entry.get(row.id, ()):
            self.seen_at_heads.add(row.id)
            if head.entry_hash != row.hash:
                self._add(
                    row.id,
                    "head_mismatch",
                    f"第 {row.id} 条记录的哈希与签名摘要 #{head.id}（{_local(head.at)}）不符，"
                    "此前的日志被改写",
                )
        self.prev_id, self.prev_hash = row.id, row.hash

    def _add(self, entry_id: int, kind: FindingKind, message: str) -> None:
        self.findings.append(AuditFinding(entry_id, kind, message))

    def _link(self, row: Any) -> None:
        if row.id != self.prev_id + 1:
            missing = row.id - self.prev_id - 1
            span = f"{self.prev_id + 1}" if missing == 1 else f"{self.prev_id + 1}–{row.id - 1}"
            self._add(
                row.id, "gap", f"第 {row.id} 条之前缺少 {missing} 条记录（编号 {span}），疑似被删除"
            )
        if row.prev_hash != self.prev_hash:
            self._add(
                row.id, "broken_link", f"第 {row.id} 条记录的前序哈希与上一条记录不符，链条在此断开"
            )

    def finish(self) -> None:
        """Heads whose entry the walk never met: cut off (after the end) or deleted."""
        for entry_id, heads in sorted(self.heads.by_entry.items()):
            if entry_id in self.seen_at_heads:
                continue
            head = max(heads, key=lambda h: h.id)
            if entry_id > self.prev_id:
                lost = entry_id - self.prev_id
                self._add(
                    entry_id,
                    "truncated",
                    f"签名摘要 #{head.id}（{_local(head.at)}）签到第 {entry_id} 条，"
                    f"但日志只到第 {self.prev_id} 条：最新的 {lost} 条记录缺失，疑似被截断",
                )
            else:
                self._add(
                    entry_id,
                    "head_mismatch",
                    f"签名摘要 #{head.id} 签到的第 {entry_id} 条记录已不存在",
                )


def check(
    session: Session,
    *,
    keys: AuditKeys | None = None,
    head_copies: Iterable[SignedHead] = (),
    progress: Callable[[int], None] | None = None,
) -> ChainReport:
    """Walk the chain in id order and report every break.

    A row whose stored hash differs from the keyed hash of its content was edited (or
    re-hashed without the key); a row whose ``prev_hash`` differs from the previous row's hash
    follows a deleted, inserted or re-hashed row; a jump in ids means rows were deleted.
    Against the signed heads
    (the table and ``head_copies``, e.g. the file copy): a head whose entry lies past the end
    means the newest rows were cut off, a head whose hash differs means a rewrite, a head with
    a bad signature was forged, a head in the copy but not in the table was deleted.
    ``progress`` is called with the number of rows checked per batch.
    """
    keys = keys or deployment_keys()
    heads = _Heads.collect(keys, database_heads(session), head_copies)
    walk = _Walk(keys=keys, heads=heads)
    table = AuditEntry.__table__
    stmt = select(table).order_by(table.c.id).execution_options(yield_per=VERIFY_BATCH)
    checked = 0
    for row in session.execute(stmt):
        walk.row(row)
        checked += 1
        if progress is not None and checked % VERIFY_BATCH == 0:
            progress(VERIFY_BATCH)
    if progress is not None and checked % VERIFY_BATCH:
        progress(checked % VERIFY_BATCH)
    walk.finish()
    return ChainReport(
        findings=heads.findings + walk.findings,
        entries=checked,
        heads_checked=heads.checked,
        latest_head=heads.latest,
    )


def verify(
    session: Session,
    *,
    keys: AuditKeys | None = None,
    head_copies: Iterable[SignedHead] = (),
    progress: Callable[[int], None] | None = None,
) -> list[AuditFinding]:
    """The findings of ``check``: empty when the chain is intact."""
    return check(session, keys=keys, head_copies=head_copies, progress=progress).findings
