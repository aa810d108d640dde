"""The objection state machine: one table of allowed moves, and the pure guards of a decision.

An objection is filed ``open`` (and its record flagged 异议处理中 at once); the providing
department decides it once: ``corrected`` (the record gets a corrected version), ``withdrawn``
(the record is revoked and leaves publicity) or ``upheld`` (不予更正, reasons mandatory).
Moves are compare-and-set on the objection's ``version``: of two reviewers deciding at once,
exactly one wins and the other gets 409.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Final


class ObjectionStatus(StrEnum):
    OPEN = "open"
    CORRECTED = "corrected"
    WITHDRAWN = "withdrawn"
    UPHELD = "upheld"


class ObjectionAction(StrEnum):
    CORRECT = "correct"
    WITHDRAW = "withdraw"
    UPHOLD = "uphold"


class Grounds(StrEnum):
    """What is objected to (国办发〔2025〕22号: 公示内容、公示期限、修复结果)."""

    CONTENT = "content"
    PUBLICITY_PERIOD = "publicity_period"
    REPAIR_RESULT = "repair_result"


OPEN: Final = ObjectionStatus.OPEN

TRANSITIONS: Final[Mapping[tuple[ObjectionStatus, ObjectionAction], ObjectionStatus]] = {
    (ObjectionStatus.OPEN, ObjectionAction.CORRECT): ObjectionStatus.CORRECTED,
    (ObjectionStatus.OPEN, ObjectionAction.WITHDRAW): ObjectionStatus.WITHDRAWN,
    (ObjectionStatus.OPEN, ObjectionAction.UPHOLD): ObjectionStatus.UPHELD,
}

# The decision outcome a reviewer names, and the action it takes.
OUTCOME_ACTIONS: Final[Mapping[str, ObjectionAction]] = {
    ObjectionStatus.CORRECTED.value: ObjectionAction.CORRECT,
    ObjectionStatus.WITHDRAWN.value: ObjectionAction.WITHDRAW,
    ObjectionStatus.UPHELD.value: ObjectionAction.UPHOLD,
}

TERMINAL: Final = frozenset(
    {ObjectionStatus.CORRECTED, ObjectionStatus.WITHDRAWN, ObjectionStatus.UPHELD}
)

STATUS_LABELS: Final[Mapping[str, str]] = {
    ObjectionStatus.OPEN: "异议处理中",
    ObjectionStatus.CORRECTED: "已更正",
    ObjectionStatus.WITHDRAWN: "已删除（撤销公示）",
    ObjectionStatus.UPHELD: "不予更正",
}

GROUNDS_LABELS: Final[Mapping[str, str]] = {
    Grounds.CONTENT: "信息内容有误",
    Grounds.PUBLICITY_PERIOD: "公示期限有误",
    Grounds.REPAIR_RESULT: "对信用修复结果有异议",
}


def target(current: str, action: ObjectionAction) -> ObjectionStatus | None:
    """Where ``action`` takes an objection in ``current``; None when the table forbids it."""
    try:
        status = ObjectionStatus(current)
    except ValueError:
        return None
    return TRANSITIONS.get((status, action))


def allowed_actions(current: str) -> list[ObjectionAction]:
    """The actions a reviewer may take now (pages build their buttons from this)."""
    return [a for (s, a) in TRANSITIONS if s.value == current]


def is_overdue(status: str, decision_due_on: date, today: date) -> bool:
    """Open past its decision deadline (the deadline day itself is still in time)."""
    return status == ObjectionStatus.OPEN and decision_due_on < today


def decision_problem(
    action: ObjectionAction, *, reason: str | None, corrected: Mapping[str, object] | None
) -> tuple[str, str] | None:
    """What is missing from a decision, as (field, Chinese message); None when complete.

    不予更正 must give reasons (上海市社会信用条例 第三十六条: 书面答复并说明理由);
    更正 must say what the corrected values are."""
    if action is ObjectionAction.UPHOLD and not (reason or "").strip():
        return "reason", "不予更正须说明理由"
    if action is ObjectionAction.CORRECT and not corrected:
        return "corrected", "更正须提供更正后的字段值"
    if action is ObjectionAction.UPHOLD and corrected:
        return "corrected", "不予更正的决定不能提供更正后的字段值"
    return None
