"""How records are named to applicants and reviewers, and which need no repair at all."""

from __future__ import annotations

from factories.records import penalty_row
from repair.world import OTHER_USCC, SCJG
from xinyong.catalog.loader import default_catalog
from xinyong.records.credit_file import record_title
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
