"""信用承诺 end to end: templates, online signing with the 42号文 restriction, the receiving
department's verification (once, by compare-and-set), breach → dishonesty record → checks say
不适用告知承诺 until the breach is repaired; listings by role; bad input refused."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from commitments.world import (
    HB,
    MATTER,
    NAME,
    NOW,
    OTHER_USCC,
    SCJG,
    SECRET,
    SERIOUS_USCC,
    USCC,
)
from xinyong.accounts.models import Department, Role
from xinyong.accounts.principal import Principal
from xinyong.audit.models import AuditEntry
from xinyong.cli import app
from xinyong.commitments.models import Commitment
from xinyong.commitments.service import CommitmentSetup, sign_repair_commitment
from xinyong.config import get_settings
from xinyong.db import unit_of_work
from xinyong.records.models import Record
from xinyong.subjects.models import Subject

TODAY = NOW.date()
NO_COMMITMENT = "不适用告知承诺"


def _sign(platform, template_id, *, user="qiye", code=USCC, department=SCJG, matter=MATTER):
    body = {
        "subject_code": code,
        "template_id": template_id,
        "receiving_department": department,
        "matter": matter,
        "signer_name": "张三",
        "accepted": True,
    }
    return platform.post("/api/v1/commitments", json=body, headers=platform.tokens[user])


def _signed(platform, template_id, **kwargs):
    resp = _sign(platform, template_id, **kwargs)
    assert resp.status_code == 201, resp.text
    return resp.json()


def _verify(platform, commitment_id, outcome="fulfilled", *, user=f"staff-{SCJG}", **extra):
    body = {"outcome": outcome, "note": "现场核查", **extra}
    return platform.post(
        f"/api/v1/commitments/{commitment_id}/verification",
        json=body,
        headers=platform.tokens[user],
    )


def _check(platform, code=USCC):
    resp = platform.post(
        "/api/v1/checks",
        json={"subject_code": code, "matter": MATTER, "area": "审批服务"},
        headers=platform.keys[SCJG],
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


def _record(platform, record_id):
    with unit_of_work(platform.engine) as s:
        record = s.get(Record, record_id)
        s.expunge(record)
        return record


def test_templates_are_public_versioned_and_cover_the_six_types(platform):
    resp = platform.get("/api/v1/commitments/templates")
    assert resp.status_code == 200
    book = resp.json()
    types = {t["type"] for t in book["templates"]}
    assert types == {
        "审批替代型",
        "容缺办理型",
        "证明事项告知承诺",
        "主动公示型",
        "行业自律型",
        "信用修复型",
    }
    restricted = {t["type"] for t in book["templates"] if t["restricted"]}
    assert restricted == {"审批替代型", "容缺办理型", "证明事项告知承诺"}
    assert all(t["reference"] and t["version"] >= 1 for t in book["templates"])
    public = {t["type"] for t in book["templates"] if t["public"]}
    assert public == {"主动公示型", "行业自律型", "信用修复型"}


def test_signing_stores_the_filled_text_with_its_hash_and_writes_a_commitment_record(platform):
    body = _signed(platform, "proof_notification")
    assert body["status"] == "signed"
    assert body["commitment_type"] == "证明事项告知承诺"
    assert body["template_version"] == 1
    assert NAME in body["text"] and USCC in body["text"] and MATTER in body["text"]
    assert "{" not in body["text"]
    assert body["text_sha256"] == hashlib.sha256(body["text"].encode()).hexdigest()
    assert body["due_on"] == (TODAY + timedelta(days=30)).isoformat()
    assert body["receiving_department_code"] == SCJG
    assert body["allowed_actions"] == ["fulfil", "breach"]
    record = _record(platform, body["record_id"])
    assert record.record_type == "credit_commitment"
    assert record.fields["commitment_type"] == "证明事项告知承诺"
    assert record.fields["commitment_item"] == MATTER
    assert record.publicised is False


def test_public_commitment_appears_in_the_public_credit_file_and_a_proof_one_does_not(platform):
    pledge = _signed(platform, "public_pledge", matter="诚信经营")
    assert _record(platform, pledge["record_id"]).publicised is True
    file = platform.get(f"/api/v1/subjects/{USCC}/file").json()
    shown = [r for group in ("good", "bad", "other") for r in file[group]]
    ids = {r["id"] for r in shown}
    assert pledge["record_id"] in ids
    assert all("证明事项告知承诺" not in str(r["fields"]) for r in shown), (
        "a non-public commitment leaked into the public file"
    )


class TestBadInput:
    def test_signing_for_another_enterprise_is_forbidden(self, platform):
        resp = _sign(platform, "proof_notification", code=OTHER_USCC)
        assert resp.status_code == 403
        assert resp.json()["code"] == "commitments.not_own_subject"

    def test_non_enterprise_accounts_cannot_sign(self, platform):
        resp = _sign(platform, "proof_notification", user="admin")
        assert resp.status_code == 403
        assert resp.json()["code"] == "commitments.enterprise_only"

    def test_unknown_template_is_404(self, platform):
        resp = _sign(platform, "no_such_template")
        assert resp.status_code == 404
        assert resp.json()["code"] == "commitments.template_not_found"

    def test_unknown_department_is_422_naming_the_field(self, platform):
        resp = _sign(platform, "proof_notification", department="000000-NONE")
        assert resp.status_code == 422
        body = resp.json()
        assert body["code"] == "commitments.unknown_department"
        assert body["errors"][0]["field"] == "receiving_department"

    def test_matter_outside_the_templates_matters_is_422(self, platform):
        resp = _sign(platform, "repair_commitment", matter="食品经营许可")
        assert resp.status_code == 422
        assert resp.json()["code"] == "commitments.matter_not_applicable"

    def test_not_accepting_the_text_is_422(self, platform):
        resp = platform.post(
            "/api/v1/commitments",
            json={
                "subject_code": USCC,
                "template_id": "public_pledge",
                "receiving_department": SCJG,
                "matter": MATTER,
                "signer_name": "张三",
                "accepted": False,
            },
            headers=platform.tokens["qiye"],
        )
        assert resp.status_code == 422
        assert resp.json()["code"] == "commitments.not_accepted"

    def test_anonymous_cannot_sign(self, platform):
        body = {
            "subject_code": USCC,
            "template_id": "public_pledge",
            "receiving_department": SCJG,
            "matter": MATTER,
            "signer_name": "张三",
            "accepted": True,
        }
        resp = platform.post("/api/v1/commitments", json=body)
        assert resp.status_code == 401


class TestSeriousRecord:
    @pytest.mark.parametrize(
        "template_id", ["proof_notification", "approval_substitute", "accept_with_gaps"]
    )
    def test_approval_types_are_refused_with_the_reason(self, platform, template_id):
        resp = _sign(platform, template_id, user="qiye3", code=SERIOUS_USCC)
        assert resp.status_code == 409
        body = resp.json()
        assert body["code"] == "commitments.not_allowed"
        assert "信用修复前不适用" in body["title"]
        assert any("严重" in e["message"] for e in body["errors"])

    def test_public_pledge_is_still_open(self, platform):
        body = _signed(platform, "public_pledge", user="qiye3", code=SERIOUS_USCC)
        assert body["commitment_type"] == "主动公示型"


@pytest.fixture(scope="module")
def gaps(platform):
    """A 容缺办理型 commitment received by SCJG."""
    return _signed(platform, "accept_with_gaps")


class TestVerification:
    def test_another_department_cannot_verify(self, platform, gaps):
        resp = _verify(platform, gaps["id"], user=f"staff-{HB}")
        assert resp.status_code == 403
        assert resp.json()["code"] == "commitments.not_receiving_department"

    def test_the_subject_itself_cannot_verify(self, platform, gaps):
        resp = _verify(platform, gaps["id"], user="qiye")
        assert resp.status_code == 403

    def test_breach_needs_its_kind(self, platform, gaps):
        resp = _verify(platform, gaps["id"], "breached")
        assert resp.status_code == 422
        assert resp.json()["code"] == "commitments.breach_kind_required"

    def test_fulfilment_then_a_second_verification_is_409(self, platform, gaps):
        resp = _verify(platform, gaps["id"])
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["status"] == "fulfilled"
        assert body["status_label"] == "已履诺"
        assert body["allowed_actions"] == []
        assert [e["action"] for e in body["events"]] == ["sign", "fulfil"]
        again = _verify(platform, gaps["id"], "breached", breach_kind="虚假承诺")
        assert again.status_code == 409
        assert again.json()["code"] == "commitments.invalid_transition"

    def test_unknown_commitment_is_404(self, platform):
        assert _verify(platform, 999_999).status_code == 404


class TestListing:
    def test_enterprise_sees_only_its_own(self, platform):
        _signed(platform, "public_pledge", user="qiye2", code=OTHER_USCC, department=HB)
        rows = platform.get("/api/v1/commitments", headers=platform.tokens["qiye"]).json()
        assert rows and {r["subject_code"] for r in rows} == {USCC}
        resp = platform.get(
            "/api/v1/commitments", params={"subject": OTHER_USCC}, headers=platform.tokens["qiye"]
        )
        assert resp.status_code == 403

    def test_department_sees_what_it_received_and_admin_all(self, platform):
        hb = platform.get("/api/v1/commitments", headers=platform.tokens[f"staff-{HB}"]).json()
        assert hb and {r["receiving_department_code"] for r in hb} == {HB}
        scjg = platform.get("/api/v1/commitments", headers=platform.tokens[f"staff-{SCJG}"]).json()
        assert {r["receiving_department_code"] for r in scjg} == {SCJG}
        every = platform.get("/api/v1/commitments", headers=platform.tokens["admin"]).json()
        assert len(every) == len(hb) + len(scjg)
        fulfilled = platform.get(
            "/api/v1/commitments", params={"status": "fulfilled"}, headers=platform.tokens["admin"]
        ).json()
        assert fulfilled and {r["status"] for r in fulfilled} == {"fulfilled"}

    def test_a_commitment_is_hidden_from_others(self, platform):
        mine = platform.get("/api/v1/commitments", headers=platform.tokens["qiye"]).json()[0]
        url = f"/api/v1/commitments/{mine['id']}"
        assert platform.get(url, headers=platform.tokens["qiye2"]).status_code == 404
        assert platform.get(url, headers=platform.tokens["qiye"]).status_code == 200
        assert platform.get(url).status_code == 401

    def test_overdue_verifications_are_listed_oldest_first(self, platform):
        late = _signed(platform, "approval_substitute", matter="建设工程消防验收")
        with unit_of_work(platform.engine) as s:
            s.execute(
                update(Commitment)
                .where(Commitment.id == late["id"])
                .values(due_on=TODAY - timedelta(days=1))
            )
        rows = platform.get(
            "/api/v1/commitments",
            params={"overdue": "true"},
            headers=platform.tokens[f"staff-{SCJG}"],
        ).json()
        assert [r["id"] for r in rows] == [late["id"]]
        assert rows[0]["overdue"] is True


def test_a_department_reading_commitments_is_audited_and_in_the_subjects_query_log(platform):
    mine = _signed(platform, "public_pledge")
    platform.get(f"/api/v1/commitments/{mine['id']}", headers=platform.tokens[f"staff-{SCJG}"])
    log = platform.get(
        f"/api/v1/subjects/{USCC}/query-log", headers=platform.tokens["qiye"]
    ).json()["items"]
    assert log[0]["channel"] == "commitment"
    assert log[0]["channel_label"] == "查阅信用承诺"
    assert log[0]["reference"] == f"commitment:{mine['id']}"
    with unit_of_work(platform.engine) as s:
        entry = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "commitments.read")
            .order_by(AuditEntry.id.desc())
        ).first()
    assert entry.object_id == str(mine["id"])
    # The subject's own reads are audited but not in its query log (not a third party's).
    platform.get(f"/api/v1/commitments/{mine['id']}", headers=platform.tokens["qiye"])
    again = platform.get(
        f"/api/v1/subjects/{USCC}/query-log", headers=platform.tokens["qiye"]
    ).json()["items"]
    assert len(again) == len(log)


REPAIR_TEXT = "本单位自愿申请信用修复，郑重承诺：已纠正失信行为，提交的材料真实、准确、完整。"


def test_repair_hook_records_the_one_repair_commitment_like_any_other(platform):
    setup = platform.app.state.wiring.held.get(CommitmentSetup)
    with unit_of_work(platform.engine) as s:
        subject_id = s.scalar(select(Subject.id).where(Subject.uscc == USCC))
        department_id = s.scalar(select(Department.id).where(Department.code == HB))
        signer = Principal(
            kind="user", id=7, role=Role.ENTERPRISE, department_code=None,
            subject_id=subject_id, name="张三",
        )  # fmt: skip
        commitment = sign_repair_commitment(
            s,
            setup,
            subject_id=subject_id,
            signer=signer,
            signer_name="张三",
            text=REPAIR_TEXT,
            receiving_department_id=department_id,
            now=NOW,
        )
        commitment_id, record_id = commitment.id, commitment.record_id
    body = platform.get(
        f"/api/v1/commitments/{commitment_id}", headers=platform.tokens["qiye"]
    ).json()
    assert body["channel"] == "repair"
    assert body["commitment_type"] == "信用修复型"
    assert body["template_id"] == "repair_commitment"
    assert body["text"] == REPAIR_TEXT
    assert body["public"] is True
    assert body["receiving_department_code"] == HB
    record = _record(platform, record_id)
    assert record.record_type == "credit_commitment" and record.publicised is True


def test_cli_lists_the_templates_in_force(platform):
    env = {
        "XINYONG_DATABASE_URL": platform.engine.url.render_as_string(hide_password=False),
        "XINYONG_SECRET_KEY": SECRET,
    }
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["commitments", "templates", "--json"], env=env)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    templates = json.loads(result.output)["templates"]
    assert len({t["type"] for t in templates}) == 6
