"""The objection table and decision guards, without a database."""

from __future__ import annotations

from datetime import date

import pytest

from xinyong.objections import workflow as wf
from xinyong.objections.workflow import ObjectionAction, ObjectionStatus


@pytest.mark.parametrize("status", list(ObjectionStatus))
@pytest.mark.parametrize("action", list(ObjectionAction))
def test_every_pair_is_allowed_or_refused(status, action):
    to = wf.target(status.value, action)
    if status is ObjectionStatus.OPEN:
        assert to is not None and to in wf.TERMINAL
    else:
        assert to is None


def test_only_terminal_statuses_are_dead_ends():
    for status in ObjectionStatus:
        assert (wf.allowed_actions(status.value) == []) == (status in wf.TERMINAL)


def test_every_outcome_names_an_action_leading_to_that_status():
    for outcome, action in wf.OUTCOME_ACTIONS.items():
        assert wf.target("open", action) == ObjectionStatus(outcome)


def test_unknown_status_moves_nowhere():
    assert wf.target("archived", ObjectionAction.UPHOLD) is None


def test_overdue_only_when_open_and_past_the_deadline():
    due = date(2026, 11, 30)
    assert wf.is_overdue("open", due, date(2026, 12, 1)) is True
    assert wf.is_overdue("open", due, due) is False
    assert wf.is_overdue("upheld", due, date(2026, 12, 1)) is False


def test_upholding_needs_reasons_and_no_values():
    assert wf.decision_problem(ObjectionAction.UPHOLD, reason=" ", corrected=None) == (
        "reason",
        "不予更正须说明理由",
    )
    assert wf.decision_problem(ObjectionAction.UPHOLD, reason="属实", corrected={"a": "b"})
    assert wf.decision_problem(ObjectionAction.UPHOLD, reason="属实", corrected=None) is None


def test_correcting_needs_the_corrected_values():
    assert wf.decision_problem(ObjectionAction.CORRECT, reason="x", corrected={})[0] == "corrected"
    assert wf.decision_problem(ObjectionAction.CORRECT, reason=None, corrected={"a": 1}) is None
    assert wf.decision_problem(ObjectionAction.WITHDRAW, reason=None, corrected=None) is None
