"""How records are named to applicants and reviewers, and which need no repair at all."""

from __future__ import annotations

from sqlalchemy import select

from factories.records import penalty_row
from repair.world import OTHER_USCC, SCJG, USCC
from xinyong.audit.models import AuditEntry
from xinyong.catalog.loader import default_catalog
from xinyong.db import unit_of_work
from xinyong.records.describe import record_title
from xinyong.records.models import Record


def test_a_record_is_named_by_its_decision_number():
    record = Record(record_type="administrative_penalty", fields={"decision_number": "杭罚1号"})
    assert record_title(record, default_catalog()) == "杭罚1号"


def test_a_value_is_named_after_its_record_type():
    record = Record(record_type="environmental_credit", fields={"colour": "红色"})
    assert record_title(record, default_catalog()) == "环境信用评价：红色"


def test_a_record_without_a_title_field_is_named_by_its_type():
    record = Record(record_type="street_enforcement", fields={})
    assert record_title(record, default_catalog()) == "街区执法记录"


def test_a_simple_procedure_penalty_is_never_publicised_and_needs_no_repair(platform):
    pushed = platform.post(
        "/api/v1/records:batch",
        headers=platform.keys[SCJG],
        json={
            "type": "administrative_penalty",
            "rows": [
                penalty_row(
                    CF_WSH="西市监简罚〔2026〕31号",
                    处罚程序="简易程序",
                    CF_CFLB="警告",
                    CF_NR="警告",
                    CF_NR_FK="",
                    CF_XDR_SHXYM=OTHER_USCC,
                    CF_XDR_MC="别家公司",
                )
            ],
        },
    )
    assert pushed.status_code == 200 and pushed.json()["rejected"] == 0, pushed.text
    items = platform.get(
        "/api/v1/repair/eligibility",
        params={"subject_code": OTHER_USCC},
        headers=platform.tokens["qiye2"],
    ).json()["items"]
    status = next(i["status"] for i in items if i["title"] == "西市监简罚〔2026〕31号")
    assert status["code"] == "repair.not_publicised"
    assert status["possible"] is False


def test_an_enterprise_reads_its_own_eligibility_without_naming_its_code(platform):
    own = platform.get("/api/v1/repair/eligibility", headers=platform.tokens["qiye2"])
    assert own.status_code == 200, own.text
    assert own.json()["subject_code"] == OTHER_USCC


def test_staff_must_name_the_subject(platform):
    resp = platform.get("/api/v1/repair/eligibility", headers=platform.tokens["admin"])
    assert resp.status_code == 422
    assert resp.json()["code"] == "repair.subject_code_required"
    assert resp.json()["errors"][0]["field"] == "subject_code"


def _query_log(platform, user="qiye2"):
    return platform.get(
        f"/api/v1/subjects/{OTHER_USCC}/query-log", headers=platform.tokens[user]
    ).json()["items"]


def test_staff_reading_a_subjects_eligibility_is_audited_and_in_its_query_log(platform):
    before = len(_query_log(platform))
    resp = platform.get(
        "/api/v1/repair/eligibility",
        params={"subject_code": OTHER_USCC},
        headers=platform.tokens[f"reviewer-{SCJG}"],
    )
    assert resp.status_code == 200, resp.text
    log = _query_log(platform)
    assert len(log) == before + 1
    assert (log[0]["channel"], log[0]["channel_label"]) == ("repair", "查阅信用修复信息")
    with unit_of_work(platform.app.state.engine) as s:
        actions = set(s.scalars(select(AuditEntry.action)))
    assert "repair.eligibility_read" in actions
    # The enterprise reading its own eligibility is not a third party's read.
    platform.get("/api/v1/repair/eligibility", headers=platform.tokens["qiye2"])
    assert len(_query_log(platform)) == before + 1


def test_an_enterprise_naming_another_code_is_refused_alike_whether_or_not_it_exists(platform):
    for code in (USCC, "11010519491231002X", "91330106MA20003340"):
        resp = platform.get(
            "/api/v1/repair/eligibility",
            params={"subject_code": code},
            headers=platform.tokens["qiye2"],
        )
        assert resp.status_code == 403, (code, resp.text)
