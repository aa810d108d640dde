"""The objection state machine and the pure rules around it: who may object to what, what an
acceptance or a decision must carry, and when each step is due.

Only the record's subject (信息主体) flags at once: the subject's objection is filed ``open``
and its record is marked 异议处理中 the same moment. A third party's objection (anyone with
evidence, on penalty information) is filed ``received`` (待受理) and flags nothing until the
providing department has looked at the evidence: it ``accept``s it as substantiated (→ ``open``,
the record flagged, the decision due from that day) or ``dismiss``es it with reasons (closed,
the record never flagged). An ``open`` objection is decided once: ``corrected`` (the record
gets a corrected version), ``withdrawn`` (the record is revoked and leaves publicity; also
possible straight from ``received`` when the evidence is conclusive, and how every pending
objection on a withdrawn record closes) or ``upheld`` (不予更正, reasons mandatory).
Moves go through :func:`xinyong.workflow.move`, compare-and-set on the objection's
``version``: of two reviewers deciding at once, exactly one wins and the other gets 409.

The guards below read facts (who files, the record's state, the decision's content, a
calendar and a day), never the database or the clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Final

from xinyong.accounts.models import Role
from xinyong.accounts.principal import Principal
from xinyong.catalog.validation import ID_NUMBER
from xinyong.errors import XinyongError
from xinyong.kit.clock import WorkCalendar, local_date
from xinyong.objections.errors import (
    Conflict,
    EvidenceRequired,
    InvalidInput,
    NotAccepted,
    NotAwaitingAcceptance,
    NotOwnRecord,
    RecordNotFound,
    RecordRepaired,
    RecordRevoked,
    SubjectOnly,
)
from xinyong.workflow import Moved, Workflow


class ObjectionStatus(StrEnum):
    RECEIVED = "received"
    OPEN = "open"
    CORRECTED = "corrected"
    WITHDRAWN = "withdrawn"
    UPHELD = "upheld"
    DISMISSED = "dismissed"


class ObjectionAction(StrEnum):
    # Filing creates the objection (its first event); it is no move of the table.
    FILE = "file"
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


# Waiting for the providing department (acceptance or decision): the working queue.
PENDING: Final = frozenset({ObjectionStatus.RECEIVED, ObjectionStatus.OPEN})

STATUS_LABELS: Final[Mapping[ObjectionStatus, str]] = {
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


def _refused(current: object, action: object) -> XinyongError:
    # The objection was decided (or accepted) before this reviewer's page was refreshed.
    return Conflict()


OBJECTION: Final = Workflow(
    name="objection",
    statuses=ObjectionStatus,
    moves={
        (ObjectionStatus.RECEIVED, ObjectionAction.ACCEPT): ObjectionStatus.OPEN,
        (ObjectionStatus.RECEIVED, ObjectionAction.DISMISS): ObjectionStatus.DISMISSED,
        (ObjectionStatus.RECEIVED, ObjectionAction.WITHDRAW): ObjectionStatus.WITHDRAWN,
        (ObjectionStatus.OPEN, ObjectionAction.CORRECT): ObjectionStatus.CORRECTED,
        (ObjectionStatus.OPEN, ObjectionAction.WITHDRAW): ObjectionStatus.WITHDRAWN,
        (ObjectionStatus.OPEN, ObjectionAction.UPHOLD): ObjectionStatus.UPHELD,
    },
    terminal=frozenset(
        {
            ObjectionStatus.CORRECTED,
            ObjectionStatus.WITHDRAWN,
            ObjectionStatus.UPHELD,
            ObjectionStatus.DISMISSED,
        }
    ),
    refused=_refused,
    lost=Conflict,
    labels=STATUS_LABELS,
)

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

# Information anyone may object to with evidence (市场监管总局令第45号 第十二条).
OPEN_TO_ANYONE: Final = frozenset({"administrative_penalty"})


def grounds_label(grounds: str) -> str:
    return GROUNDS_LABELS.get(grounds, grounds)


# --- who may object to what ------------------------------------------------------------------


def is_subject(principal: Principal, subject_id: int) -> bool:
    """Whether the caller is the subject (信息主体) itself: its enterprise account."""
    return principal.role is Role.ENTERPRISE and principal.subject_id == subject_id


def filing_refusal(
    *,
    by_subject: bool,
    grounds: Grounds,
    record_type: str,
    visible: bool,
    revoked: bool,
    repaired: bool,
    evidence_files: int,
) -> XinyongError | None:
    """Why this objection may not be filed; None when it may.

    The subject objects to a record's content, its publicity period or (after a refused
    repair) the repair result. Anyone else only to the content of penalty information it can
    see (public, or internal staff), and only with evidence (市场监管总局令第45号 第十二条).
    Nobody objects to a revoked record, nor to the content or period of a repaired one (it is
    no longer publicised; what is left to dispute is the repair result)."""
    if not by_subject:
        if record_type not in OPEN_TO_ANYONE:
            return NotOwnRecord()
        if not visible:
            return RecordNotFound()  # not public: a third party cannot know it exists
        if grounds is not Grounds.CONTENT:
            return SubjectOnly(GROUNDS_LABELS[grounds])
    if revoked:
        return RecordRevoked()
    if repaired and grounds is not Grounds.REPAIR_RESULT:
        return RecordRepaired()
    if not by_subject and evidence_files == 0:
        return EvidenceRequired()
    return None


def filed(*, by_subject: bool) -> Moved[ObjectionStatus, ObjectionAction]:
    """Filing, as the objection's first event: only the subject's own objection flags the
    record at once (open); a third party's waits for the providing department to accept it
    as substantiated (received)."""
    status = ObjectionStatus.OPEN if by_subject else ObjectionStatus.RECEIVED
    return Moved(action=ObjectionAction.FILE, from_status=None, to_status=status)


# --- what an acceptance or a decision must carry --------------------------------------------


def acceptance_refusal(
    status: str, action: ObjectionAction, *, reason: str | None
) -> XinyongError | None:
    """Why this acceptance cannot be made; None when it can. Dismissing a third party's
    objection must give reasons, as any refusal does; only an objection still awaiting
    acceptance (received) is accepted or dismissed."""
    if action is ObjectionAction.DISMISS and not (reason or "").strip():
        return InvalidInput("reason", "不予受理须说明理由", "objection.reason_required")
    if status != ObjectionStatus.RECEIVED:
        return NotAwaitingAcceptance()
    return None


def decision_refusal(
    status: str,
    action: ObjectionAction,
    *,
    reason: str | None,
    corrected: Mapping[str, object] | None,
) -> XinyongError | None:
    """Why this decision cannot be made; None when it can.

    不予更正 must give reasons (上海市社会信用条例 第三十六条: 书面答复并说明理由) and no
    corrected values; 更正 must say what the corrected values are; 删除 corrects nothing but a
    person's ID number. A third party's objection is corrected or upheld only once accepted
    (删除 is possible before, when the evidence is conclusive)."""
    if action is ObjectionAction.UPHOLD and not (reason or "").strip():
        return InvalidInput("reason", "不予更正须说明理由", "objection.reason_required")
    if action is ObjectionAction.CORRECT and not corrected:
        return InvalidInput("corrected", "更正须提供更正后的字段值", "objection.corrected_required")
    if action is ObjectionAction.UPHOLD and corrected:
        return InvalidInput(
            "corrected",
            "不予更正的决定不能提供更正后的字段值",
            "objection.corrected_required",
        )
    # The one field a withdrawal may still correct: a person's ID number, kept only masked.
    if action is ObjectionAction.WITHDRAW and set(corrected or {}) - {ID_NUMBER}:
        return InvalidInput("corrected", "删除（撤销公示）时不能更正其他字段")
    if status == ObjectionStatus.RECEIVED and OBJECTION.target(status, action) is None:
        return NotAccepted()
    return None


# --- when each step is due -------------------------------------------------------------------


def flagging_due(
    calendar: WorkCalendar, day: date, *, flag_workdays: int, decision_workdays: int
) -> dict[str, object]:
    """The deadlines of an objection flagged on ``day``: flag (met at once) and decision,
    counted in working days; provisional when the holiday calendar is not yet published."""
    flag = calendar.add_workdays(day, flag_workdays)
    decision = calendar.add_workdays(day, decision_workdays)
    return {
        "flag_due_on": flag.due,
        "decision_due_on": decision.due,
        "due_provisional": flag.provisional or decision.provisional,
    }


def first_step(
    calendar: WorkCalendar,
    *,
    by_subject: bool,
    now: datetime,
    flag_workdays: int,
    decision_workdays: int,
    acceptance_workdays: int,
) -> dict[str, object]:
    """Status and deadlines at filing: the subject's objection is flagged now and due for
    decision; a third party's is due for acceptance and flags nothing yet."""
    status = filed(by_subject=by_subject).to_status
    day = local_date(now)
    if status is ObjectionStatus.OPEN:
        due = flagging_due(
            calendar, day, flag_workdays=flag_workdays, decision_workdays=decision_workdays
        )
        return {"status": status.value, "flagged_at": now, **due}
    accept = calendar.add_workdays(day, acceptance_workdays)
    return {
        "status": status.value,
        "accept_due_on": accept.due,
        "due_provisional": accept.provisional,
    }


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
