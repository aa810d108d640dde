"""Delivery statuses and the one table of allowed moves (``DELIVERY``).

pending → sending (claimed by a worker) → acknowledged, or back to pending / failing (after
``failing_after`` attempts) to be retried with backoff; failing keeps retrying, never gives up.
A claim left in ``sending`` past its lease (worker killed) may be claimed again.
"""

from __future__ import annotations

import random
from datetime import timedelta
from enum import StrEnum
from typing import Final

from xinyong.errors import XinyongError
from xinyong.sync.errors import AlreadyAcknowledged, NowSending
from xinyong.workflow import Workflow


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    FAILING = "failing"
    ACKNOWLEDGED = "acknowledged"


class DeliveryAction(StrEnum):
    CLAIM = "claim"
    RECLAIM = "reclaim"  # the lease of a sending claim expired
    ACK = "ack"
    FAIL = "fail"
    RETRY = "retry"  # an admin makes it due now


S, A = DeliveryStatus, DeliveryAction

STATUS_LABELS: Final = {
    S.PENDING: "待发送",
    S.SENDING: "发送中",
    S.FAILING: "多次失败（持续重试）",
    S.ACKNOWLEDGED: "平台已确认",
}


def _refused(current: DeliveryStatus | str, action: DeliveryAction) -> XinyongError:
    # Only an admin's retry is refused to a person: an acknowledged delivery is never sent
    # again, and one being sent waits for its outcome. The worker never shows its refusals.
    return AlreadyAcknowledged() if current == S.ACKNOWLEDGED else NowSending()


# A failed attempt leads back to pending, or to failing once the attempts reach the threshold
# (``after_failure`` names which). The platform's acknowledgement counts whoever holds the
# claim: a late one from a worker whose lease expired still stops the retries.
DELIVERY: Final = Workflow(
    name="sync_delivery",
    statuses=DeliveryStatus,
    moves={
        (S.PENDING, A.CLAIM): S.SENDING,
        (S.FAILING, A.CLAIM): S.SENDING,
        (S.SENDING, A.RECLAIM): S.SENDING,
        (S.SENDING, A.ACK): S.ACKNOWLEDGED,
        (S.PENDING, A.ACK): S.ACKNOWLEDGED,
        (S.FAILING, A.ACK): S.ACKNOWLEDGED,
        (S.SENDING, A.FAIL): frozenset({S.PENDING, S.FAILING}),
        (S.PENDING, A.RETRY): S.PENDING,
        (S.FAILING, A.RETRY): S.FAILING,
    },
    terminal=frozenset({S.ACKNOWLEDGED}),
    refused=_refused,
    lost=NowSending,
    labels=STATUS_LABELS,
)

BACKOFF_BASE: Final = timedelta(minutes=1)
BACKOFF_CAP: Final = timedelta(hours=1)


def after_failure(attempts: int, *, failing_after: int) -> DeliveryStatus:
    """Status after a failed attempt: ``failing`` once ``attempts`` reach the threshold."""
    return S.FAILING if attempts >= failing_after else S.PENDING


def backoff(
    attempts: int,
    *,
    rng: random.Random | None = None,
    base: timedelta = BACKOFF_BASE,
    cap: timedelta = BACKOFF_CAP,
) -> timedelta:
    """Wait before the next try: base doubling per attempt up to ``cap``, with "equal jitter"
    (half fixed, half random) so that a recovering platform is not hit by every worker at once."""
    exponent = max(attempts - 1, 0)
    ceiling = cap if exponent >= 30 else min(cap, base * (2**exponent))
    r = (rng or random).random()
    return ceiling / 2 + (ceiling / 2) * r
