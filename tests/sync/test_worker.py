"""The worker against a real HTTP platform: retries without loss, exactly-once after recovery,
signatures, concurrent workers, a killed worker's lease, and the file drop."""

from __future__ import annotations

import itertools
import json
import random
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from sync.conftest import MONDAY, SECRET, drop_platforms, repaired, webhook_platforms
from xinyong.db import session_factory, unit_of_work
from xinyong.sync.adapters import Outcome, sign
from xinyong.sync.models import SyncAttempt, SyncDelivery
from xinyong.sync.outbox import SyncOutbox
from xinyong.sync.worker import build_adapters, claim_due, record_outcome, run_once, try_claim


def enqueue(engine, platforms, object_ids, *, now=MONDAY, record_type="administrative_penalty"):
    with unit_of_work(engine) as s:
        for oid in object_ids:
            SyncOutbox(platforms).enqueue(
                s,
                kind="repair",
                object_type="record",
                object_id=oid,
                payload=repaired(oid),
                record_type=record_type,
                now=now,
            )


def deliveries(engine):
    with unit_of_work(engine) as s:
        return list(s.scalars(select(SyncDelivery).order_by(SyncDelivery.id)))


def attempts(engine):
    with unit_of_work(engine) as s:
        return list(s.scalars(select(SyncAttempt).order_by(SyncAttempt.id)))


class SimClock:
    def __init__(self, start):
        self.now = start

    def __call__(self):
        return self.now


def next_due(engine):
    with unit_of_work(engine) as s:
        return s.scalar(
            select(func.min(SyncDelivery.next_attempt_at)).where(
                SyncDelivery.status.in_(["pending", "failing"])
            )
        )


@pytest.mark.parametrize("mode", ["fail", "hang"])
def test_platform_down_a_whole_day_loses_nothing_then_gets_each_once(db, fake_platform, mode):
    # Only a hanging platform needs the short timeout; a failing one answers 500 at once, and a
    # busy machine must not turn that answer into a timeout.
    timeout = 0.05 if mode == "hang" else 5.0
    platforms = webhook_platforms(fake_platform.url, timeout=timeout, failing_after=5)
    adapters = build_adapters(platforms)
    enqueue(db, platforms, [101, 102])
    fake_platform.mode = mode
    fake_platform.hang_seconds = 0.3
    clock = SimClock(MONDAY)
    rng = random.Random(7)
    end = MONDAY + timedelta(days=1)
    passes = 0
    while clock.now < end:
        run_once(db, platforms, adapters, clock=clock, worker="w1", rng=rng)
        passes += 1
        clock.now = max(clock.now, next_due(db))
    assert passes > 20  # it kept retrying all day
    rows = deliveries(db)
    assert [d.status for d in rows] == ["failing", "failing"]
    assert all(d.attempts >= 20 for d in rows)
    log = attempts(db)
    assert {a.outcome for a in log} == ({"http_error"} if mode == "fail" else {"timeout"})
    # Backoff is capped at one hour.
    for d in rows:
        times = sorted(a.started_at for a in log if a.delivery_id == d.id)
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert max(gaps) <= timedelta(hours=1)
        assert gaps[0] < timedelta(minutes=2)
    assert fake_platform.accepted_ids() == []

    fake_platform.mode = "ok"
    clock.now += timedelta(hours=1)
    summary = run_once(db, platforms, adapters, clock=clock, worker="w1", rng=rng)
    assert summary.acknowledged == 2
    for _ in range(3):
        clock.now += timedelta(hours=2)
        assert run_once(db, platforms, adapters, clock=clock, worker="w1").claimed == 0
    assert sorted(fake_platform.accepted_ids()) == sorted(d.id for d in rows)
    done = deliveries(db)
    assert [d.status for d in done] == ["acknowledged", "acknowledged"]
    assert done[0].receipt == {"status": 200, "body": {"receipt": f"R-{done[0].id}"}}


def test_signed_body_and_idempotency_key(db, fake_platform):
    platforms = webhook_platforms(fake_platform.url)
    enqueue(db, platforms, [201])
    run_once(db, platforms, build_adapters(platforms), clock=lambda: MONDAY, worker="w1")
    [received] = fake_platform.requests
    [delivery] = deliveries(db)
    assert received.signature_ok is True
    assert received.idempotency_key == str(delivery.id)
    assert received.body["payload"]["subject"]["name"] == "示范公司"
    assert received.body["object_id"] == 201
    body = json.dumps(received.body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert sign(SECRET, 1, body.encode()) != sign(b"wrong-secret", 1, body.encode())


def test_two_workers_at_once_send_each_delivery_once(db, fake_platform):
    platforms = webhook_platforms(fake_platform.url)
    adapters = build_adapters(platforms)
    enqueue(db, platforms, range(300, 312))
    barrier = threading.Barrier(2)
    errors = []

    def work(name):
        try:
            barrier.wait()
            run_once(db, platforms, adapters, clock=lambda: MONDAY, worker=name)
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    accepted = fake_platform.accepted_ids()
    assert sorted(accepted) == sorted(d.id for d in deliveries(db))
    assert len(accepted) == len(set(accepted)) == 12


def test_claim_is_compare_and_set(db, tmp_path):
    platforms = drop_platforms(tmp_path)
    enqueue(db, platforms, [401], record_type="other")
    make = session_factory(db)
    s1, s2 = make(), make()
    try:
        [seen_by_2] = s2.scalars(select(SyncDelivery)).all()
        s2.commit()  # keeps the stale object (expire_on_commit=False)
        assert len(claim_due(s1, platforms, now=MONDAY, worker="w1")) == 1
        s1.commit()
        assert try_claim(s2, seen_by_2, now=MONDAY, worker="w2") is None
        s2.commit()
    finally:
        s1.close()
        s2.close()


def test_killed_worker_lease_expires_and_delivery_is_sent_again(db, fake_platform):
    platforms = webhook_platforms(fake_platform.url)
    adapters = build_adapters(platforms)
    enqueue(db, platforms, [501])
    with unit_of_work(db) as s:
        [lost] = claim_due(s, platforms, now=MONDAY, worker="killed")
    # The killed worker never sends nor reports. Within the lease nobody takes it.
    assert (
        run_once(db, platforms, adapters, clock=lambda: MONDAY + timedelta(minutes=4)).claimed == 0
    )
    later = MONDAY + timedelta(minutes=6)
    summary = run_once(db, platforms, adapters, clock=lambda: later, worker="w2")
    assert summary.acknowledged == 1
    assert [a.outcome for a in attempts(db)] == ["lease_expired", "acknowledged"]
    [d] = deliveries(db)
    assert d.status == "acknowledged" and d.attempts == 2
    # A late failure report from the killed worker changes nothing.
    with unit_of_work(db) as s:
        moved = record_outcome(
            s,
            platforms,
            claim=lost,
            outcome=Outcome("timeout", 10_000, error="late"),
            now=later,
            worker="killed",
        )
    assert moved is False
    assert deliveries(db)[0].status == "acknowledged"
    assert fake_platform.accepted_ids() == [d.id]


def test_a_late_acknowledgement_stops_the_retries_after_another_worker_failed(db, tmp_path):
    platforms = drop_platforms(tmp_path)
    enqueue(db, platforms, [551], record_type="other")
    with unit_of_work(db) as s:
        [slow] = claim_due(s, platforms, now=MONDAY, worker="slow")
    later = MONDAY + timedelta(minutes=6)
    with unit_of_work(db) as s:
        [retry] = claim_due(s, platforms, now=later, worker="w2")  # the lease expired
    with unit_of_work(db) as s:
        failed = Outcome("timeout", 10_000, error="超时")
        assert record_outcome(s, platforms, claim=retry, outcome=failed, now=later, worker="w2")
    assert deliveries(db)[0].status == "pending"
    # The slow worker's platform did take it after all: nothing is sent again.
    with unit_of_work(db) as s:
        ok = Outcome("acknowledged", 30, receipt={"path": "x"})
        assert record_outcome(s, platforms, claim=slow, outcome=ok, now=later, worker="slow")
    [d] = deliveries(db)
    assert (d.status, d.receipt, d.last_error, d.claim_token) == (
        "acknowledged",
        {"path": "x"},
        None,
        None,
    )
    with unit_of_work(db) as s:
        assert claim_due(s, platforms, now=later + timedelta(days=1), worker="w3") == []


def test_file_drop_writes_each_delivery_atomically(db, tmp_path):
    platforms = drop_platforms(tmp_path / "drop")
    enqueue(db, platforms, [601], record_type="administrative_penalty")
    enqueue(db, platforms, [602], record_type="commitment_breach")
    summary = run_once(db, platforms, build_adapters(platforms), clock=lambda: MONDAY)
    assert summary.acknowledged == 3  # gsxt only for the penalty
    rows = {(d.platform, d.object_id): d for d in deliveries(db)}
    assert set(rows) == {("hangzhou", 601), ("hangzhou", 602), ("gsxt", 601)}
    penalty = rows[("gsxt", 601)]
    written = json.loads((tmp_path / "drop" / "gsxt" / f"{penalty.id}.json").read_text("utf-8"))
    assert written["payload"]["record"]["id"] == 601
    assert written["delivery_id"] == penalty.id
    assert penalty.receipt == {"path": str(tmp_path / "drop" / "gsxt" / f"{penalty.id}.json")}
    assert not list((tmp_path / "drop").rglob(".tmp-*"))
    assert sorted(p.name for p in (tmp_path / "drop").glob("*.json")) == sorted(
        f"{rows[('hangzhou', i)].id}.json" for i in (601, 602)
    )


def test_file_drop_failure_is_retried_not_lost(db, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    platforms = drop_platforms(blocker)
    enqueue(db, platforms, [701], record_type="other")
    summary = run_once(db, platforms, build_adapters(platforms), clock=lambda: MONDAY)
    assert summary.failed == 1
    [d] = deliveries(db)
    assert d.status == "pending" and d.attempts == 1 and "写入失败" in d.last_error
    assert d.next_attempt_at > MONDAY
