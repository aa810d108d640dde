"""Delivery statuses and the one table of allowed moves.

pending → sending (claimed by a worker) → acknowledged, or back to pending / failing (after
``failing_after`` attempts) to be retried with backoff; failing keeps retrying, never gives up.
A claim left in ``sending`` past its lease (worker killed) may be claimed again.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import timedelta
from enum import StrEnum
from typing import Final


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
TRANSITIONS: Final[Mapping[tuple[DeliveryStatus, DeliveryAction], frozenset[DeliveryStatus]]] = {
    (S.PENDING, A.CLAIM): frozenset({S.SENDING}),
    (S.FAILING, A.CLAIM): frozenset({S.SENDING}),
    (S.SENDING, A.RECLAIM): frozenset({S.SENDING}),
    (S.SENDING, A.ACK): frozenset({S.ACKNOWLEDGED}),
    (S.SENDING, A.FAIL): frozenset({S.PENDING, S.FAILING}),
    (S.PENDING, A.RETRY): frozenset({S.PENDING}),
    (S.FAILING, A.RETRY): frozenset({S.FAILING}),
}

STATUS_LABELS: Final = {
    S.PENDING: "待发送",
    S.SENDING: "发送中",
    S.FAILING: "多次失败（持续重试）",
    S.ACKNOWLEDGED: "平台已确认",
}

BACKOFF_BASE: Final = timedelta(minutes=1)
BACKOFF_CAP: Final = timedelta(hours=1)


def allowed(status: DeliveryStatus, action: DeliveryAction) -> frozenset[DeliveryStatus]:
    """Statuses ``action`` may lead to from ``status``; empty when not allowed."""
    return TRANSITIONS.get((status, action), frozenset())


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
