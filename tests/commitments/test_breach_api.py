"""违诺 → 失信: a breach found by the receiving department becomes a commitment_breach record
from that department in the same transaction; from then the subject's credit check says
不适用告知承诺 and approval-type commitments are refused, until the breach is repaired."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from commitments.world import MATTER, NOW, SCJG, USCC
from xinyong.accounts.models import Department
from xinyong.catalog.schemas import Polarity
from xinyong.db import unit_of_work
from xinyong.records.models import Record

NO_COMMITMENT = "不适用告知承诺"


def _sign(platform, template_id):
    body = {
        "subject_code": USCC,
        "template_id": template_id,
        "receiving_department": SCJG,
        "matter": MATTER,
        "signer_name": "张三",
        "accepted": True,
    }
    return platform.post("/api/v1/commitments", json=body, headers=platform.tokens["qiye"])


def _check(platform):
    resp = platform.post(
        "/api/v1/checks",
        json={"subject_code": USCC, "matter": MATTER, "area": "审批服务"},
        headers=platform.keys[SCJG],
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


@pytest.fixture(scope="module")
def breached(platform):
    """A 证明事项告知承诺 found false; two staff of the department record it at once."""
    before = _check(platform)
    signed = _sign(platform, "proof_notification")
    assert signed.status_code == 201, signed.text
    commitment_id = signed.json()["id"]
    body = {"outcome": "breached", "breach_kind": "虚假承诺", "note": "核查发现承诺的证明事项不实"}
    url = f"/api/v1/commitments/{commitment_id}/verification"
    with ThreadPoolExecutor(2) as pool:
        results = list(
            pool.map(
                lambda _: platform.post(url, json=body, headers=platform.tokens[f"staff-{SCJG}"]),
                range(2),
            )
        )
    read = platform.get(f"/api/v1/commitments/{commitment_id}", headers=platform.tokens["qiye"])
    return {"before": before, "race": results, "commitment": read.json()}


def test_before_any_breach_the_check_allows_notification_commitment(breached):
    assert breached["before"]["decision"] != NO_COMMITMENT


def test_two_verifications_at_once_exactly_one_wins(breached):
    statuses = sorted(r.status_code for r in breached["race"])
    assert statuses == [200, 409], [r.text for r in breached["race"]]
    loser = next(r for r in breached["race"] if r.status_code == 409)
    assert loser.json()["code"] in {"commitments.conflict", "commitments.invalid_transition"}
    assert [e["action"] for e in breached["commitment"]["events"]] == ["sign", "breach"]


def test_breach_creates_a_dishonesty_record_from_the_receiving_department(platform, breached):
    commitment = breached["commitment"]
    assert commitment["status"] == "breached"
    assert commitment["breach_kind"] == "虚假承诺"
    with unit_of_work(platform.engine) as s:
        record = s.get_one(Record, commitment["breach_record_id"])
        source = s.get_one(Department, record.source_department_id)
        assert record.record_type == "commitment_breach"
        assert record.polarity == Polarity.BAD.value
        assert record.severity == "严重"
        assert record.fields["breach_kind"] == "虚假承诺"
        assert record.decided_on == NOW.date()
        assert source.code == SCJG


def test_after_the_breach_checks_say_no_notification_commitment(platform, breached):
    check = _check(platform)
    assert check["decision"] in {NO_COMMITMENT, "从严审查"}
    assert "approval_no_notification_commitment" in {m["id"] for m in check["measures"]}


def test_after_the_breach_approval_types_are_refused_but_public_pledges_are_not(platform, breached):
    for template_id in ("proof_notification", "approval_substitute", "accept_with_gaps"):
        resp = _sign(platform, template_id)
        assert resp.status_code == 409, template_id
        assert resp.json()["code"] == "commitments.not_allowed"
    assert _sign(platform, "public_pledge").status_code == 201


def test_once_the_breach_is_repaired_notification_commitment_is_open_again(platform, breached):
    with unit_of_work(platform.engine) as s:
        s.get_one(Record, breached["commitment"]["breach_record_id"]).repaired_on = NOW.date()
    check = _check(platform)
    assert "approval_no_notification_commitment" not in {m["id"] for m in check["measures"]}
    assert check["decision"] != NO_COMMITMENT
    assert _sign(platform, "proof_notification").status_code == 201
