"""The delivery worker: claim due deliveries, send them after the claim is committed, record
the outcome in a new transaction.

* Claim is a compare-and-set on ``version`` (pending/failing and due → sending), so two workers
  never send the same delivery; on SQLite a no-op write first takes the write lock so the
  second worker waits instead of failing on a stale snapshot.
* A claim left in ``sending`` past the lease (worker killed mid-send) is claimed again and the
  lost attempt is logged as ``lease_expired``; the platform de-duplicates on the
  ``Idempotency-Key``.
* Failures retry with capped exponential backoff and jitter; after ``failing_after`` attempts
  the delivery shows as ``failing`` but keeps being retried — nothing is dropped silently.
"""

from __future__ import annotations

import logging
import random
import socket
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from xinyong.db import compare_and_set, take_write_lock, unit_of_work
from xinyong.sync.adapters import Adapter, Message, Outcome, build_adapter
from xinyong.sync.models import SyncAttempt, SyncDelivery
from xinyong.sync.platforms import Platforms
from xinyong.sync.workflow import (
    DeliveryAction,
    DeliveryStatus,
    after_failure,
    allowed,
    backoff,
)

log = logging.getLogger("xinyong.sync")
S = DeliveryStatus
DEFAULT_BATCH = 50


@dataclass(frozen=True)
class Claim:
    """A delivery this worker holds: send ``message``, then record with ``token``."""

    message: Message
    token: str
    attempt: int
    claimed_at: datetime


@dataclass
class RunSummary:
    claimed: int = 0
    acknowledged: int = 0
    failed: int = 0


def default_worker_name() -> str:
    """``host:pid``-like name recorded on each attempt."""
    return f"{socket.gethostname()}:{threading.get_native_id()}"[:64]


def due_deliveries(
    session: Session, platforms: Platforms, *, now: datetime, limit: int = DEFAULT_BATCH
) -> list[SyncDelivery]:
    """Deliveries a worker may claim now: pending or failing and due, or sending with an
    expired lease; only for platforms still configured."""
    lease_cutoff = now - timedelta(seconds=platforms.lease_seconds)
    stmt = (
        select(SyncDelivery)
        .where(
            SyncDelivery.platform.in_([p.id for p in platforms.items]),
            or_(
                and_(
                    SyncDelivery.status.in_([S.PENDING.value, S.FAILING.value]),
                    SyncDelivery.next_attempt_at <= now,
                ),
                and_(
                    SyncDelivery.status == S.SENDING.value,
                    SyncDelivery.claimed_at <= lease_cutoff,
                ),
            ),
        )
        .order_by(SyncDelivery.next_attempt_at, SyncDelivery.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def try_claim(
    session: Session, delivery: SyncDelivery, *, now: datetime, worker: str
) -> Claim | None:
    """Compare-and-set ``delivery`` (as read, at its ``version``) to sending; ``None`` when
    another worker moved it first."""
    current = S(delivery.status)
    action = DeliveryAction.RECLAIM if current is S.SENDING else DeliveryAction.CLAIM
    if S.SENDING not in allowed(current, action):
        return None
    token = uuid.uuid4().hex
    attempt = delivery.attempts + 1
    claimed = compare_and_set(
        session,
        update(SyncDelivery)
        .where(SyncDelivery.id == delivery.id, SyncDelivery.version == delivery.version)
        .values(
            status=S.SENDING.value,
            claimed_at=now,
            claim_token=token,
            attempts=attempt,
            version=delivery.version + 1,
        ),
    )
    if not claimed:
        return None
    if delivery.status == S.SENDING.value and delivery.claimed_at is not None:
        # The previous holder never reported back: its attempt is logged as lost.
        session.add(
            SyncAttempt(
                delivery_id=delivery.id,
                number=delivery.attempts,
                started_at=delivery.claimed_at,
                finished_at=now,
                duration_ms=int((now - delivery.claimed_at).total_seconds() * 1000),
                outcome="lease_expired",
                error="发送中断（进程退出或超时未回报），已重新发送",
                worker=worker,
            )
        )
    session.flush()
    message = Message(
        delivery_id=delivery.id,
        platform=delivery.platform,
        kind=delivery.kind,
        object_type=delivery.object_type,
        object_id=delivery.object_id,
        record_type=delivery.record_type,
        payload=dict(delivery.payload),
    )
    return Claim(message=message, token=token, attempt=attempt, claimed_at=now)


def claim_due(
    session: Session,
    platforms: Platforms,
    *,
    now: datetime,
    worker: str,
    limit: int = DEFAULT_BATCH,
) -> list[Claim]:
    """Claim up to ``limit`` due deliveries in the caller's transaction (commit before sending)."""
    take_write_lock(session, SyncDelivery.__table__)
    claims = []
    for delivery in due_deliveries(session, platforms, now=now, limit=limit):
        claim = try_claim(session, delivery, now=now, worker=worker)
        if claim is not None:
            claims.append(claim)
    return claims


def record_outcome(
    session: Session,
    platforms: Platforms,
    *,
    claim: Claim,
    outcome: Outcome,
    now: datetime,
    worker: str,
    rng: random.Random | None = None,
) -> bool:
    """Log the attempt and move the delivery: acknowledged (whoever holds the claim: the
    platform has it), or back to pending/failing with the next try after a backoff — only if
    this worker still holds the claim. Returns whether the delivery moved."""
    session.add(
        SyncAttempt(
            delivery_id=claim.message.delivery_id,
            number=claim.attempt,
            started_at=claim.claimed_at,
            finished_at=now,
            duration_ms=outcome.duration_ms,
            outcome=outcome.outcome,
            http_status=outcome.http_status,
            error=outcome.error,
            worker=worker,
        )
    )
    session.flush()
    base = update(SyncDelivery).execution_options(synchronize_session=False)
    if outcome.acknowledged:
        stmt = base.where(
            SyncDelivery.id == claim.message.delivery_id,
            SyncDelivery.status != S.ACKNOWLEDGED.value,
        ).values(
            status=S.ACKNOWLEDGED.value,
            acknowledged_at=now,
            receipt=outcome.receipt,
            last_error=None,
            claim_token=None,
            version=SyncDelivery.version + 1,
        )
    else:
        status = after_failure(claim.attempt, failing_after=platforms.failing_after)
        stmt = base.where(
            SyncDelivery.id == claim.message.delivery_id,
            SyncDelivery.status == S.SENDING.value,
            SyncDelivery.claim_token == claim.token,
        ).values(
            status=status.value,
            next_attempt_at=now + backoff(claim.attempt, rng=rng),
            last_error=outcome.error,
            claim_token=None,
            version=SyncDelivery.version + 1,
        )
    # An UPDATE gives a CursorResult; Session.execute is typed for any statement.
    return cast("CursorResult[Any]", session.execute(stmt)).rowcount == 1


def build_adapters(platforms: Platforms) -> dict[str, Adapter]:
    """One adapter per configured platform."""
    return {p.id: build_adapter(p) for p in platforms.items}


def _send(adapter: Adapter | None, message: Message) -> Outcome:
    if adapter is None:
        return Outcome("error", 0, error=f"平台 {message.platform} 未配置")
    try:
        return adapter.deliver(message)
    except Exception as exc:  # an adapter bug must not stop the worker or lose the delivery
        log.exception("sync adapter failed for delivery %s", message.delivery_id)
        return Outcome("error", 0, error=f"发送异常：{exc!r}"[:500])


def run_once(
    engine: Engine,
    platforms: Platforms,
    adapters: Mapping[str, Adapter],
    *,
    clock: Callable[[], datetime],
    worker: str | None = None,
    limit: int = DEFAULT_BATCH,
    rng: random.Random | None = None,
) -> RunSummary:
    """One pass: claim (committed), send each, record each outcome in its own transaction."""
    name = worker or default_worker_name()
    with unit_of_work(engine) as session:
        claims = claim_due(session, platforms, now=clock(), worker=name, limit=limit)
    summary = RunSummary(claimed=len(claims))
    for claim in claims:
        outcome = _send(adapters.get(claim.message.platform), claim.message)
        with unit_of_work(engine) as session:
            record_outcome(
                session, platforms, claim=claim, outcome=outcome, now=clock(), worker=name, rng=rng
            )
        if outcome.acknowledged:
            summary.acknowledged += 1
        else:
            summary.failed += 1
    return summary


def run_forever(
    engine: Engine,
    platforms: Platforms,
    adapters: Mapping[str, Adapter],
    *,
    clock: Callable[[], datetime],
    interval: float,
    stop: threading.Event,
    on_pass: Callable[[RunSummary], None] | None = None,
) -> None:
    """Pass after pass until ``stop`` is set; a full batch goes again without waiting."""
    while not stop.is_set():
        try:
            summary = run_once(engine, platforms, adapters, clock=clock)
        except Exception:  # the database may be briefly unavailable: try again next pass
            log.exception("sync worker pass failed")
            summary = RunSummary()
        if on_pass is not None:
            on_pass(summary)
        if summary.claimed < DEFAULT_BATCH:
            stop.wait(interval)
