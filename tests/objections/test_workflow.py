"""The objection table and decision guards, without a database."""

from __future__ import annotations

from datetime import date

import pytest

from xinyong.objections import workflow as wf
from xinyong.objections.workflow import ObjectionAction, ObjectionStatus

# The whole table, written out: every (status, action) pair not listed is refused.
ALLOWED = {
    (ObjectionStatus.RECEIVED, ObjectionAction.ACCEPT): ObjectionStatus.OPEN,
    (ObjectionStatus.RECEIVED, ObjectionAction.DISMISS): ObjectionStatus.DISMISSED,
    (ObjectionStatus.RECEIVED, ObjectionAction.WITHDRAW): ObjectionStatus.WITHDRAWN,
    (ObjectionStatus.OPEN, ObjectionAction.CORRECT): ObjectionStatus.CORRECTED,
    (ObjectionStatus.OPEN, ObjectionAction.WITHDRAW): ObjectionStatus.WITHDRAWN,
    (ObjectionStatus.OPEN, ObjectionAction.UPHOLD): ObjectionStatus.UPHELD,
}


@pytest.mark.parametrize("status", list(ObjectionStatus))
@pytest.mark.parametrize("action", list(ObjectionAction))
def test_every_pair_is_allowed_or_refused(status, action):
    assert wf.target(status.value, action) == ALLOWED.get((status, action))


def test_only_terminal_statuses_are_dead_ends():
    for status in ObjectionStatus:
        assert (wf.allowed_actions(status.value) == []) == (status in wf.TERMINAL)


def test_a_third_party_objection_cannot_be_corrected_or_upheld_before_acceptance():
    assert wf.target("received", ObjectionAction.CORRECT) is None
    assert wf.target("received", ObjectionAction.UPHOLD) is None
    assert wf.target("open", ObjectionAction.ACCEPT) is None


def test_only_the_subject_flags_at_once():
    assert wf.initial_status(by_subject=True) is ObjectionStatus.OPEN
    assert wf.initial_status(by_subject=False) is ObjectionStatus.RECEIVED


def test_every_outcome_names_an_action_leading_to_that_status():
    for outcome, action in wf.OUTCOME_ACTIONS.items():
        assert wf.target("open", action) == ObjectionStatus(outcome)
    assert wf.target("received", wf.ACCEPTANCE_ACTIONS["accepted"]) is ObjectionStatus.OPEN
    dismissed = wf.ACCEPTANCE_ACTIONS["dismissed"]
    assert wf.target("received", dismissed) is ObjectionStatus.DISMISSED


def test_unknown_status_moves_nowhere():
    assert wf.target("archived", ObjectionAction.UPHOLD) is None


def test_the_deadline_is_that_of_the_current_step():
    accept, decide = date(2026, 11, 25), date(2026, 11, 30)
    assert wf.step_due("received", accept_due_on=accept, decision_due_on=None) == accept
    assert wf.step_due("open", accept_due_on=accept, decision_due_on=decide) == decide
    assert wf.step_due("dismissed", accept_due_on=accept, decision_due_on=None) is None


def test_overdue_only_past_the_deadline():
    due = date(2026, 11, 30)
    assert wf.is_overdue(due, date(2026, 12, 1)) is True
    assert wf.is_overdue(due, due) is False
    assert wf.is_overdue(None, date(2026, 12, 1)) is False


def test_dismissing_needs_reasons():
    assert wf.acceptance_problem(ObjectionAction.DISMISS, reason=" ") == (
        "reason",
        "不予受理须说明理由",
    )
    assert wf.acceptance_problem(ObjectionAction.DISMISS, reason="证据与处罚无关") is None
    assert wf.acceptance_problem(ObjectionAction.ACCEPT, reason=None) is None


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
