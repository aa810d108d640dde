"""The audit chain is keyed and its heads are signed: re-hashing after a deletion, cutting off
the newest entries and forging or deleting a head are all found by ``verify``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from xinyong.audit import heads
from xinyong.audit import service as audit
from xinyong.audit.chain import GENESIS_HASH, compute_hash, content, keys_from_secret
from xinyong.audit.models import AuditEntry, AuditHead
from xinyong.db import make_engine, unit_of_work
from xinyong.migrations import upgrade

NOW = datetime(2025, 6, 30, 10, 0, tzinfo=UTC)
KEYS = keys_from_secret(b"the-deployment-secret")
ENTRIES = AuditEntry.__table__


def _record(session: Session, n: int) -> AuditEntry:
    return audit.record(
        session,
        actor=f"user:{n}",
        actor_role="department",
        action="record.ingest",
        object_type="record",
        object_id=str(n),
        detail={"n": n},
        now=NOW + timedelta(seconds=n),
        keys=KEYS,
    )


def _chain(session: Session, count: int) -> None:
    for n in range(1, count + 1):
        _record(session, n)


def _kinds(session: Session, **kwargs) -> set[tuple[int, str]]:
    return {(f.entry_id, f.kind) for f in audit.verify(session, keys=KEYS, **kwargs)}


def _rehash_from(session: Session, first_id: int, rehash) -> None:
    """What an intruder does to hide an edit: recompute every hash from ``first_id`` on."""
    prev = session.scalar(select(ENTRIES.c.hash).where(ENTRIES.c.id == first_id - 1))
    prev = prev or GENESIS_HASH
    rows = session.execute(
        select(ENTRIES).where(ENTRIES.c.id >= first_id).order_by(ENTRIES.c.id)
    ).all()
    for row in rows:
        entry = content(
            entry_id=row.id,
            at=row.at,
            actor=row.actor,
            actor_role=row.actor_role,
            action=row.action,
            object_type=row.object_type,
            object_id=row.object_id,
            detail=row.detail,
        )
        hashed = rehash(prev, entry)
        session.execute(
            update(ENTRIES).where(ENTRIES.c.id == row.id).values(prev_hash=prev, hash=hashed)
        )
        prev = hashed


def _delete_and_renumber(session: Session, entry_id: int, last_id: int) -> None:
    session.execute(delete(ENTRIES).where(ENTRIES.c.id == entry_id))
    for n in range(entry_id + 1, last_id + 1):
        session.execute(update(ENTRIES).where(ENTRIES.c.id == n).values(id=n - 1))


def test_chain_is_keyed_clean_with_the_key_and_broken_without_it(session):
    _chain(session, 3)
    assert _kinds(session) == set()
    other = keys_from_secret(b"someone-elses-secret")
    assert {f.kind for f in audit.verify(session, keys=other)} == {"hash_mismatch"}


def test_delete_and_rehash_without_the_key_is_detected(session):
    """The attack that used to pass: delete a row, renumber, re-hash the rest."""
    _chain(session, 5)
    _delete_and_renumber(session, 3, 5)
    _rehash_from(session, 3, compute_hash)
    assert _kinds(session) == {(3, "hash_mismatch"), (4, "hash_mismatch")}


def test_rehash_with_a_guessed_key_is_detected(session):
    _chain(session, 4)
    _delete_and_renumber(session, 2, 4)
    guessed = keys_from_secret(b"xinyong-demo-secret-change-me")
    _rehash_from(session, 2, lambda prev, entry: audit.keyed_hash(guessed.chain, prev, entry))
    assert _kinds(session) == {(2, "hash_mismatch"), (3, "hash_mismatch")}


def test_truncating_the_newest_entries_is_detected_against_the_last_head(session):
    _chain(session, 5)
    head = heads.publish_head(session, now=NOW, keys=KEYS)
    assert head is not None and (head.id, head.entry_id) == (1, 5)
    assert _kinds(session) == set()
    session.execute(delete(ENTRIES).where(ENTRIES.c.id > 3))
    findings = audit.verify(session, keys=KEYS)
    assert [(f.entry_id, f.kind) for f in findings] == [(5, "truncated")]
    assert "最新的 2 条记录缺失" in findings[0].message


def test_entries_after_the_last_head_are_covered_by_the_next(session):
    _chain(session, 2)
    heads.publish_head(session, now=NOW, keys=KEYS)
    _record(session, 3)
    assert heads.publish_head(session, now=NOW + timedelta(hours=1), keys=KEYS).id == 2
    # Nothing new: no head is signed twice for the same entry.
    assert heads.publish_head(session, now=NOW + timedelta(hours=2), keys=KEYS) is None
    session.execute(delete(ENTRIES).where(ENTRIES.c.id == 3))
    assert _kinds(session) == {(3, "truncated")}


def test_rewriting_history_before_a_head_is_detected(session):
    """Even re-hashed with the key, the chain no longer ends in the signed hash."""
    _chain(session, 4)
    heads.publish_head(session, now=NOW, keys=KEYS)
    session.execute(update(ENTRIES).where(ENTRIES.c.id == 2).values(detail={"n": 99}))
    _rehash_from(session, 2, lambda prev, entry: audit.keyed_hash(KEYS.chain, prev, entry))
    assert _kinds(session) == {(4, "head_mismatch")}


def test_a_forged_head_is_detected(session):
    """Moving the head back to hide a truncation needs the head key."""
    _chain(session, 5)
    heads.publish_head(session, now=NOW, keys=KEYS)
    session.execute(delete(ENTRIES).where(ENTRIES.c.id > 3))
    tail = session.scalar(select(ENTRIES.c.hash).where(ENTRIES.c.id == 3))
    session.execute(
        update(AuditHead.__table__)
        .where(AuditHead.__table__.c.id == 1)
        .values(entry_id=3, entry_hash=tail)
    )
    findings = audit.verify(session, keys=KEYS)
    assert [(f.entry_id, f.kind) for f in findings] == [(3, "head_forged")]
    assert "伪造" in findings[0].message


def test_a_head_signed_with_another_key_is_detected(session):
    _chain(session, 2)
    forged = keys_from_secret(b"not-the-deployment-secret")
    tail = session.scalar(select(ENTRIES.c.hash).where(ENTRIES.c.id == 2))
    signature = heads.sign_head(forged, head_id=1, at=NOW, entry_id=2, entry_hash=tail)
    session.execute(
        insert(AuditHead.__table__).values(
            id=1, at=NOW, entry_id=2, entry_hash=tail, signature=signature
        )
    )
    assert _kinds(session) == {(2, "head_forged")}


def test_a_deleted_head_shows_as_a_gap_in_the_heads(session):
    _chain(session, 2)
    heads.publish_head(session, now=NOW, keys=KEYS)
    _record(session, 3)
    heads.publish_head(session, now=NOW, keys=KEYS)
    session.execute(delete(AuditHead.__table__).where(AuditHead.__table__.c.id == 1))
    assert _kinds(session) == {(0, "head_missing")}


def test_the_file_copy_finds_the_newest_heads_deleted_with_the_entries(session, tmp_path):
    path = heads.head_file(tmp_path)
    _chain(session, 4)
    heads.publish_head(session, now=NOW, keys=KEYS)
    assert heads.append_to_file(path, heads.database_heads(session)) == 1
    # The intruder cuts off the entries and the head that pinned them.
    session.execute(delete(AuditHead.__table__))
    session.execute(delete(ENTRIES).where(ENTRIES.c.id > 2))
    assert _kinds(session) == set()  # the database alone can no longer tell
    copies, bad = heads.read_file(path)
    assert bad == []
    assert _kinds(session, head_copies=copies) == {(0, "head_missing"), (4, "truncated")}
    # Appending again never drops the copy of a head the table lost.
    assert heads.append_to_file(path, heads.database_heads(session)) == 0
    assert [h.id for h in heads.read_file(path)[0]] == [1]


def test_head_is_due_after_the_interval(session):
    interval = timedelta(minutes=60)
    assert heads.head_due(session, now=NOW, interval=interval)
    _chain(session, 1)
    heads.publish_head(session, now=NOW, keys=KEYS)
    assert not heads.head_due(session, now=NOW + timedelta(minutes=59), interval=interval)
    assert heads.head_due(session, now=NOW + timedelta(minutes=60), interval=interval)


def test_publishing_an_empty_chain_signs_nothing(session):
    assert heads.publish_head(session, now=NOW, keys=KEYS) is None


# Migration 0011: the unkeyed chain is checked, re-keyed, and the check recorded ------------


def _unkeyed_chain(conn, count: int, *, edit: int | None = None) -> str:
    prev = GENESIS_HASH
    for n in range(1, count + 1):
        at = NOW + timedelta(seconds=n)
        fields = {
            "actor": "system",
            "actor_role": "system",
            "action": "record.ingest",
            "object_type": "record",
            "object_id": str(n),
            "detail": {"n": n},
        }
        hashed = compute_hash(prev, content(entry_id=n, at=at, **fields))
        if n == edit:
            fields["detail"] = {"n": -n}  # changed after it was hashed
        conn.execute(insert(ENTRIES).values(id=n, at=at, prev_hash=prev, hash=hashed, **fields))
        prev = hashed
    return prev


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrade_rekeys_an_existing_chain_and_records_its_check(databases, backend):
    engine = make_engine(databases.fresh_url(backend))
    upgrade(engine, "0010")
    with engine.begin() as conn:
        old_tail = _unkeyed_chain(conn, 3, edit=2)
    upgrade(engine)
    with unit_of_work(engine) as s:
        # The deployment's keys (as `xinyong db upgrade` has them) verify the whole chain.
        assert audit.verify(s) == []
        keying = s.scalar(select(AuditEntry).where(AuditEntry.action == "audit.chain_keyed"))
        assert keying is not None and keying.id == 4
        assert keying.detail["rekeyed_entries"] == 3
        assert keying.detail["unkeyed_tail_hash"] == old_tail
        assert keying.detail["unkeyed_breaks"] == ["第 2 条记录的内容与其哈希不符"]
        # Without the key the re-keyed chain no longer verifies.
        assert {f.kind for f in audit.verify(s, keys=KEYS)} == {"hash_mismatch"}
    engine.dispose()
