"""Transition tables of repair: every allowed move, and nothing else.

Moves are applied by compare-and-set (``UPDATE … WHERE id = :id AND version = :seen``); a move
not in the table, or one that lost a race, raises 409.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

# Review task of one department.
TASK_PENDING: Final = "pending"
TASK_SUPPLEMENT: Final = "supplement_requested"
TASK_DECIDED: Final = "decided"
TASK_EXPIRED: Final = "expired"

# (status, action) → status, as in every workflow of xinyong (STYLE.md).
Moves = Mapping[tuple[str, str], str]

TASK_MOVES: Final[Moves] = {
    (TASK_PENDING, "decide"): TASK_DECIDED,
    (TASK_PENDING, "request_supplement"): TASK_SUPPLEMENT,
    (TASK_SUPPLEMENT, "supplement"): TASK_PENDING,
    (TASK_SUPPLEMENT, "expire"): TASK_EXPIRED,
}

# One record of an application.
ITEM_PENDING: Final = "pending"
ITEM_APPROVED: Final = "approved"
ITEM_REJECTED: Final = "rejected"
ITEM_EXPIRED: Final = "expired"

ITEM_MOVES: Final[Moves] = {
    (ITEM_PENDING, "approve"): ITEM_APPROVED,
    (ITEM_PENDING, "reject"): ITEM_REJECTED,
    (ITEM_PENDING, "expire"): ITEM_EXPIRED,
}

# The application's status aggregates its tasks and items (never set by hand).
APP_IN_REVIEW: Final = "in_review"
APP_SUPPLEMENT: Final = "supplement_requested"
APP_APPROVED: Final = "approved"
APP_PARTIAL: Final = "partially_approved"
APP_REJECTED: Final = "rejected"
APP_EXPIRED: Final = "expired"
APP_OPEN: Final = frozenset({APP_IN_REVIEW, APP_SUPPLEMENT})

STATUS_LABELS: Final = {
    APP_IN_REVIEW: "审核中",
    APP_SUPPLEMENT: "待补正材料",
    APP_APPROVED: "已修复",
    APP_PARTIAL: "部分修复",
    APP_REJECTED: "不予修复",
    APP_EXPIRED: "逾期未补正，已终止",
    TASK_PENDING: "待审核",
    TASK_DECIDED: "已决定",
    ITEM_APPROVED: "准予修复",
    ITEM_REJECTED: "不予修复",
}


def target(table: Moves, action: str, current: str) -> str | None:
    """Where ``action`` takes a task or item in ``current``; None when the table forbids it."""
    return table.get((current, action))


def aggregate(task_statuses: list[str], item_statuses: list[str]) -> str:
    """The application's status from its tasks and items."""
    if any(s == TASK_SUPPLEMENT for s in task_statuses):
        return APP_SUPPLEMENT
    if any(s == ITEM_PENDING for s in item_statuses):
        return APP_IN_REVIEW
    approved = sum(s == ITEM_APPROVED for s in item_statuses)
    if approved == len(item_statuses):
        return APP_APPROVED
    if approved:
        return APP_PARTIAL
    if all(s == ITEM_EXPIRED for s in item_statuses):
        return APP_EXPIRED
    return APP_REJECTED
