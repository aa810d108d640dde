"""信用异议 end to end over HTTP: filing flags the record at once, the providing department
decides within 5 working days (correct, withdraw or uphold with reasons), the flag clears
when no open objection remains, and bad input is refused with stable codes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from objections.conftest import record_id
from objections.world import EVIDENCE, HB, SCJG, SECRET, USCC
from xinyong.accounts.models import Role
from xinyong.accounts.principal import Principal
from xinyong.audit.models import AuditEntry
from xinyong.catalog.loader import default_catalog
from xinyong.config import Settings
from xinyong.db import unit_of_work
from xinyong.kit import clock
from xinyong.objections.schemas import ObjectionCreate
from xinyong.objections.service import file_objection
from xinyong.objections.setup import ObjectionSetup
from xinyong.records.models import Record, RecordStatus, RecordVersion
from xinyong.sync.outbox import SyncOutbox
from xinyong.web.app import create_app

REVIEWER = f"reviewer-{SCJG}"


def _file(platform, number, *, user="qiye", grounds="content", evidence=False, **extra):
    body = {"record_id": record_id(platform, number), "grounds": grounds, "reason": "处罚金额有误"}
    if evidence is True:
        body["evidence"] = [{"filename": "判决书.pdf", "content_base64": EVIDENCE}]
    elif evidence:
        body["evidence"] = evidence
    body.update(extra)
    return platform.post("/api/v1/objections", json=body, headers=platform.tokens[user])


def _decide(platform, objection_id, body, user=REVIEWER):
    return platform.post(
        f"/api/v1/objections/{objection_id}/decision", json=body, headers=platform.tokens[user]
    )


def _public_bad(platform):
    file = platform.get(f"/api/v1/subjects/{USCC}/file").json()
    return {r["title"]: r for r in file["bad"]}


def _record(platform, number) -> Record:
    with unit_of_work(platform.engine) as s:
        return s.get_one(Record, record_id(platform, number))


@pytest.fixture(scope="module")
def corrected(platform):
    filed = _file(platform, "西市监罚〔2026〕201号", evidence=True, contact="0571-88888888")
    assert filed.status_code == 201, filed.text
    shown = _public_bad(platform)["西市监罚〔2026〕201号"]
    resp = _decide(
        platform,
        filed.json()["id"],
        {
            "outcome": "corrected",
            "reason": "经核实，罚款金额录入有误，已更正",
            "corrected": {"CF_NR": "罚款人民币叁万元", "fine_amount": "3"},
        },
    )
    assert resp.status_code == 200, resp.text
    return {"filed": filed.json(), "shown": shown, "decided": resp.json()}


def _deliveries(platform, objection_id):
    resp = platform.get(
        "/api/v1/sync/deliveries", params={"limit": 500}, headers=platform.tokens["admin"]
    )
    assert resp.status_code == 200, resp.text
    return [
        d for d in resp.json() if d["object_type"] == "objection" and d["object_id"] == objection_id
    ]


class TestFiling:
    def test_filing_flags_the_record_at_once_on_the_public_file(self, corrected):
        assert corrected["shown"]["disputed"] is True
        assert corrected["shown"]["dispute_label"]
        filed = corrected["filed"]
        assert filed["status"] == "open"
        assert filed["status_label"] == "异议处理中"
        assert filed["by_subject"] is True
        assert filed["department_code"] == SCJG
        assert [e["filename"] for e in filed["evidence"]] == ["判决书.pdf"]

    def test_deadlines_follow_the_working_day_calendar(self, corrected):
        filed = corrected["filed"]
        # Filed Monday 2026-11-23: flag within 1 working day, decision within 5.
        assert filed["received_on"] == "2026-11-23"
        assert filed["flag_due_on"] == "2026-11-24"
        assert filed["decision_due_on"] == "2026-11-30"
        assert filed["due_provisional"] is False

    def test_a_deployment_sets_its_own_decision_limit(self, platform, tmp_path):
        settings = Settings(data_dir=tmp_path, secret_key=SECRET, objection_decision_workdays=3)
        client = TestClient(create_app(settings, engine=platform.engine))
        resp = client.post(
            "/api/v1/objections",
            json={
                "record_id": record_id(platform, "西市监罚〔2026〕214号"),
                "grounds": "content",
                "reason": "处罚金额有误",
            },
            headers=platform.tokens["qiye"],
        )
        assert resp.status_code == 201, resp.text
        assert resp.json()["decision_due_on"] == "2026-11-26"  # Monday + 3 working days

    def test_filing_writes_an_event_and_an_audit_row(self, platform, corrected):
        assert [e["action"] for e in corrected["filed"]["events"]] == ["file"]
        with unit_of_work(platform.engine) as s:
            actions = s.scalars(
                select(AuditEntry.action).where(
                    AuditEntry.object_type == "objection",
                    AuditEntry.object_id == str(corrected["filed"]["id"]),
                )
            ).all()
        assert sorted(actions) == ["objection.correct", "objection.file"]

    def test_deadline_across_the_2026_spring_festival(self, platform, monkeypatch):
        friday = datetime(2026, 2, 13, 10, 0, tzinfo=clock.SHANGHAI)
        monkeypatch.setattr(clock, "now", lambda: friday)
        resp = _file(platform, "西市监罚〔2026〕207号")
        assert resp.status_code == 201, resp.text
        # 2026-02-14 is a make-up workday, 02-15 … 02-23 the holiday: 14, 24, 25, 26, 27.
        assert resp.json()["decision_due_on"] == "2026-02-27"
        assert resp.json()["due_provisional"] is False

    def test_deadline_in_2027_is_provisional(self, platform):
        # Called on the service: a login token would not survive the jump of the clock.
        in_force = platform.app.state.wiring.held
        with unit_of_work(platform.engine) as s:
            record = s.get_one(Record, record_id(platform, "西市监罚〔2026〕208号"))
            applicant = Principal(
                kind="user",
                id=9_999,
                role=Role.ENTERPRISE,
                department_code=None,
                subject_id=record.subject_id,
                name="企业经办人",
            )
            filed = file_objection(
                s,
                ObjectionSetup(
                    catalog=default_catalog(),
                    secret=b"test",
                    scorecards=in_force.definitions.scorecards,
                    outbox=in_force.get(SyncOutbox),
                ),
                principal=applicant,
                data=ObjectionCreate(record_id=record.id, reason="公示期限有误"),
                now=datetime(2027, 3, 1, 9, tzinfo=clock.SHANGHAI),
            )
        # No 2027 holiday notice in the calendar: Mon–Fri counted, marked 暂定.
        assert filed.decision_due_on == date(2027, 3, 8)
        assert filed.due_provisional is True

    def test_second_open_objection_by_the_same_applicant_is_409(self, platform):
        assert _file(platform, "西市监罚〔2026〕204号").status_code == 201
        again = _file(platform, "西市监罚〔2026〕204号")
        assert again.status_code == 409
        assert again.json()["code"] == "objection.already_open"

    def test_repaired_record_is_409_with_a_chinese_message(self, platform):
        with unit_of_work(platform.engine) as s:
            s.execute(
                update(Record)
                .where(Record.id == record_id(platform, "西市监罚〔2026〕205号"))
                .values(repaired_on=date(2026, 11, 1))
            )
        resp = _file(platform, "西市监罚〔2026〕205号")
        assert resp.status_code == 409
        assert resp.json()["code"] == "objection.record_repaired"
        assert "信用修复" in resp.json()["title"]

    def test_unknown_record_is_404(self, platform):
        resp = platform.post(
            "/api/v1/objections",
            json={"record_id": 999_999, "reason": "无此处罚"},
            headers=platform.tokens["qiye"],
        )
        assert resp.status_code == 404
        assert resp.json()["code"] == "objection.record_not_found"

    def test_empty_reason_is_422(self, platform):
        resp = _file(platform, "西市监罚〔2026〕209号", reason="   ")
        assert resp.status_code == 422

    def test_evidence_not_base64_is_422(self, platform):
        resp = _file(
            platform,
            "西市监罚〔2026〕209号",
            evidence=[{"filename": "x.pdf", "content_base64": "not base64!"}],
        )
        assert resp.status_code == 422
        assert resp.json()["code"] == "objection.evidence_encoding"

    def test_anonymous_cannot_object(self, platform):
        resp = platform.post(
            "/api/v1/objections",
            json={"record_id": record_id(platform, "西市监罚〔2026〕209号"), "reason": "有误"},
        )
        assert resp.status_code == 401


class TestWhoMayObject:
    def test_another_enterprises_non_penalty_record_is_forbidden(self, platform):
        resp = _file(platform, "杭信认〔2025〕9号")
        assert resp.status_code == 403
        assert resp.json()["code"] == "objection.not_own_record"

    def test_third_party_needs_evidence_for_a_penalty(self, platform):
        resp = _file(platform, "西市监罚〔2026〕299号", user="bank")
        assert resp.status_code == 422
        assert resp.json()["code"] == "objection.evidence_required"

    def test_only_the_subject_objects_to_the_publicity_period(self, platform):
        resp = _file(
            platform,
            "西市监罚〔2026〕299号",
            user="bank",
            grounds="publicity_period",
            evidence=True,
        )
        assert resp.status_code == 403
        assert resp.json()["code"] == "objection.subject_only"

    def test_flag_stays_until_the_last_open_objection_is_decided(self, platform):
        third = _file(platform, "西市监罚〔2026〕299号", user="bank", evidence=True)
        assert third.status_code == 201, third.text
        assert third.json()["by_subject"] is False
        accepted = platform.post(
            f"/api/v1/objections/{third.json()['id']}/acceptance",
            json={"outcome": "accepted"},
            headers=platform.tokens[REVIEWER],
        )
        assert accepted.status_code == 200, accepted.text
        own = _file(platform, "西市监罚〔2026〕299号", user="qiye2", grounds="publicity_period")
        assert own.status_code == 201, own.text
        first = _decide(platform, third.json()["id"], {"outcome": "upheld", "reason": "证据不足"})
        assert first.status_code == 200, first.text
        assert _record(platform, "西市监罚〔2026〕299号").disputed is True
        last = _decide(platform, own.json()["id"], {"outcome": "upheld", "reason": "公示期限正确"})
        assert last.status_code == 200, last.text
        assert _record(platform, "西市监罚〔2026〕299号").disputed is False


class TestDecision:
    def test_correction_is_a_new_version_keeping_history(self, platform, corrected):
        decided = corrected["decided"]
        assert decided["status"] == "corrected"
        assert decided["record_version"] == 2
        record = _record(platform, "西市监罚〔2026〕201号")
        assert record.fields["penalty_content"] == "罚款人民币叁万元"
        assert record.fields["fine_amount"] == "3"
        assert record.disputed is False
        with unit_of_work(platform.engine) as s:
            old = s.scalars(select(RecordVersion).where(RecordVersion.record_id == record.id)).all()
        assert [(v.version, v.fields["penalty_content"]) for v in old] == [(1, "罚款人民币伍万元")]
        assert _public_bad(platform)["西市监罚〔2026〕201号"]["disputed"] is False

    def test_applicant_reads_the_outcome_and_reasons(self, platform, corrected):
        oid = corrected["filed"]["id"]
        mine = platform.get(f"/api/v1/objections/{oid}", headers=platform.tokens["qiye"])
        assert mine.status_code == 200
        assert mine.json()["outcome"] == "corrected"
        assert mine.json()["decision_reason"] == "经核实，罚款金额录入有误，已更正"
        assert [e["action"] for e in mine.json()["events"]] == ["file", "correct"]
        other = platform.get(f"/api/v1/objections/{oid}", headers=platform.tokens["qiye2"])
        assert other.status_code == 404

    def test_withdrawal_revokes_the_record_through_ingest(self, platform):
        filed = _file(platform, "西市监罚〔2026〕202号")
        resp = _decide(platform, filed.json()["id"], {"outcome": "withdrawn", "reason": "已撤销"})
        assert resp.status_code == 200, resp.text
        record = _record(platform, "西市监罚〔2026〕202号")
        assert record.status == RecordStatus.REVOKED
        assert record.version == 2
        assert "西市监罚〔2026〕202号" not in _public_bad(platform)
        # Every platform that shows the record is told to take it down (market regulation:
        # 国家企业信用信息公示系统 too), through the outbox written with the decision.
        sent = _deliveries(platform, filed.json()["id"])
        assert {d["kind"] for d in sent} == {"withdraw"}
        assert {d["platform"] for d in sent} == {"creditchina", "zhejiang", "hangzhou", "gsxt"}

    def test_withdrawal_closes_the_other_open_objections_on_the_record(self, platform):
        third = _file(platform, "西市监罚〔2026〕213号", user="bank", evidence=True)
        own = _file(platform, "西市监罚〔2026〕213号")
        assert third.status_code == own.status_code == 201, (third.text, own.text)
        resp = _decide(platform, own.json()["id"], {"outcome": "withdrawn", "reason": "已撤销"})
        assert resp.status_code == 200, resp.text
        closed = platform.get(
            f"/api/v1/objections/{third.json()['id']}", headers=platform.tokens["bank"]
        ).json()
        assert closed["status"] == "withdrawn"
        assert f"异议 #{own.json()['id']}" in closed["decision_reason"]
        assert [e["action"] for e in closed["events"]] == ["file", "withdraw"]
        assert _record(platform, "西市监罚〔2026〕213号").disputed is False

    def test_correction_reaches_the_platforms_and_upholding_does_not(self, platform, corrected):
        sent = _deliveries(platform, corrected["filed"]["id"])
        assert {d["kind"] for d in sent} == {"correct"}
        assert len(sent) == 4
        upheld = _file(platform, "西市监罚〔2026〕212号").json()["id"]
        resp = _decide(platform, upheld, {"outcome": "upheld", "reason": "认定事实清楚"})
        assert resp.status_code == 200, resp.text
        assert _deliveries(platform, upheld) == []

    def test_decisions_refused_with_reasons(self, platform):
        filed = _file(platform, "西市监罚〔2026〕203号")
        oid = filed.json()["id"]
        other = _decide(platform, oid, {"outcome": "upheld", "reason": "x"}, user=f"reviewer-{HB}")
        assert other.status_code == 403
        assert other.json()["code"] == "objection.not_your_department"
        enterprise = _decide(platform, oid, {"outcome": "upheld", "reason": "x"}, user="qiye")
        assert enterprise.status_code == 403
        assert enterprise.json()["code"] == "objection.reviewer_only"
        no_reason = _decide(platform, oid, {"outcome": "upheld"})
        assert no_reason.status_code == 422
        assert no_reason.json()["code"] == "objection.reason_required"
        no_values = _decide(platform, oid, {"outcome": "corrected", "reason": "更正"})
        assert no_values.status_code == 422
        assert no_values.json()["code"] == "objection.corrected_required"
        key = _decide(
            platform, oid, {"outcome": "corrected", "corrected": {"CF_WSH": "西市监罚〔2026〕1号"}}
        )
        assert key.status_code == 422
        assert key.json()["code"] == "objection.identity_field"
        bad_date = _decide(platform, oid, {"outcome": "corrected", "corrected": {"CF_JDRQ": "x"}})
        assert bad_date.status_code == 422
        assert bad_date.json()["code"] == "objection.correction_invalid"
        # Nothing of the refused decisions stayed behind.
        assert _record(platform, "西市监罚〔2026〕203号").version == 1
        assert _record(platform, "西市监罚〔2026〕203号").disputed is True

    def test_two_reviewers_deciding_at_once_exactly_one_wins(self, platform):
        oid = _file(platform, "西市监罚〔2026〕206号").json()["id"]
        body = {"outcome": "upheld", "reason": "处罚决定认定事实清楚"}
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(lambda _: _decide(platform, oid, body), range(2)))
        assert sorted(r.status_code for r in results) == [200, 409]
        loser = next(r for r in results if r.status_code == 409)
        assert loser.json()["code"] == "objection.conflict"
        again = _decide(platform, oid, body)
        assert again.status_code == 409

    def test_queue_shows_only_own_department_and_flags_overdue(self, platform, corrected):
        queue = platform.get(
            "/api/v1/objections", params={"status": "open"}, headers=platform.tokens[REVIEWER]
        ).json()
        assert queue and {o["department_code"] for o in queue} == {SCJG}
        overdue = platform.get(
            "/api/v1/objections", params={"overdue": True}, headers=platform.tokens[REVIEWER]
        ).json()
        # The Spring Festival objection was due 2026-02-27 and is still open.
        assert [o["decision_due_on"] for o in overdue] == ["2026-02-27"]
        assert all(o["overdue"] for o in overdue)
        hb = platform.get("/api/v1/objections", headers=platform.tokens[f"reviewer-{HB}"]).json()
        assert hb == []
        mine = platform.get("/api/v1/objections", headers=platform.tokens["qiye"]).json()
        assert corrected["filed"]["id"] in {o["id"] for o in mine}
        assert all(o["subject_name"] == "杭州西湖示范科技有限公司" for o in mine)


class TestRepairResult:
    def test_rejected_repair_can_be_objected_to_by_the_subject_only(self, platform):
        rid = record_id(platform, "西市监罚〔2026〕209号")
        app = platform.post(
            "/api/v1/repair/applications",
            json={
                "subject_code": USCC,
                "record_ids": [rid],
                "commitment": {"accepted": True, "signer_name": "张三"},
                "proofs": [{"filename": "缴款凭证.pdf", "content_base64": EVIDENCE}],
            },
            headers=platform.tokens["qiye"],
        )
        assert app.status_code == 201, app.text
        task = app.json()["tasks"][0]
        rejected = platform.post(
            f"/api/v1/repair/tasks/{task['id']}/decision",
            json={"decisions": [{"record_id": rid, "outcome": "reject", "reason": "罚款未缴清"}]},
            headers=platform.tokens[REVIEWER],
        )
        assert rejected.status_code == 200, rejected.text
        item_id = task["items"][0]["id"]
        body = {"repair_item_id": item_id, "grounds": "repair_result", "reason": "罚款已缴清"}
        stranger = platform.post("/api/v1/objections", json=body, headers=platform.tokens["bank"])
        assert stranger.status_code == 403
        assert stranger.json()["code"] == "objection.subject_only"
        resp = platform.post("/api/v1/objections", json=body, headers=platform.tokens["qiye"])
        assert resp.status_code == 201, resp.text
        assert (resp.json()["record_id"], resp.json()["repair_item_id"]) == (rid, item_id)
        assert resp.json()["grounds_label"] == "对信用修复结果有异议"
        assert _record(platform, "西市监罚〔2026〕209号").disputed is True

    def test_unknown_repair_item_is_404(self, platform):
        resp = platform.post(
            "/api/v1/objections",
            json={"repair_item_id": 999_999, "grounds": "repair_result", "reason": "有误"},
            headers=platform.tokens["qiye"],
        )
        assert resp.status_code == 404
        assert resp.json()["code"] == "objection.repair_item_not_found"


def test_a_reviewer_reading_objections_is_in_the_subjects_query_log(platform):
    filed = _file(platform, "西市监罚〔2026〕208号")
    assert filed.status_code == 201, filed.text

    def lines():
        return platform.get(
            f"/api/v1/subjects/{USCC}/query-log", headers=platform.tokens["qiye"]
        ).json()["items"]

    before = len(lines())
    platform.get(f"/api/v1/objections/{filed.json()['id']}", headers=platform.tokens[REVIEWER])
    platform.get("/api/v1/objections", headers=platform.tokens[REVIEWER])
    log = lines()
    assert len(log) == before + 2
    assert {e["channel_label"] for e in log[:2]} == {"查阅信用异议"}
    # The subject reading its own objection is audited, but is not a third party's read.
    platform.get(f"/api/v1/objections/{filed.json()['id']}", headers=platform.tokens["qiye"])
    assert len(lines()) == before + 2


def test_evidence_file_names_are_stored_without_paths_or_control_characters(platform):
    evidence = [{"filename": "..\\..\\证据/../判决书\u202e.pdf", "content_base64": EVIDENCE}]
    filed = _file(platform, "西市监罚〔2026〕206号", user="bank", evidence=evidence)
    assert filed.status_code == 201, filed.text
    names = [e["filename"] for e in filed.json()["evidence"]]
    assert names == ["判决书.pdf"]
