"""After a rejection the record does not read as new: the enterprise's eligibility and own
credit file show the last decision (outcome, reason, date, deciding department by name), when
a new application may be made, and how to object to the rejection (grounds repair_result)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from factories.records import penalty_row
from repair.world import NOW, PROOF, SCJG, USCC
from xinyong.catalog.loader import default_catalog
from xinyong.credit_file.schemas import RepairDecision
from xinyong.db import unit_of_work
from xinyong.records.models import Record, RecordStatus
from xinyong.repair.eligibility import judge
from xinyong.repair.rules import Reapplication, load_rules

SCJG_NAME = "杭州市西湖区市场监督管理局"
REASON = "罚款尚未缴清"


@pytest.fixture(scope="module")
def rejected(platform):
    """A fresh penalty of the enterprise, applied for and rejected with a reason."""
    row = penalty_row()
    pushed = platform.post(
        "/api/v1/records:batch",
        headers=platform.keys[SCJG],
        json={"type": "administrative_penalty", "rows": [row]},
    )
    assert pushed.status_code == 200 and pushed.json()["accepted"] == 1, pushed.text
    with unit_of_work(platform.engine) as s:
        record_id = s.scalar(
            select(Record.id).where(Record.fields["decision_number"].as_string() == row["CF_WSH"])
        )
    app = platform.post(
        "/api/v1/repair/applications",
        json={
            "subject_code": USCC,
            "record_ids": [record_id],
            "commitment": {"accepted": True, "signer_name": "张三"},
            "proofs": [{"filename": "缴款凭证.pdf", "content_base64": PROOF}],
        },
        headers=platform.tokens["qiye"],
    )
    assert app.status_code == 201, app.text
    task = app.json()["tasks"][0]
    decided = platform.post(
        f"/api/v1/repair/tasks/{task['id']}/decision",
        json={"decisions": [{"record_id": record_id, "outcome": "reject", "reason": REASON}]},
        headers=platform.tokens[f"reviewer-{SCJG}"],
    )
    assert decided.status_code == 200, decided.text
    return {
        "title": row["CF_WSH"],
        "record_id": record_id,
        "application_id": app.json()["id"],
        "item_id": task["items"][0]["id"],
    }


def _eligibility(platform, title):
    resp = platform.get("/api/v1/repair/eligibility", headers=platform.tokens["qiye"])
    assert resp.status_code == 200, resp.text
    return next(i["status"] for i in resp.json()["items"] if i["title"] == title)


def test_a_rejected_item_shows_the_decision_its_reason_date_and_department(platform, rejected):
    status = _eligibility(platform, rejected["title"])
    last = status["last_decision"]
    assert (last["outcome"], last["outcome_label"]) == ("rejected", "不予修复")
    assert (last["reason"], last["decided_on"], last["department"]) == (
        REASON,
        "2026-11-23",
        SCJG_NAME,
    )
    assert (last["application_id"], last["item_id"]) == (
        rejected["application_id"],
        rejected["item_id"],
    )
    assert status["code"] == "repair.reapply"
    assert REASON in status["reason"] and SCJG_NAME in status["reason"]
    assert "重新申请" in status["reason"]


def test_a_new_application_may_be_made_at_once_once_the_reason_is_remedied(platform, rejected):
    status = _eligibility(platform, rejected["title"])
    assert status["possible"] is True
    assert status["last_decision"]["reapply_from"] == "2026-11-23"


def test_the_enterprises_own_file_shows_the_last_decision_and_the_public_does_not(
    platform, rejected
):
    own = platform.get(f"/api/v1/subjects/{USCC}/file", headers=platform.tokens["qiye"]).json()
    repair = next(r["repair"] for r in own["bad"] if r["title"] == rejected["title"])
    assert repair["last_decision"]["reason"] == REASON
    assert repair["last_decision"]["department"] == SCJG_NAME
    public = platform.get(f"/api/v1/subjects/{USCC}/file").json()
    assert next(r["repair"] for r in public["bad"] if r["title"] == rejected["title"]) is None


def test_the_rejection_links_the_repair_result_objection(platform, rejected):
    route = _eligibility(platform, rejected["title"])["last_decision"]["objection"]
    assert route["body"] == {"grounds": "repair_result", "repair_item_id": rejected["item_id"]}
    filed = platform.request(
        route["method"],
        route["href"],
        json={**route["body"], "reason": "罚款已于决定前缴清，附缴款凭证"},
        headers=platform.tokens["qiye"],
    )
    assert filed.status_code == 201, filed.text
    assert filed.json()["record_id"] == rejected["record_id"]
    assert filed.json()["grounds"] == "repair_result"


def test_the_guide_says_when_to_apply_again_after_a_rejection(platform):
    limits = platform.get("/api/v1/repair/guide").json()["time_limits"]
    line = next(t for t in limits if "不予修复" in t)
    assert "纠正后即可重新申请" in line and "令第36号" in line


# --- the rule itself, without a database -----------------------------------------------

RULES = load_rules(default_catalog())
RULE = RULES.rule_for("administrative_penalty", "一般", "market_regulation")
DECIDED_ON = date(2026, 11, 23)


def _record() -> Record:
    return Record(
        status=RecordStatus.ACTIVE,
        polarity="失信",
        publicised=True,
        publicity_starts_on=date(2026, 4, 10),
        publicity_ends_on=date(2027, 4, 10),
        repair_possible_from=date(2026, 7, 11),
    )


def _last(outcome: str, label: str, reason: str | None) -> RepairDecision:
    return RepairDecision(
        outcome=outcome,
        outcome_label=label,
        reason=reason,
        decided_on=DECIDED_ON,
        department=SCJG_NAME,
        application_id=1,
        item_id=2,
    )


def test_a_waiting_period_after_rejection_is_a_dated_repair_rule_setting():
    wait = Reapplication(after_rejection_days=30, reference="某地信用修复办法第十条")
    last = _last("rejected", "不予修复", REASON)
    waiting = judge(
        _record(),
        RULE,
        as_of=date(2026, 12, 1),
        open_application=None,
        last=last,
        reapplication=wait,
    )
    assert (waiting.possible, waiting.code) == (False, "repair.reapply_wait")
    assert waiting.possible_from == date(2026, 12, 23)
    assert "2026-12-23 起可重新申请" in waiting.reason
    assert waiting.last_decision is not None and waiting.last_decision.reason == REASON
    on_the_day = judge(
        _record(),
        RULE,
        as_of=date(2026, 12, 23),
        open_application=None,
        last=last,
        reapplication=wait,
    )
    assert on_the_day.possible is True


def test_the_shipped_rules_set_no_waiting_period_and_cite_their_basis():
    assert RULES.reapplication.after_rejection_days == 0
    assert "国家发展改革委令第36号" in RULES.reapplication.reference


def test_an_application_ended_for_want_of_a_supplement_may_be_made_again_at_once():
    last = _last("expired", "逾期未补正，已终止", None)
    status = judge(
        _record(),
        RULE,
        as_of=NOW.date(),
        open_application=None,
        last=last,
        reapplication=RULES.reapplication,
    )
    assert status.possible is True
    assert status.last_decision is not None
    assert status.last_decision.objection is None
    assert "逾期未补正" in status.reason


def test_an_open_application_is_shown_with_the_previous_decision():
    last = _last("rejected", "不予修复", REASON)
    status = judge(
        _record(),
        RULE,
        as_of=NOW.date(),
        open_application=9,
        last=last,
        reapplication=RULES.reapplication,
    )
    assert (status.code, status.application_id) == ("repair.already_open", 9)
    assert status.last_decision is not None and status.last_decision.application_id == 1
