"""Reading and nudging deliveries: lists with the overdue flag, one delivery with its attempts,
an admin's retry, and the platforms with their backlog. Services flush, never commit."""

from __future__ import annotations

from datetime import date, datetime
from typing import Final

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from xinyong.accounts.principal import Principal
from xinyong.audit import service as audit
from xinyong.errors import Unauthorized
from xinyong.kit.clock import local_date
from xinyong.sync.errors import AdminOnly, DeliveryNotFound, ReadDenied
from xinyong.sync.models import SyncAttempt, SyncDelivery
from xinyong.sync.platforms import Platforms
from xinyong.sync.schemas import AttemptRead, DeliveryDetail, DeliveryRead, PlatformRead
from xinyong.sync.workflow import DELIVERY, STATUS_LABELS, DeliveryAction, DeliveryStatus
from xinyong.workflow import move

MAX_LIST: Final = 500


def _require_read(principal: Principal) -> None:
    if principal.is_anonymous:
        raise Unauthorized()
    if not principal.is_internal:
        raise ReadDenied()


def is_overdue(delivery: SyncDelivery, *, today: date) -> bool:
    """Overdue: not acknowledged by the platform and today is past ``due_on`` (decision 9)."""
    return delivery.status != DeliveryStatus.ACKNOWLEDGED and today > delivery.due_on


def _overdue_clause(today: date) -> ColumnElement[bool]:
    return and_(
        SyncDelivery.status != DeliveryStatus.ACKNOWLEDGED.value, SyncDelivery.due_on < today
    )


def _read(d: SyncDelivery, platforms: Platforms, today: date) -> DeliveryRead:
    platform = platforms.get(d.platform)
    status = DeliveryStatus(d.status)
    return DeliveryRead(
        id=d.id,
        platform=d.platform,
        platform_name=platform.name if platform else f"{d.platform}（未配置）",
        kind=d.kind,
        object_type=d.object_type,
        object_id=d.object_id,
        record_type=d.record_type,
        status=status.value,
        status_label=STATUS_LABELS[status],
        attempts=d.attempts,
        created_at=d.created_at,
        due_on=d.due_on,
        due_provisional=d.due_provisional,
        overdue=is_overdue(d, today=today),
        next_attempt_at=None if status == DeliveryStatus.ACKNOWLEDGED else d.next_attempt_at,
        acknowledged_at=d.acknowledged_at,
        last_error=d.last_error,
    )


def list_deliveries(
    session: Session,
    platforms: Platforms,
    *,
    principal: Principal,
    status: DeliveryStatus | None,
    platform: str | None,
    overdue: bool | None,
    now: datetime,
    limit: int = 100,
) -> list[DeliveryRead]:
    """Deliveries newest first, filtered; ``overdue`` true/false filters on the flag."""
    _require_read(principal)
    today = local_date(now)
    stmt = select(SyncDelivery)
    if status is not None:
        stmt = stmt.where(SyncDelivery.status == status.value)
    if platform is not None:
        stmt = stmt.where(SyncDelivery.platform == platform)
    if overdue is True:
        stmt = stmt.where(_overdue_clause(today))
    elif overdue is False:
        stmt = stmt.where(~_overdue_clause(today))
    stmt = stmt.order_by(SyncDelivery.id.desc()).limit(min(limit, MAX_LIST))
    found = [_read(d, platforms, today) for d in session.scalars(stmt)]
    audit.record(
        session,
        actor=principal.actor,
        actor_role=principal.role_name,
        action="sync.deliveries_read",
        object_type="sync_delivery",
        object_id=None,
        detail={
            "status": status.value if status else None,
            "platform": platform,
            "overdue": overdue,
            "listed": len(found),
        },
        now=now,
    )
    return found


def read_delivery(
    session: Session,
    platforms: Platforms,
    *,
    principal: Principal,
    delivery_id: int,
    now: datetime,
) -> DeliveryDetail:
    """One delivery with its payload, receipt and every attempt in order."""
    _require_read(principal)
    d = session.get(SyncDelivery, delivery_id)
    if d is None:
        raise DeliveryNotFound()
    attempts = session.scalars(
        select(SyncAttempt)
        .where(SyncAttempt.delivery_id == delivery_id)
        .order_by(SyncAttempt.number, SyncAttempt.id)
    )
    base = _read(d, platforms, local_date(now))
    # The payload carries the record as sent to the platforms: a non-public read.
    audit.record(
        session,
        actor=principal.actor,
        actor_role=principal.role_name,
        action="sync.delivery_read",
        object_type="sync_delivery",
        object_id=d.id,
        detail={"platform": d.platform},
        now=now,
    )
    return DeliveryDetail(
        **base.model_dump(),
        payload=d.payload,
        receipt=d.receipt,
        attempt_log=[AttemptRead.model_validate(a, from_attributes=True) for a in attempts],
    )


def retry(
    session: Session,
    platforms: Platforms,
    *,
    principal: Principal,
    delivery_id: int,
    now: datetime,
) -> DeliveryDetail:
    """Make a pending or failing delivery due now (after fixing the platform's side)."""
    if principal.is_anonymous:
        raise Unauthorized()
    if not principal.is_admin:
        raise AdminOnly()
    d = session.get(SyncDelivery, delivery_id)
    if d is None:
        raise DeliveryNotFound()
    # 409 when acknowledged (never sent twice) or being sent (its outcome decides).
    move(session, DELIVERY, d, DeliveryAction.RETRY, values={"next_attempt_at": now})
    audit.record(
        session,
        actor=principal.actor,
        actor_role=principal.role_name,
        action="sync.retry",
        object_type="sync_delivery",
        object_id=d.id,
        detail={"platform": d.platform, "status": d.status, "attempts": d.attempts},
        now=now,
    )
    return read_delivery(session, platforms, principal=principal, delivery_id=d.id, now=now)


def list_platforms(
    session: Session, platforms: Platforms, *, principal: Principal, now: datetime
) -> list[PlatformRead]:
    """The configured platforms with their unacknowledged and overdue deliveries."""
    _require_read(principal)
    today = local_date(now)
    open_clause = SyncDelivery.status != DeliveryStatus.ACKNOWLEDGED.value
    counts = {
        row.platform: (row.open, row.overdue)
        for row in session.execute(
            select(
                SyncDelivery.platform,
                func.count().label("open"),
                func.count().filter(SyncDelivery.due_on < today).label("overdue"),
            )
            .where(open_clause)
            .group_by(SyncDelivery.platform)
        )
    }
    return [
        PlatformRead(
            id=p.id,
            name=p.name,
            adapter=p.kind,
            target=p.url if p.url is not None else str(p.directory),  # only webhooks have one
            record_types=sorted(p.record_types) if p.record_types is not None else None,
            reference=p.reference,
            unacknowledged=counts.get(p.id, (0, 0))[0],
            overdue=counts.get(p.id, (0, 0))[1],
        )
        for p in platforms.items
    ]
