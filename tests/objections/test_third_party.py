"""A third party's objection flags nothing until the providing department accepts it.

Anyone with evidence may object to a public penalty (市场监管总局令第45号 第十二条), but only
the subject's own objection marks the record 异议处理中 at once. A third party's waits in
待受理; the providing department accepts it as substantiated (flagged from then, decision due
from then) or dismisses it with reasons (closed, never flagged)."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from objections.conftest import record_id
from objections.world import EVIDENCE, HB, SCJG, SECRET, USCC, penalty
from xinyong.audit.models import AuditEntry
from xinyong.config import Settings
from xinyong.db import unit_of_work
from xinyong.records.models import Record
from xinyong.web.app import create_app

REVIEWER = f"reviewer-{SCJG}"
_numbers = itertools.count(400)


@pytest.fixture
def number(platform) -> str:
    """A fresh public penalty of the demo enterprise, nobody has objected to yet."""
    n = next(_numbers)
    resp = platform.post(
        "/api/v1/records:batch",
        headers=platform.keys[SCJG],
        json={"type": "administrative_penalty", "rows": [penalty(n)]},
    )
    assert resp.status_code == 200 and resp.json()["accepted"] == 1, resp.text
    return f"西市监罚〔2026〕{n}号"


def _file_as_bank(platform, number, client=None):
    return (client or platform).post(
        "/api/v1/objections",
        json={
            "record_id": record_id(platform, number),
            "reason": "该处罚已被行政复议决定撤销",
            "evidence": [{"filename": "复议决定书.pdf", "content_base64": EVIDENCE}],
        },
        headers=platform.tokens["bank"],
    )


def _review(platform, objection_id, body, user=REVIEWER):
    return platform.post(
        f"/api/v1/objections/{objection_id}/acceptance", json=body, headers=platform.tokens[user]
    )


def _disputed(platform, number) -> bool:
    with unit_of_work(platform.engine) as s:
        return s.get_one(Record, record_id(platform, number)).disputed


def _public(platform, number) -> dict:
    file = platform.get(f"/api/v1/subjects/{USCC}/file").json()
    return next(r for r in file["bad"] if r["title"] == number)


def test_third_party_objection_waits_unflagged_for_acceptance(platform, number):
    filed = _file_as_bank(platform, number)
    assert filed.status_code == 201, filed.text
    body = filed.json()
    assert (body["status"], body["status_label"], body["by_subject"]) == (
        "received",
        "待受理",
        False,
    )
    assert body["flagged_at"] is None and body["decision_due_on"] is None
    # Filed Monday 2026-11-23: the department accepts or dismisses within 2 working days.
    assert body["accept_due_on"] == body["due_on"] == "2026-11-25"
    assert body["allowed_actions"] == ["accept", "dismiss", "withdraw"]
    assert _disputed(platform, number) is False
    assert _public(platform, number)["disputed"] is False


def test_third_party_objection_flags_only_after_department_accepts(platform, number):
    oid = _file_as_bank(platform, number).json()["id"]
    accepted = _review(platform, oid, {"outcome": "accepted", "reason": "复议决定书真实有效"})
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert (body["status"], body["status_label"]) == ("open", "异议处理中")
    assert body["accepted_at"] and body["flagged_at"]
    # Accepted Monday: the decision is due 5 working days from the acceptance.
    assert body["decision_due_on"] == body["due_on"] == "2026-11-30"
    assert [e["action"] for e in body["events"]] == ["file", "accept"]
    assert _disputed(platform, number) is True
    assert _public(platform, number)["disputed"] is True
    with unit_of_work(platform.engine) as s:
        actions = s.scalars(
            select(AuditEntry.action).where(
                AuditEntry.object_type == "objection", AuditEntry.object_id == str(oid)
            )
        ).all()
    assert sorted(actions) == ["objection.accept", "objection.file"]


def test_dismissed_third_party_objection_closes_and_never_flags(platform, number):
    oid = _file_as_bank(platform, number).json()["id"]
    bare = _review(platform, oid, {"outcome": "dismissed"})
    assert bare.status_code == 422
    assert bare.json()["code"] == "objection.reason_required"
    dismissed = _review(platform, oid, {"outcome": "dismissed", "reason": "证据与该处罚无关"})
    assert dismissed.status_code == 200, dismissed.text
    body = dismissed.json()
    assert (body["status"], body["status_label"]) == ("dismissed", "不予受理")
    assert body["decision_reason"] == "证据与该处罚无关"
    assert body["allowed_actions"] == [] and body["due_on"] is None
    assert [e["action"] for e in body["events"]] == ["file", "dismiss"]
    assert body["flagged_at"] is None
    assert _disputed(platform, number) is False
    again = _review(platform, oid, {"outcome": "accepted"})
    assert again.status_code == 409
    assert again.json()["code"] == "objection.not_awaiting_acceptance"


def test_a_third_party_objection_is_decided_only_after_acceptance(platform, number):
    oid = _file_as_bank(platform, number).json()["id"]
    upheld = platform.post(
        f"/api/v1/objections/{oid}/decision",
        json={"outcome": "upheld", "reason": "认定事实清楚"},
        headers=platform.tokens[REVIEWER],
    )
    assert upheld.status_code == 409
    assert upheld.json()["code"] == "objection.not_accepted"
    assert _disputed(platform, number) is False


def test_conclusive_evidence_lets_the_department_withdraw_the_record_at_once(platform, number):
    oid = _file_as_bank(platform, number).json()["id"]
    withdrawn = platform.post(
        f"/api/v1/objections/{oid}/decision",
        json={"outcome": "withdrawn", "reason": "处罚决定已被撤销"},
        headers=platform.tokens[REVIEWER],
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    assert _disputed(platform, number) is False


def test_only_the_providing_department_accepts(platform, number):
    oid = _file_as_bank(platform, number).json()["id"]
    other = _review(platform, oid, {"outcome": "accepted"}, user=f"reviewer-{HB}")
    assert other.status_code == 403
    assert other.json()["code"] == "objection.not_your_department"
    enterprise = _review(platform, oid, {"outcome": "accepted"}, user="qiye")
    assert enterprise.status_code == 403
    assert enterprise.json()["code"] == "objection.reviewer_only"
    assert _disputed(platform, number) is False


def test_the_subjects_own_objection_needs_no_acceptance(platform, number):
    own = platform.post(
        "/api/v1/objections",
        json={"record_id": record_id(platform, number), "reason": "处罚金额有误"},
        headers=platform.tokens["qiye"],
    )
    assert own.status_code == 201, own.text
    assert own.json()["status"] == "open" and own.json()["accept_due_on"] is None
    assert _disputed(platform, number) is True
    resp = _review(platform, own.json()["id"], {"outcome": "accepted"})
    assert resp.status_code == 409
    assert resp.json()["code"] == "objection.not_awaiting_acceptance"


def test_two_reviewers_accepting_at_once_exactly_one_wins(platform, number):
    oid = _file_as_bank(platform, number).json()["id"]
    with ThreadPoolExecutor(2) as pool:
        results = list(
            pool.map(lambda _: _review(platform, oid, {"outcome": "accepted"}), range(2))
        )
    assert sorted(r.status_code for r in results) == [200, 409]
    read = platform.get(f"/api/v1/objections/{oid}", headers=platform.tokens[REVIEWER]).json()
    assert [e["action"] for e in read["events"]] == ["file", "accept"]


def test_a_second_pending_objection_by_the_same_third_party_is_409(platform, number):
    assert _file_as_bank(platform, number).status_code == 201
    again = _file_as_bank(platform, number)
    assert again.status_code == 409
    assert again.json()["code"] == "objection.already_open"


def test_the_queue_lists_objections_awaiting_acceptance_by_their_deadline(platform, number):
    oid = _file_as_bank(platform, number).json()["id"]
    pending = platform.get(
        "/api/v1/objections", params={"status": "pending"}, headers=platform.tokens[REVIEWER]
    ).json()
    assert oid in {o["id"] for o in pending}
    assert {o["status"] for o in pending} <= {"received", "open"}
    dues = [o["due_on"] for o in pending]
    assert dues == sorted(dues)
    received = platform.get(
        "/api/v1/objections", params={"status": "received"}, headers=platform.tokens[REVIEWER]
    ).json()
    assert oid in {o["id"] for o in received}


def test_a_deployment_sets_its_own_acceptance_limit(platform, number, tmp_path):
    settings = Settings(data_dir=tmp_path, secret_key=SECRET, objection_acceptance_workdays=3)
    client = TestClient(create_app(settings, engine=platform.engine))
    filed = _file_as_bank(platform, number, client=client)
    assert filed.status_code == 201, filed.text
    assert filed.json()["accept_due_on"] == "2026-11-26"  # Monday + 3 working days
