"""The outbox: results to deliver are written in the caller's own transaction (the repair
decision), one row per platform that publishes the record's type; a worker sends them after
commit. A rolled-back decision leaves nothing behind."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.kit.clock import local_date
from xinyong.sync.models import SyncDelivery
from xinyong.sync.platforms import Platforms
from xinyong.sync.workflow import DeliveryStatus
from xinyong.workdays.service import work_calendar

# DOMAIN.md decision 9 / §3.5: display stops on every platform within 3 working days.
DELIVERY_WORKDAYS: Final = 3


class SyncOutbox:
    """Satisfies ``xinyong.repair.setup.Outbox`` for the configured platforms."""

    def __init__(self, platforms: Platforms) -> None:
        self.platforms = platforms

    def enqueue(
        self,
        session: Session,
        *,
        kind: str,
        object_type: str,
        object_id: int,
        payload: dict[str, Any],
        record_type: str,
        now: datetime,
        sector: str | None = None,
    ) -> list[SyncDelivery]:
        """Queue one delivery per applicable platform, due now, to be acknowledged within
        3 working days of today. Idempotent: a delivery already queued for the same
        (platform, object, kind) is returned as it is, never queued or sent again."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        today = local_date(now)
        due = work_calendar(session).add_workdays(today, DELIVERY_WORKDAYS)
        existing = {
            d.platform: d
            for d in session.scalars(
                select(SyncDelivery).where(
                    SyncDelivery.object_type == object_type,
                    SyncDelivery.object_id == object_id,
                    SyncDelivery.kind == kind,
                )
            )
        }
        out: list[SyncDelivery] = []
        for platform in self.platforms.for_record_type(record_type, sector):
            found = existing.get(platform.id)
            if found is not None:
                out.append(found)
                continue
            delivery = SyncDelivery(
                platform=platform.id,
                kind=kind,
                object_type=object_type,
                object_id=object_id,
                record_type=record_type,
                payload=payload,
                status=DeliveryStatus.PENDING.value,
                attempts=0,
                created_at=now,
                due_on=due.due,
                due_provisional=due.provisional,
                next_attempt_at=now,
                version=1,
            )
            session.add(delivery)
            out.append(delivery)
        session.flush()
        return out
