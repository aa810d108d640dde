from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, select, update

from xinyong.audit import service as audit
from xinyong.audit.chain import deployment_keys
from xinyong.audit.models import AuditEntry
from xinyong.db import unit_of_work

NOW = datetime(2025, 6, 30, 10, 0, tzinfo=UTC)
ID_NUMBER = "11010519491231002X"


def _record(session, n: int, **overrides):
    fields = {
        "actor": f"user:{n}",
        "actor_role": "department",
        "action": "record.ingest",
        "object_type": "record",
        "object_id": str(n),
        "detail": {"n": n, "note": "第一批"},
        "now": NOW + timedelta(seconds=n),
    }
    fields.update(overrides)
    return audit.record(session, **fields)


def _five(session):
    return [_record(session, n) for n in range(1, 6)]


def test_audit_chain_of_five_rows_verifies_clean(session):
    entries = _five(session)
    assert [e.id for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == audit.GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    session.expire_all()
    assert audit.verify(session) == []


def test_empty_audit_log_verifies_clean(session):
    assert audit.verify(session) == []


def test_audit_verify_finds_edited_detail(session):
    entries = _five(session)
    session.execute(
        update(AuditEntry.__table__)
        .where(AuditEntry.__table__.c.id == entries[2].id)
        .values(detail={"n": 999, "note": "第一批"})
    )
    findings = audit.verify(session)
    assert [(f.entry_id, f.kind) for f in findings] == [(3, "hash_mismatch")]
    assert "篡改" in findings[0].message


def test_audit_verify_finds_edited_actor(session):
    _five(session)
    session.execute(
        update(AuditEntry.__table__).where(AuditEntry.__table__.c.id == 4).values(actor="system")
    )
    assert [(f.entry_id, f.kind) for f in audit.verify(session)] == [(4, "hash_mismatch")]


def test_audit_verify_finds_deleted_row(session):
    _five(session)
    session.execute(delete(AuditEntry.__table__).where(AuditEntry.__table__.c.id == 3))
    findings = audit.verify(session)
    assert {(f.entry_id, f.kind) for f in findings} == {(4, "gap"), (4, "broken_link")}
    assert any("删除" in f.message for f in findings)


def test_audit_verify_finds_deleted_first_row(session):
    _five(session)
    session.execute(delete(AuditEntry.__table__).where(AuditEntry.__table__.c.id == 1))
    assert {(f.entry_id, f.kind) for f in audit.verify(session)} == {
        (2, "gap"),
        (2, "broken_link"),
    }


def test_audit_verify_finds_rehashed_row(session):
    """Even someone holding the key who recomputes the edited row's hash only moves the break
    to the next row."""
    _five(session)
    table = AuditEntry.__table__
    row = session.execute(select(table).where(table.c.id == 2)).one()
    forged = {"n": 2, "note": "改过"}
    content = audit._content(
        entry_id=2,
        at=row.at,
        actor=row.actor,
        actor_role=row.actor_role,
        action=row.action,
        object_type=row.object_type,
        object_id=row.object_id,
        detail=forged,
    )
    rehashed = audit.keyed_hash(deployment_keys().chain, row.prev_hash, content)
    session.execute(update(table).where(table.c.id == 2).values(detail=forged, hash=rehashed))
    assert [(f.entry_id, f.kind) for f in audit.verify(session)] == [(3, "broken_link")]


def test_audit_detail_id_number_is_stored_masked(session):
    entry = _record(
        session,
        1,
        detail={
            "note": f"当事人身份证号{ID_NUMBER}已核验",
            "nested": {"people": [{"id_number": ID_NUMBER.lower()}]},
            ID_NUMBER: "as a key",
            "as_int": 330106199001011234,
        },
        object_id=ID_NUMBER,
    )
    session.expire_all()
    stored = session.execute(select(AuditEntry.__table__).where(AuditEntry.id == entry.id)).one()
    flat = audit.canonical_json(stored.detail) + str(stored.object_id)
    assert ID_NUMBER not in flat and ID_NUMBER.lower() not in flat
    assert "330106199001011234" not in flat
    assert stored.detail["note"] == "当事人身份证号110105********002X已核验"
    assert stored.object_id == "110105********002X"
    assert audit.verify(session) == []


def test_audit_detail_keeps_non_id_values(session):
    entry = _record(session, 1, detail={"count": 12, "uscc": "91330100MA27XL0E2K", "ok": True})
    assert entry.detail == {"count": 12, "uscc": "91330100MA27XL0E2K", "ok": True}


def test_audit_detail_datetimes_are_canonical_utc(session):
    shanghai = timezone(timedelta(hours=8))
    entry = _record(session, 1, detail={"until": datetime(2025, 7, 1, 8, 0, tzinfo=shanghai)})
    assert entry.detail == {"until": "2025-07-01T00:00:00+00:00"}
    assert audit.verify(session) == []


def test_audit_time_in_other_zone_verifies(session):
    _record(
        session, 1, now=datetime(2025, 7, 1, 8, 0, 0, 123456, tzinfo=timezone(timedelta(hours=8)))
    )
    session.expire_all()
    assert audit.verify(session) == []


def test_audit_refuses_naive_time(session):
    with pytest.raises(ValueError):
        _record(session, 1, now=datetime(2025, 7, 1))


def test_canonical_json_is_sorted_compact_utf8():
    assert audit.canonical_json({"b": 1, "a": "信用"}) == '{"a":"信用","b":1}'


def test_verify_reports_progress(session):
    _five(session)
    seen: list[int] = []
    audit.verify(session, progress=seen.append)
    assert sum(seen) == 5


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_concurrent_writers_keep_one_chain(databases, backend):
    engine = databases.migrated_engine(backend)
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def writer(w: int) -> None:
        try:
            barrier.wait()
            for n in range(10):
                with unit_of_work(engine) as s:
                    _record(s, n, actor=f"key:{w}")
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with unit_of_work(engine) as s:
        assert audit.count_entries(s) == 40
        assert audit.verify(s) == []
