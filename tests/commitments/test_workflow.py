"""The transition table and the signing and verification guards, without a database: every
(status, action) pair is allowed or refused, only terminal statuses are dead ends, overdue is a
fact of the date, and who may sign or verify follows from facts read before."""

from __future__ import annotations

from datetime import date

import pytest

from xinyong.accounts.models import Department, Role
from xinyong.accounts.principal import ANONYMOUS, Principal
from xinyong.checks.decide import Decision
from xinyong.checks.measures import Action
from xinyong.commitments import guards
from xinyong.commitments.errors import (
    BreachKindRequired,
    CommitmentNotAllowed,
    EnterpriseOnly,
    InvalidTransition,
    MatterNotApplicable,
    NotAccepted,
    NotReceivingDepartment,
    SubjectKindNotSupported,
    TemplateNotFound,
    UnknownDepartment,
)
from xinyong.commitments.templates import Template
from xinyong.commitments.workflow import COMMITMENT, CommitmentAction, CommitmentStatus, is_overdue
from xinyong.errors import Unauthorized

S, A = CommitmentStatus, CommitmentAction

TEMPLATE = Template(
    id="approval_substitute",
    type="审批替代型",
    name="涉企经营许可事项告知承诺书",
    version=1,
    effective_from=date(2026, 1, 1),
    text="{subject_name}申请办理“{matter}”，现郑重承诺。",
    items=["所填信息真实"],
    public=True,
    verify_within_days=30,
    matters=["食品经营许可"],
    reference="国办发〔2020〕42号",
)
SCJG = Department(id=1, code="330106-SCJG", name="西湖区市场监管局", sector="market_regulation")


def _principal(role: Role | None, *, department: str | None = None, subject: int | None = None):
    return Principal(
        kind="user", id=7, role=role, department_code=department, subject_id=subject, name="某人"
    )


def _signing(**changes) -> guards.Signing:
    facts = {
        "template_id": TEMPLATE.id,
        "template": TEMPLATE,
        "department_ref": SCJG.code,
        "department": SCJG,
        "has_uscc": True,
        "matter": "食品经营许可",
        "accepted": True,
    }
    return guards.Signing(**{**facts, **changes})


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("action", [A.FULFIL, A.BREACH])
def test_a_signed_commitment_is_verified_once_and_nothing_else_moves(status, action):
    expected = {(S.SIGNED, A.FULFIL): S.FULFILLED, (S.SIGNED, A.BREACH): S.BREACHED}
    assert COMMITMENT.target(status, action) == expected.get((status, action))
    if (status, action) not in expected:
        with pytest.raises(InvalidTransition) as refused:
            COMMITMENT.require(status, action)
        assert refused.value.code == "commitments.invalid_transition"
        assert status.label in refused.value.title


def test_signing_is_the_first_event_not_a_move():
    assert all(COMMITMENT.targets(status, A.SIGN) == frozenset() for status in S)


def test_every_status_has_a_chinese_label():
    assert [s.label for s in S] == ["已承诺，待核查", "已履诺", "已违诺"]


def test_overdue_only_when_signed_and_past_the_due_date():
    due = date(2026, 12, 23)
    assert not is_overdue(S.SIGNED, due, due)
    assert is_overdue(S.SIGNED, due, date(2026, 12, 24))
    assert not is_overdue(S.FULFILLED, due, date(2027, 1, 1))
    assert not is_overdue(S.BREACHED, due, date(2027, 1, 1))


class TestWhoSignsOnline:
    def test_an_enterprise_account_signs_for_its_own_subject(self):
        assert guards.require_online_signer(_principal(Role.ENTERPRISE, subject=5)) == 5

    def test_nobody_must_log_in_first(self):
        with pytest.raises(Unauthorized):
            guards.require_online_signer(ANONYMOUS)

    @pytest.mark.parametrize("role", [Role.DEPARTMENT, Role.ADMIN, Role.ENTERPRISE])
    def test_other_accounts_and_an_enterprise_without_subject_are_refused(self, role):
        with pytest.raises(EnterpriseOnly):
            guards.require_online_signer(_principal(role, department="330106-SCJG"))


class TestWhatMayBeSigned:
    def test_a_template_in_force_for_its_matter_accepted_in_full_may_be_signed(self):
        assert guards.require_signable(_signing()) == (TEMPLATE, SCJG)

    @pytest.mark.parametrize(
        ("changes", "error"),
        [
            ({"has_uscc": False}, SubjectKindNotSupported),
            ({"template": None}, TemplateNotFound),
            ({"department": None}, UnknownDepartment),
            ({"matter": "建筑工程施工许可"}, MatterNotApplicable),
            ({"accepted": False}, NotAccepted),
        ],
    )
    def test_each_missing_condition_is_refused_with_its_own_error(self, changes, error):
        with pytest.raises(error):
            guards.require_signable(_signing(**changes))

    def test_the_subject_is_told_first_what_it_can_least_change(self):
        with pytest.raises(SubjectKindNotSupported):
            guards.require_signable(_signing(has_uscc=False, template=None, accepted=False))

    def test_a_repair_commitment_has_its_own_matter_and_no_acceptance_box(self):
        repair = _signing(matter=None)
        assert guards.require_signable(repair) == (TEMPLATE, SCJG)


class TestApprovalTypesClosedToBadCredit:
    @pytest.mark.parametrize(
        "action", [Action.NO_NOTIFICATION_COMMITMENT, Action.STRICT_REVIEW, Action.REFUSE]
    )
    def test_a_check_saying_no_notification_commitment_or_stricter_closes_the_type(self, action):
        with pytest.raises(CommitmentNotAllowed) as refused:
            guards.require_open("审批替代型", Decision(action, [], ["严重失信：吊销许可证"]))
        assert refused.value.status == 409
        assert [e.message for e in refused.value.errors] == ["严重失信：吊销许可证"]

    @pytest.mark.parametrize("action", [Action.NORMAL, Action.ACCEPT_WITH_GAPS, Action.PRIORITY])
    def test_a_milder_check_leaves_it_open(self, action):
        guards.require_open("审批替代型", Decision(action, [], []))


class TestWhoVerifies:
    def test_the_receiving_department_verifies_fulfilment(self):
        officer = _principal(Role.DEPARTMENT, department=SCJG.code)
        action = guards.verification_action(officer, SCJG, outcome="fulfilled", breach_kind=None)
        assert action is A.FULFIL

    def test_another_department_may_not(self):
        other = _principal(Role.DEPARTMENT, department="330106-HB")
        with pytest.raises(NotReceivingDepartment):
            guards.verification_action(other, SCJG, outcome="fulfilled", breach_kind=None)

    def test_an_enterprise_of_the_same_code_may_not(self):
        owner = _principal(Role.ENTERPRISE, department=SCJG.code, subject=5)
        with pytest.raises(NotReceivingDepartment):
            guards.verification_action(owner, SCJG, outcome="fulfilled", breach_kind=None)

    def test_a_breach_names_its_kind(self):
        officer = _principal(Role.REVIEWER, department=SCJG.code)
        with pytest.raises(BreachKindRequired):
            guards.verification_action(officer, SCJG, outcome="breached", breach_kind=None)
        action = guards.verification_action(
            officer, SCJG, outcome="breached", breach_kind="虚假承诺"
        )
        assert action is A.BREACH
