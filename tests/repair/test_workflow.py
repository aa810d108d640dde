"""The repair tables: every (status, action) pair is a move or refused, terminal statuses are
dead ends, and an application's status follows its tasks and items."""

from __future__ import annotations

import pytest

from xinyong.repair import workflow as wf

TASK_STATUSES = (wf.TASK_PENDING, wf.TASK_SUPPLEMENT, wf.TASK_DECIDED, wf.TASK_EXPIRED)
TASK_ACTIONS = ("decide", "request_supplement", "supplement", "expire")
ITEM_STATUSES = (wf.ITEM_PENDING, wf.ITEM_APPROVED, wf.ITEM_REJECTED, wf.ITEM_EXPIRED)
ITEM_ACTIONS = ("approve", "reject", "expire")


def test_task_moves_are_exactly_the_review_steps():
    allowed = {
        (status, action): wf.target(wf.TASK_MOVES, action, status)
        for status in TASK_STATUSES
        for action in TASK_ACTIONS
        if wf.target(wf.TASK_MOVES, action, status) is not None
    }
    assert allowed == {
        (wf.TASK_PENDING, "decide"): wf.TASK_DECIDED,
        (wf.TASK_PENDING, "request_supplement"): wf.TASK_SUPPLEMENT,
        (wf.TASK_SUPPLEMENT, "supplement"): wf.TASK_PENDING,
        (wf.TASK_SUPPLEMENT, "expire"): wf.TASK_EXPIRED,
    }


def test_decided_and_expired_tasks_are_dead_ends():
    for status in (wf.TASK_DECIDED, wf.TASK_EXPIRED):
        assert all(wf.target(wf.TASK_MOVES, a, status) is None for a in TASK_ACTIONS)
    assert (
        wf.target(wf.TASK_MOVES, "decide", wf.TASK_SUPPLEMENT) is None
    )  # waits for the supplement


def test_only_pending_items_are_decided():
    for action, to in (("approve", wf.ITEM_APPROVED), ("reject", wf.ITEM_REJECTED)):
        assert wf.target(wf.ITEM_MOVES, action, wf.ITEM_PENDING) == to
    for status in ITEM_STATUSES[1:]:
        assert all(wf.target(wf.ITEM_MOVES, a, status) is None for a in ITEM_ACTIONS)


@pytest.mark.parametrize(
    ("tasks", "items", "expected"),
    [
        (
            [wf.TASK_PENDING, wf.TASK_SUPPLEMENT],
            [wf.ITEM_PENDING, wf.ITEM_PENDING],
            wf.APP_SUPPLEMENT,
        ),
        ([wf.TASK_DECIDED, wf.TASK_PENDING], [wf.ITEM_APPROVED, wf.ITEM_PENDING], wf.APP_IN_REVIEW),
        ([wf.TASK_DECIDED], [wf.ITEM_APPROVED, wf.ITEM_APPROVED], wf.APP_APPROVED),
        ([wf.TASK_DECIDED], [wf.ITEM_APPROVED, wf.ITEM_REJECTED], wf.APP_PARTIAL),
        ([wf.TASK_DECIDED], [wf.ITEM_REJECTED], wf.APP_REJECTED),
        ([wf.TASK_EXPIRED], [wf.ITEM_EXPIRED, wf.ITEM_EXPIRED], wf.APP_EXPIRED),
        ([wf.TASK_DECIDED, wf.TASK_EXPIRED], [wf.ITEM_REJECTED, wf.ITEM_EXPIRED], wf.APP_REJECTED),
    ],
)
def test_application_status_follows_its_tasks_and_items(tasks, items, expected):
    assert wf.aggregate(tasks, items) == expected
