"""The rules of repair as pure functions of facts and the date, without a database: which
records can be repaired, what an application must carry, who may decide and what a decision
must cover."""

from __future__ import annotations

from datetime import date

import pytest

from xinyong.accounts.models import Role
from xinyong.accounts.principal import Principal
from xinyong.catalog.loader import default_catalog
from xinyong.catalog.schemas import Polarity
from xinyong.credit_file.schemas import RepairDecision
from xinyong.errors import Unauthorized
from xinyong.records.models import Record, RecordStatus
from xinyong.repair import guards
from xinyong.repair.eligibility import Assessment, judge
from xinyong.repair.errors import (
    CommitmentRequired,
    EnterpriseOnly,
    NoRecords,
    NotEligible,
    ProofRequired,
    TooManyRecords,
)
from xinyong.repair.rules import Reapplication, load_rules
from xinyong.repair.schemas import MAX_RECORDS, CommitmentSignature, Decision

TODAY = date(2026, 11, 23)
CATALOG = default_catalog()
RULES = load_rules(CATALOG)
MARKET = RULES.rule_for("administrative_penalty", "一般", "market_regulation")  # proof: department
SERIOUS = RULES.rule_for("administrative_penalty", "严重", "other")  # proof: applicant upload
ENTERPRISE = Principal("user", 1, Role.ENTERPRISE, None, 7, "杭州某某有限公司")
REVIEWER = Principal("user", 2, Role.REVIEWER, "330106-SCJG", None, "审核员")
SIGNED = CommitmentSignature(accepted=True, signer_name="张三")


def penalty(record_id: int = 1, **facts) -> Record:
    """A penalty as the platform holds it: adverse, active, publicised until 2027-04-10 and
    repairable from 2026-07-10 (three months after its decision)."""
    values = {
        "id": record_id,
        "record_type": "administrative_penalty",
        "status": RecordStatus.ACTIVE,
        "polarity": Polarity.BAD.value,
        "severity": "一般",
        "decided_on": date(2026, 4, 10),
        "publicised": True,
        "publicity_starts_on": date(2026, 4, 10),
        "publicity_ends_on": date(2027, 4, 10),
        "repair_possible_from": date(2026, 7, 10),
        "repaired_on": None,
        "fields": {"decision_number": f"西市监罚〔2026〕{100 + record_id}号"},
    }
    return Record(**{**values, **facts})


def rejected(on: date) -> RepairDecision:
    return RepairDecision(
        outcome="rejected",
        outcome_label="不予修复",
        reason="罚款未缴清",
        decided_on=on,
        department="杭州市西湖区市场监督管理局",
        application_id=3,
        item_id=5,
    )


class TestWhichRecordsCanBeRepaired:
    def test_a_penalty_past_its_minimum_publicity_can_be_repaired(self):
        status = judge(penalty(), MARKET, as_of=TODAY, open_application=None)
        assert status.possible and status.code == "repair.possible"

    def test_repair_blocked_before_minimum_publicity_period(self):
        status = judge(penalty(), MARKET, as_of=date(2026, 7, 9), open_application=None)
        assert (status.possible, status.code) == (False, "repair.too_early")
        assert status.possible_from == date(2026, 7, 10)

    def test_a_record_that_may_never_end_early_waits_for_its_publicity_to_end(self):
        record = penalty(repair_possible_from=None)
        status = judge(record, MARKET, as_of=TODAY, open_application=None)
        assert status.code == "repair.never_early" and "2027-04-10" in status.reason

    def test_a_record_past_its_publicity_needs_no_repair(self):
        status = judge(penalty(), MARKET, as_of=date(2027, 4, 11), open_application=None)
        assert status.code == "repair.not_needed"

    def test_a_repaired_record_is_not_repaired_twice(self):
        status = judge(
            penalty(repaired_on=date(2026, 9, 1)), MARKET, as_of=TODAY, open_application=None
        )
        assert status.code == "repair.already_repaired"

    def test_a_record_in_an_open_application_names_it(self):
        status = judge(penalty(), MARKET, as_of=TODAY, open_application=42)
        assert status.code == "repair.already_open" and status.application_id == 42

    def test_a_record_without_a_rule_is_referred_to_the_credit_office(self):
        assert judge(penalty(), None, as_of=TODAY, open_application=None).code == "repair.no_rule"

    def test_after_a_rejection_a_new_application_waits_the_rules_days(self):
        wait = Reapplication(after_rejection_days=30, reference="办法")
        last = rejected(date(2026, 11, 1))
        status = judge(
            penalty(), MARKET, as_of=TODAY, open_application=None, last=last, reapplication=wait
        )
        assert status.code == "repair.reapply_wait" and status.possible_from == date(2026, 12, 1)
        assert status.last_decision.objection is not None  # the rejection can be objected to

    def test_after_a_rejection_without_a_wait_the_record_may_be_applied_for_again(self):
        wait = Reapplication(after_rejection_days=0, reference="办法")
        last = rejected(date(2026, 11, 1))
        status = judge(
            penalty(), MARKET, as_of=TODAY, open_application=None, last=last, reapplication=wait
        )
        assert status.possible and status.code == "repair.reapply"


class TestAnApplicationAsAWhole:
    def test_only_an_enterprise_applies_for_its_own_records_each_once(self):
        assert guards.applicant_records(ENTERPRISE, [3, 1, 3]) == [3, 1]
        with pytest.raises(Unauthorized):
            guards.applicant_records(Principal("anonymous", None, None, None, None, ""), [1])
        with pytest.raises(EnterpriseOnly):
            guards.applicant_records(REVIEWER, [1])
        with pytest.raises(NoRecords):
            guards.applicant_records(ENTERPRISE, [])
        with pytest.raises(TooManyRecords):
            guards.applicant_records(ENTERPRISE, list(range(1, MAX_RECORDS + 2)))

    def test_every_record_must_qualify_and_each_that_does_not_is_named(self):
        records = [penalty(1), penalty(2, repair_possible_from=date(2026, 12, 1))]
        assessed = {
            r.id: Assessment(MARKET, judge(r, MARKET, as_of=TODAY, open_application=None))
            for r in records
        }
        with pytest.raises(NotEligible) as refused:
            guards.eligible_rules(records, assessed)
        assert [(e.field, e.code) for e in refused.value.errors] == [
            ("record_ids[1]", "repair.too_early")
        ]
        assert guards.eligible_rules(records[:1], assessed) == {1: MARKET}


class TestWhichMaterialsAreNeeded:
    def test_proofs_the_department_verifies_itself_need_no_upload(self):
        records, rules = [penalty(1)], {1: MARKET}
        assert guards.uploads_needed(records, rules) == []
        assert (
            guards.require_materials(records, rules, CATALOG, commitment=SIGNED, has_proofs=False)
            is SIGNED
        )

    def test_a_proof_only_the_applicant_holds_comes_with_the_application(self):
        records, rules = [penalty(1), penalty(2)], {1: MARKET, 2: SERIOUS}
        assert guards.uploads_needed(records, rules) == [records[1]]
        with pytest.raises(ProofRequired) as missing:
            guards.require_materials(records, rules, CATALOG, commitment=SIGNED, has_proofs=False)
        assert "西市监罚〔2026〕102号（严重行政处罚信息）" in missing.value.errors[0].message
        assert guards.require_materials(records, rules, CATALOG, commitment=SIGNED, has_proofs=True)

    def test_no_application_without_the_signed_commitment(self):
        unsigned = CommitmentSignature(accepted=False, signer_name="张三")
        for commitment in (None, unsigned):
            with pytest.raises(CommitmentRequired):
                guards.require_materials(
                    [penalty()], {1: MARKET}, CATALOG, commitment=commitment, has_proofs=True
                )


class TestWhoMayDecide:
    def test_a_department_decides_only_its_own_tasks_and_an_admin_any(self):
        assert guards.may_decide(task_department_id=3, reviewer_department_id=3)
        assert not guards.may_decide(task_department_id=3, reviewer_department_id=4)
        assert guards.may_decide(task_department_id=3, reviewer_department_id=None)

    def test_only_the_applicant_supplies_what_was_asked(self):
        assert guards.may_supplement(ENTERPRISE, 7)
        assert not guards.may_supplement(ENTERPRISE, 8)
        assert not guards.may_supplement(REVIEWER, 7)

    def test_a_decision_covers_every_pending_record_of_the_task(self):
        approve = Decision(record_id=1, outcome="approve")
        problem = guards.decision_problem([1, 2], [1, 2], [approve])
        assert problem is not None and problem.errors[0].field == "decisions"
        assert "尚缺：2" in problem.errors[0].message
        assert guards.decision_problem([1, 2], [1], [approve]) is None

    def test_a_rejection_gives_its_reason_and_a_decision_stays_within_the_task(self):
        bare = Decision(record_id=1, outcome="reject", reason="")
        assert guards.decision_problem([1], [1], [bare]).errors[0].field == "decisions[0].reason"
        stray = Decision(record_id=9, outcome="approve")
        assert guards.decision_problem([1], [1], [stray]).errors[0].field == (
            "decisions[0].record_id"
        )
