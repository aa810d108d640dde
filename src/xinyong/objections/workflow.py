"""The objection state machine: one table of allowed moves, and the pure guards of a decision.

Only the record's subject (信息主体) flags at once: the subject's objection is filed ``open``
and its record is marked 异议处理中 the same moment. A third party's objection (anyone with
evidence, on penalty information) is filed ``received`` (待受理) and flags nothing until the
providing department has looked at the evidence: it ``accept``s it as substantiated (→ ``open``,
the record flagged, the decision due from that day) or ``dismiss``es it with reasons (closed,
the record never flagged). An ``open`` objection is decided once: ``corrected`` (the record
gets a corrected version), ``withdrawn`` (the record is revoked and leaves publicity; also
possible straight from ``received`` when the evidence is conclusive, and how every pending
objection on a withdrawn record closes) or ``upheld`` (不予更正, reasons mandatory).
Moves are compare-and-set on the objection's ``version``: of two reviewers deciding at once,
exactly one wins and the other gets 409.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Final


class ObjectionStatus(StrEnum):
    RECEIVED = "received"
    OPEN = "open"
    CORRECTED = "corrected"
    WITHDRAWN = "withdrawn"
    UPHELD = "upheld"
    DISMISSED = "dismissed"


class ObjectionAction(StrEnum):
    ACCEPT = "accept"
    DISMISS = "dismiss"
    CORRECT = "correct"
    WITHDRAW = "withdraw"
    UPHOLD = "uphold"


class Grounds(StrEnum):
    """What is objected to (国办发〔2025〕22号: 公示内容、公示期限、修复结果)."""

    CONTENT = "content"
    PUBLICITY_PERIOD = "publicity_period"
    REPAIR_RESULT = "repair_result"


OPEN: Final = ObjectionStatus.OPEN
RECEIVED: Final = ObjectionStatus.RECEIVED
# Waiting for the providing department (acceptance or decision): the working queue.
PENDING: Final = frozenset({ObjectionStatus.RECEIVED, ObjectionStatus.OPEN})

TRANSITIONS: Final[Mapping[tuple[ObjectionStatus, ObjectionAction], ObjectionStatus]] = {
    (ObjectionStatus.RECEIVED, ObjectionAction.ACCEPT): ObjectionStatus.OPEN,
    (ObjectionStatus.RECEIVED, ObjectionAction.DISMISS): ObjectionStatus.DISMISSED,
    (ObjectionStatus.RECEIVED, ObjectionAction.WITHDRAW): ObjectionStatus.WITHDRAWN,
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

# The acceptance outcome a reviewer names for a third party's objection, and its action.
ACCEPTANCE_ACTIONS: Final[Mapping[str, ObjectionAction]] = {
    "accepted": ObjectionAction.ACCEPT,
    ObjectionStatus.DISMISSED.value: ObjectionAction.DISMISS,
}

TERMINAL: Final = frozenset(
    {
        ObjectionStatus.CORRECTED,
        ObjectionStatus.WITHDRAWN,
        ObjectionStatus.UPHELD,
        ObjectionStatus.DISMISSED,
    }
)

STATUS_LABELS: Final[Mapping[str, str]] = {
    ObjectionStatus.RECEIVED: "待受理",
    ObjectionStatus.OPEN: "异议处理中",
    ObjectionStatus.CORRECTED: "已更正",
    ObjectionStatus.WITHDRAWN: "已删除（撤销公示）",
    ObjectionStatus.UPHELD: "不予更正",
    ObjectionStatus.DISMISSED: "不予受理",
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


def initial_status(*, by_subject: bool) -> ObjectionStatus:
    """Only the subject's own objection flags the record at once; a third party's waits for
    the providing department to accept it as substantiated."""
    return ObjectionStatus.OPEN if by_subject else ObjectionStatus.RECEIVED


def step_due(
    status: str, *, accept_due_on: date | None, decision_due_on: date | None
) -> date | None:
    """The deadline of the step the objection waits in: acceptance while received, the
    decision while open; None once closed."""
    if status == ObjectionStatus.RECEIVED:
        return accept_due_on
    if status == ObjectionStatus.OPEN:
        return decision_due_on
    return None


def is_overdue(due_on: date | None, today: date) -> bool:
    """Past the deadline of its current step (the deadline day itself is still in time)."""
    return due_on is not None and due_on < today


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


def acceptance_problem(action: ObjectionAction, *, reason: str | None) -> tuple[str, str] | None:
    """What is missing from an acceptance, as (field, Chinese message); None when complete.

    Dismissing a third party's objection must give reasons, as any refusal does."""
    if action is ObjectionAction.DISMISS and not (reason or "").strip():
        return "reason", "不予受理须说明理由"
    return None
