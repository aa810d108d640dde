"""The objection table and the pure rules around it (who may object to what, what an
acceptance or a decision must carry, when each step is due), without a database."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from xinyong.accounts.models import Role
from xinyong.accounts.principal import Principal
from xinyong.kit import clock
from xinyong.kit.clock import WorkCalendar
from xinyong.objections import workflow as wf
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
from xinyong.objections.workflow import Grounds, ObjectionAction, ObjectionStatus

# The whole table, written out: every (status, action) pair not listed is refused.
ALLOWED = {
    (ObjectionStatus.RECEIVED, ObjectionAction.ACCEPT): ObjectionStatus.OPEN,
    (ObjectionStatus.RECEIVED, ObjectionAction.DISMISS): ObjectionStatus.DISMISSED,
    (ObjectionStatus.RECEIVED, ObjectionAction.WITHDRAW): ObjectionStatus.WITHDRAWN,
    (ObjectionStatus.OPEN, ObjectionAction.CORRECT): ObjectionStatus.CORRECTED,
    (ObjectionStatus.OPEN, ObjectionAction.WITHDRAW): ObjectionStatus.WITHDRAWN,
    (ObjectionStatus.OPEN, ObjectionAction.UPHOLD): ObjectionStatus.UPHELD,
}
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=clock.SHANGHAI)
CALENDAR = WorkCalendar()


@pytest.mark.parametrize("status", list(ObjectionStatus))
@pytest.mark.parametrize("action", list(ObjectionAction))
def test_every_pair_is_allowed_or_refused_with_the_conflict(status, action):
    allowed = ALLOWED.get((status, action))
    assert wf.OBJECTION.target(status.value, action) == allowed
    if allowed is None:
        with pytest.raises(Conflict):
            wf.OBJECTION.require(status.value, action)


def test_only_decided_or_dismissed_objections_are_dead_ends():
    for status in ObjectionStatus:
        dead = wf.OBJECTION.allowed_actions(status.value) == []
        assert dead == (status in wf.OBJECTION.terminal)
    assert {ObjectionStatus.RECEIVED, ObjectionStatus.OPEN} == wf.PENDING


def test_filing_is_the_first_event_and_no_move_of_the_table():
    for status in ObjectionStatus:
        assert wf.OBJECTION.target(status.value, ObjectionAction.FILE) is None
    filed = wf.filed(by_subject=True)
    assert (filed.action, filed.from_status) == (ObjectionAction.FILE, None)


def test_a_third_party_objection_cannot_be_corrected_or_upheld_before_acceptance():
    assert wf.OBJECTION.target("received", ObjectionAction.CORRECT) is None
    assert wf.OBJECTION.target("received", ObjectionAction.UPHOLD) is None
    assert wf.OBJECTION.target("open", ObjectionAction.ACCEPT) is None


def test_every_outcome_names_an_action_leading_to_that_status():
    for outcome, action in wf.OUTCOME_ACTIONS.items():
        assert wf.OBJECTION.target("open", action) == ObjectionStatus(outcome)
    accepted = wf.ACCEPTANCE_ACTIONS["accepted"]
    assert wf.OBJECTION.target("received", accepted) is ObjectionStatus.OPEN
    dismissed = wf.ACCEPTANCE_ACTIONS["dismissed"]
    assert wf.OBJECTION.target("received", dismissed) is ObjectionStatus.DISMISSED


def test_unknown_status_moves_nowhere():
    assert wf.OBJECTION.target("archived", ObjectionAction.UPHOLD) is None
    assert wf.OBJECTION.label("archived") == "archived"
    assert wf.OBJECTION.label("received") == "待受理"


# --- who may object to what ------------------------------------------------------------------


def _filing(**facts: object):
    """The refusal of a filing: by default the subject objects to a public, current penalty's
    content without evidence."""
    known: dict[str, object] = {
        "by_subject": True,
        "grounds": Grounds.CONTENT,
        "record_type": "administrative_penalty",
        "visible": True,
        "revoked": False,
        "repaired": False,
        "evidence_files": 0,
    }
    return wf.filing_refusal(**{**known, **facts})


@pytest.mark.parametrize("grounds", list(Grounds))
def test_the_subject_may_object_on_any_grounds_without_evidence(grounds):
    assert _filing(grounds=grounds, record_type="dishonest_executee") is None


def test_anyone_with_evidence_may_object_to_the_content_of_penalty_information():
    assert _filing(by_subject=False, evidence_files=1) is None


def test_a_third_party_needs_evidence():
    assert isinstance(_filing(by_subject=False, evidence_files=0), EvidenceRequired)


def test_a_third_party_may_not_object_to_other_information():
    refusal = _filing(by_subject=False, record_type="honour", evidence_files=1)
    assert isinstance(refusal, NotOwnRecord)


@pytest.mark.parametrize("grounds", [Grounds.PUBLICITY_PERIOD, Grounds.REPAIR_RESULT])
def test_a_third_party_may_object_only_to_the_content(grounds):
    refusal = _filing(by_subject=False, grounds=grounds, evidence_files=1)
    assert isinstance(refusal, SubjectOnly)
    assert wf.grounds_label(grounds) in refusal.title


def test_a_third_party_cannot_learn_of_a_record_that_is_not_public():
    refusal = _filing(by_subject=False, visible=False, evidence_files=1)
    assert isinstance(refusal, RecordNotFound)


@pytest.mark.parametrize("grounds", [Grounds.CONTENT, Grounds.PUBLICITY_PERIOD])
def test_nobody_objects_to_the_content_or_period_of_a_repaired_record(grounds):
    assert isinstance(_filing(grounds=grounds, repaired=True), RecordRepaired)
    assert isinstance(
        _filing(by_subject=False, grounds=Grounds.CONTENT, repaired=True, evidence_files=1),
        RecordRepaired,
    )


def test_the_repair_result_stays_open_to_the_subject_of_a_repaired_record():
    assert _filing(grounds=Grounds.REPAIR_RESULT, repaired=True) is None


def test_nobody_objects_to_a_revoked_record():
    assert isinstance(_filing(revoked=True), RecordRevoked)
    assert isinstance(_filing(by_subject=False, revoked=True, evidence_files=1), RecordRevoked)


def test_the_subject_is_its_own_enterprise_account():
    owner = Principal("user", 1, Role.ENTERPRISE, None, 7, "企业")
    bank = Principal("user", 2, Role.BANK, None, 7, "银行")
    assert wf.is_subject(owner, 7) is True
    assert wf.is_subject(owner, 8) is False
    assert wf.is_subject(bank, 7) is False


def test_only_the_subject_flags_at_once():
    assert wf.filed(by_subject=True).to_status is ObjectionStatus.OPEN
    assert wf.filed(by_subject=False).to_status is ObjectionStatus.RECEIVED


# --- what an acceptance or a decision must carry --------------------------------------------


def test_dismissing_needs_reasons():
    refusal = wf.acceptance_refusal("received", ObjectionAction.DISMISS, reason=" ")
    assert isinstance(refusal, InvalidInput)
    assert (refusal.code, refusal.title) == ("objection.reason_required", "不予受理须说明理由")
    assert (
        wf.acceptance_refusal("received", ObjectionAction.DISMISS, reason="证据与处罚无关") is None
    )
    assert wf.acceptance_refusal("received", ObjectionAction.ACCEPT, reason=None) is None


@pytest.mark.parametrize("status", ["open", "upheld", "dismissed"])
def test_only_an_objection_awaiting_acceptance_is_accepted(status):
    refusal = wf.acceptance_refusal(status, ObjectionAction.ACCEPT, reason=None)
    assert isinstance(refusal, NotAwaitingAcceptance)


def test_upholding_needs_reasons_and_no_values():
    refusal = wf.decision_refusal("open", ObjectionAction.UPHOLD, reason=" ", corrected=None)
    assert isinstance(refusal, InvalidInput)
    assert (refusal.code, refusal.title) == ("objection.reason_required", "不予更正须说明理由")
    with_values = wf.decision_refusal(
        "open", ObjectionAction.UPHOLD, reason="属实", corrected={"a": "b"}
    )
    assert isinstance(with_values, InvalidInput)
    assert (
        wf.decision_refusal("open", ObjectionAction.UPHOLD, reason="属实", corrected=None) is None
    )


def test_correcting_needs_the_corrected_values():
    refusal = wf.decision_refusal("open", ObjectionAction.CORRECT, reason="x", corrected={})
    assert isinstance(refusal, InvalidInput)
    assert refusal.code == "objection.corrected_required"
    ok = wf.decision_refusal("open", ObjectionAction.CORRECT, reason=None, corrected={"a": 1})
    assert ok is None


def test_withdrawing_corrects_nothing_but_a_persons_id_number():
    assert (
        wf.decision_refusal("open", ObjectionAction.WITHDRAW, reason=None, corrected=None) is None
    )
    masked = {"id_number": "330106********1234"}
    assert (
        wf.decision_refusal("open", ObjectionAction.WITHDRAW, reason=None, corrected=masked) is None
    )
    refusal = wf.decision_refusal(
        "open", ObjectionAction.WITHDRAW, reason=None, corrected={"amount": "100"}
    )
    assert isinstance(refusal, InvalidInput)
    assert refusal.code == "objection.invalid"


@pytest.mark.parametrize(
    ("action", "corrected"),
    [(ObjectionAction.CORRECT, {"amount": "100"}), (ObjectionAction.UPHOLD, None)],
)
def test_a_third_party_objection_is_corrected_or_upheld_only_once_accepted(action, corrected):
    refusal = wf.decision_refusal("received", action, reason="理由", corrected=corrected)
    assert isinstance(refusal, NotAccepted)


def test_conclusive_evidence_withdraws_before_acceptance():
    assert (
        wf.decision_refusal("received", ObjectionAction.WITHDRAW, reason=None, corrected=None)
        is None
    )


# --- when each step is due -------------------------------------------------------------------


def test_the_subjects_objection_is_flagged_now_and_due_for_decision_in_working_days():
    step = wf.first_step(
        CALENDAR,
        by_subject=True,
        now=MONDAY,
        flag_workdays=1,
        decision_workdays=5,
        acceptance_workdays=2,
    )
    assert step["status"] == "open" and step["flagged_at"] == MONDAY
    assert step["flag_due_on"] == date(2026, 11, 24)
    assert step["decision_due_on"] == date(2026, 11, 30)  # five working days: past the weekend
    assert "accept_due_on" not in step


def test_a_third_party_objection_is_due_for_acceptance_and_flags_nothing():
    step = wf.first_step(
        CALENDAR,
        by_subject=False,
        now=MONDAY,
        flag_workdays=1,
        decision_workdays=5,
        acceptance_workdays=2,
    )
    assert step["status"] == "received" and step["accept_due_on"] == date(2026, 11, 25)
    assert "flagged_at" not in step and "decision_due_on" not in step


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
