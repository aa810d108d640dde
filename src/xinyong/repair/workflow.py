"""Transition tables of repair: every allowed move, and nothing else (``xinyong.workflow``).

Each deciding department's review task and each record's item move along their own table.
The application's status is never chosen by hand: it follows its tasks and items
(:func:`aggregate`), and the one move it makes (``follow``) is checked against its own table
like any other. Moves are compare-and-set (tasks and applications by ``version``, items by
status); a move the table forbids, or one that lost a race, raises the domain's 409
(``repair.conflict``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Final

from xinyong.repair.errors import Conflict
from xinyong.workflow import Workflow


class TaskStatus(StrEnum):
    """The review of one deciding department."""

    PENDING = "pending"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    DECIDED = "decided"
    EXPIRED = "expired"


class TaskAction(StrEnum):
    DECIDE = "decide"
    REQUEST_SUPPLEMENT = "request_supplement"
    SUPPLEMENT = "supplement"
    EXPIRE = "expire"


class ItemStatus(StrEnum):
    """One record of an application, decided on its own."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


class ItemAction(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    EXPIRE = "expire"


class ApplicationStatus(StrEnum):
    IN_REVIEW = "in_review"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    APPROVED = "approved"
    PARTIALLY_APPROVED = "partially_approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


class ApplicationAction(StrEnum):
    SUBMIT = "submit"  # the application comes into being in review: its first event, not a move
    FOLLOW = "status"  # its status follows its tasks and items (the event's action is "status")


# Labels as the API has always shown them (one shared table keyed by the stored string, so an
# application's "approved" reads 准予修复 like an item's).
_PENDING, _SUPPLEMENT, _EXPIRED = "待审核", "待补正材料", "逾期未补正，已终止"
_APPROVED, _REJECTED = "准予修复", "不予修复"

TASK_LABELS: Final[Mapping[TaskStatus, str]] = {
    TaskStatus.PENDING: _PENDING,
    TaskStatus.SUPPLEMENT_REQUESTED: _SUPPLEMENT,
    TaskStatus.DECIDED: "已决定",
    TaskStatus.EXPIRED: _EXPIRED,
}
ITEM_LABELS: Final[Mapping[ItemStatus, str]] = {
    ItemStatus.PENDING: _PENDING,
    ItemStatus.APPROVED: _APPROVED,
    ItemStatus.REJECTED: _REJECTED,
    ItemStatus.EXPIRED: _EXPIRED,
}
APPLICATION_LABELS: Final[Mapping[ApplicationStatus, str]] = {
    ApplicationStatus.IN_REVIEW: "审核中",
    ApplicationStatus.SUPPLEMENT_REQUESTED: _SUPPLEMENT,
    ApplicationStatus.APPROVED: _APPROVED,
    ApplicationStatus.PARTIALLY_APPROVED: "部分修复",
    ApplicationStatus.REJECTED: _REJECTED,
    ApplicationStatus.EXPIRED: _EXPIRED,
}


def _task_conflict(current: object, action: object) -> Conflict:
    return Conflict("该审核任务")


def _item_conflict(current: object, action: object) -> Conflict:
    return Conflict("该信息")


def _application_conflict(current: object, action: object) -> Conflict:
    return Conflict("该修复申请")


TASK: Final = Workflow(
    name="repair_task",
    statuses=TaskStatus,
    moves={
        (TaskStatus.PENDING, TaskAction.DECIDE): TaskStatus.DECIDED,
        (TaskStatus.PENDING, TaskAction.REQUEST_SUPPLEMENT): TaskStatus.SUPPLEMENT_REQUESTED,
        # The department's clock stops until the supplement comes, or the task expires.
        (TaskStatus.SUPPLEMENT_REQUESTED, TaskAction.SUPPLEMENT): TaskStatus.PENDING,
        (TaskStatus.SUPPLEMENT_REQUESTED, TaskAction.EXPIRE): TaskStatus.EXPIRED,
    },
    terminal=frozenset({TaskStatus.DECIDED, TaskStatus.EXPIRED}),
    refused=_task_conflict,
    lost=lambda: Conflict("该审核任务"),
    labels=TASK_LABELS,
)

ITEM: Final = Workflow(
    name="repair_item",
    statuses=ItemStatus,
    moves={
        (ItemStatus.PENDING, ItemAction.APPROVE): ItemStatus.APPROVED,
        (ItemStatus.PENDING, ItemAction.REJECT): ItemStatus.REJECTED,
        (ItemStatus.PENDING, ItemAction.EXPIRE): ItemStatus.EXPIRED,
    },
    terminal=frozenset({ItemStatus.APPROVED, ItemStatus.REJECTED, ItemStatus.EXPIRED}),
    refused=_item_conflict,
    lost=lambda: Conflict("该信息"),
    labels=ITEM_LABELS,
)

# Once no task waits for a supplement and no item is pending, the application is done. A task
# leaves its supplement only by the supplement (back in review) or by expiring (its items
# expire), so an application waiting for a supplement is never approved in full at once.
_DONE: Final = frozenset(
    {
        ApplicationStatus.PARTIALLY_APPROVED,
        ApplicationStatus.REJECTED,
        ApplicationStatus.EXPIRED,
    }
)
APPLICATION: Final = Workflow(
    name="repair_application",
    statuses=ApplicationStatus,
    moves={
        (ApplicationStatus.IN_REVIEW, ApplicationAction.FOLLOW): _DONE
        | {ApplicationStatus.SUPPLEMENT_REQUESTED, ApplicationStatus.APPROVED},
        (ApplicationStatus.SUPPLEMENT_REQUESTED, ApplicationAction.FOLLOW): _DONE
        | {ApplicationStatus.IN_REVIEW},
    },
    terminal=_DONE | {ApplicationStatus.APPROVED},
    refused=_application_conflict,
    lost=lambda: Conflict("该修复申请"),
    labels=APPLICATION_LABELS,
)

WORKFLOWS: Final = (TASK, ITEM, APPLICATION)

# Items whose record has been decided on (the last decision shown in the credit file).
DECIDED_ITEMS: Final = (ItemStatus.APPROVED, ItemStatus.REJECTED, ItemStatus.EXPIRED)


def aggregate(task_statuses: Sequence[str], item_statuses: Sequence[str]) -> ApplicationStatus:
    """The application's status from its tasks and items: waiting for a supplement while any
    task waits; in review while any record is undecided; then approved, partly approved,
    expired (every record ended for want of a supplement) or rejected."""
    if TaskStatus.SUPPLEMENT_REQUESTED in task_statuses:
        return ApplicationStatus.SUPPLEMENT_REQUESTED
    if ItemStatus.PENDING in item_statuses:
        return ApplicationStatus.IN_REVIEW
    approved = sum(s == ItemStatus.APPROVED for s in item_statuses)
    if approved == len(item_statuses):
        return ApplicationStatus.APPROVED
    if approved:
        return ApplicationStatus.PARTIALLY_APPROVED
    if all(s == ItemStatus.EXPIRED for s in item_statuses):
        return ApplicationStatus.EXPIRED
    return ApplicationStatus.REJECTED


def is_open(status: str) -> bool:
    """Still in review or waiting for a supplement (not yet completed)."""
    return not APPLICATION.is_terminal(status)
