"""The repair tables: a task and an item move only along their review steps, and an
application's status follows its tasks and items (every pair and the dead ends are checked
for all three tables in ``tests/test_workflows.py``)."""

from __future__ import annotations

import pytest

from xinyong.repair.errors import Conflict
from xinyong.repair.workflow import (
    APPLICATION,
    ITEM,
    TASK,
    ApplicationAction,
    ApplicationStatus,
    ItemAction,
    ItemStatus,
    TaskAction,
    TaskStatus,
    aggregate,
    is_open,
)


def test_task_moves_are_exactly_the_review_steps():
    assert dict(TASK.moves) == {
        (TaskStatus.PENDING, TaskAction.DECIDE): TaskStatus.DECIDED,
        (TaskStatus.PENDING, TaskAction.REQUEST_SUPPLEMENT): TaskStatus.SUPPLEMENT_REQUESTED,
        (TaskStatus.SUPPLEMENT_REQUESTED, TaskAction.SUPPLEMENT): TaskStatus.PENDING,
        (TaskStatus.SUPPLEMENT_REQUESTED, TaskAction.EXPIRE): TaskStatus.EXPIRED,
    }


def test_a_task_waiting_for_a_supplement_is_not_decided():
    with pytest.raises(Conflict) as refused:
        TASK.require(TaskStatus.SUPPLEMENT_REQUESTED, TaskAction.DECIDE)
    assert refused.value.code == "repair.conflict"
    assert refused.value.title == "该审核任务已被他人处理或状态已变化，请刷新后重试"


def test_only_pending_items_are_decided():
    assert ITEM.require(ItemStatus.PENDING, ItemAction.APPROVE) is ItemStatus.APPROVED
    assert ITEM.require(ItemStatus.PENDING, ItemAction.REJECT) is ItemStatus.REJECTED
    for status in (ItemStatus.APPROVED, ItemStatus.REJECTED, ItemStatus.EXPIRED):
        assert ITEM.allowed_actions(status) == []


def test_an_application_moves_only_to_the_status_its_tasks_and_items_give():
    assert APPLICATION.require(
        ApplicationStatus.IN_REVIEW, ApplicationAction.FOLLOW, to=ApplicationStatus.APPROVED
    )
    assert APPLICATION.require(
        ApplicationStatus.SUPPLEMENT_REQUESTED,
        ApplicationAction.FOLLOW,
        to=ApplicationStatus.IN_REVIEW,
    )
    with pytest.raises(Conflict):
        APPLICATION.require(
            ApplicationStatus.APPROVED, ApplicationAction.FOLLOW, to=ApplicationStatus.IN_REVIEW
        )


@pytest.mark.parametrize(
    ("tasks", "items", "expected"),
    [
        (
            [TaskStatus.PENDING, TaskStatus.SUPPLEMENT_REQUESTED],
            [ItemStatus.PENDING, ItemStatus.PENDING],
            ApplicationStatus.SUPPLEMENT_REQUESTED,
        ),
        (
            [TaskStatus.DECIDED, TaskStatus.PENDING],
            [ItemStatus.APPROVED, ItemStatus.PENDING],
            ApplicationStatus.IN_REVIEW,
        ),
        (
            [TaskStatus.DECIDED],
            [ItemStatus.APPROVED, ItemStatus.APPROVED],
            ApplicationStatus.APPROVED,
        ),
        (
            [TaskStatus.DECIDED],
            [ItemStatus.APPROVED, ItemStatus.REJECTED],
            ApplicationStatus.PARTIALLY_APPROVED,
        ),
        ([TaskStatus.DECIDED], [ItemStatus.REJECTED], ApplicationStatus.REJECTED),
        ([TaskStatus.EXPIRED], [ItemStatus.EXPIRED, ItemStatus.EXPIRED], ApplicationStatus.EXPIRED),
        (
            [TaskStatus.DECIDED, TaskStatus.EXPIRED],
            [ItemStatus.REJECTED, ItemStatus.EXPIRED],
            ApplicationStatus.REJECTED,
        ),
    ],
)
def test_application_status_follows_its_tasks_and_items(tasks, items, expected):
    assert aggregate([s.value for s in tasks], [s.value for s in items]) is expected
    assert is_open(expected) == (
        expected in (ApplicationStatus.IN_REVIEW, ApplicationStatus.SUPPLEMENT_REQUESTED)
    )


def test_every_status_the_aggregate_gives_is_reachable_by_the_table():
    reachable = set().union(
        *(APPLICATION.targets(s, ApplicationAction.FOLLOW) for s in ApplicationStatus)
    )
    assert reachable | {ApplicationStatus.IN_REVIEW} == set(ApplicationStatus)


def test_labels_are_those_the_api_has_always_shown():
    assert APPLICATION.label("approved") == "准予修复"
    assert APPLICATION.label("in_review") == "审核中"
    assert TASK.label("pending") == "待审核"
    assert ITEM.label("pending") == "待审核"
    assert ITEM.label("expired") == "逾期未补正，已终止"
    assert TASK.label("unknown") == "unknown"
