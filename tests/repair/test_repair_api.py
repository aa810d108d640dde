"""信用修复一件事 end to end: one application across three departments, parallel review,
effects on the public file, lists, scores and checks, and bad input refused with reasons."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from sqlalchemy import select, update

from repair.world import FGW, HB, NOW, PROOF, SCJG, SECRET, USCC
from xinyong.config import Settings
from xinyong.db import unit_of_work
from xinyong.records.models import Record
from xinyong.repair.models import RepairItem, RepairTask
from xinyong.sync.platforms import load_platforms
from xinyong.sync.worker import build_adapters, run_once


def _eligibility(platform, user="qiye"):
    resp = platform.get(
        "/api/v1/repair/eligibility", params={"subject_code": USCC}, headers=platform.tokens[user]
    )
    assert resp.status_code == 200, resp.text
    return {i["title"]: i for i in resp.json()["items"]}


def _id(platform, title):
    return _eligibility(platform)[title]["record_id"]


def _apply(platform, record_ids, *, commitment=True, proofs=True, user="qiye"):
    body = {"subject_code": USCC, "record_ids": record_ids}
    if commitment:
        body["commitment"] = {"accepted": True, "signer_name": "张三"}
    if proofs:
        body["proofs"] = [{"filename": "履行证明.pdf", "content_base64": PROOF}]
    return platform.post("/api/v1/repair/applications", json=body, headers=platform.tokens[user])


def test_self_view_says_for_each_record_whether_and_when(platform):
    items = _eligibility(platform)
    assert items["西市监罚〔2026〕101号"]["status"]["possible"] is True
    too_early = items["西市监罚〔2026〕102号"]["status"]
    assert too_early["code"] == "repair.too_early"
    assert too_early["possible_from"] == "2027-01-02"
    assert items["西市监罚〔2026〕103号"]["status"]["code"] == "repair.never_early"
    file = platform.get(f"/api/v1/subjects/{USCC}/file", headers=platform.tokens["qiye"]).json()
    shown = {r["title"]: r["repair"] for r in file["bad"]}
    assert shown["西市监罚〔2026〕102号"]["possible_from"] == "2027-01-02"


def test_guide_is_public_free_and_generated_from_the_rules(platform):
    guide = platform.get("/api/v1/repair/guide").json()
    assert guide["free_of_charge"] is True
    assert len(guide["materials"]) == 3
    ids = {r["id"] for r in guide["rules"]}
    assert {"penalty_general", "serious_dishonesty_list", "judgment_defaulter"} <= ids
    penalty = platform.get("/api/v1/repair/guide/administrative_penalty").json()
    assert all("administrative_penalty" in r["record_types"] for r in penalty["rules"])
    assert any("令第36号" in line for r in penalty["rules"] for line in r["publicity"])
    assert platform.get("/api/v1/repair/guide/no_such_type").status_code == 404


def test_applying_for_another_enterprises_record_is_forbidden(platform):
    with unit_of_work(platform.engine) as s:
        other = s.scalar(
            select(Record.id).where(
                Record.fields["decision_number"].as_string() == "西市监罚〔2026〕104号"
            )
        )
    resp = _apply(platform, [other])
    assert resp.status_code == 403
    assert resp.json()["code"] == "repair.not_own_record"


def test_record_before_its_minimum_period_is_409_with_the_date(platform):
    resp = _apply(platform, [_id(platform, "西市监罚〔2026〕102号")])
    assert resp.status_code == 409
    body = resp.json()
    assert body["code"] == "repair.too_early"
    assert "2027-01-02" in body["title"]
    assert body["errors"][0]["field"] == "record_ids[0]"


def test_type_that_can_never_end_early_is_refused(platform):
    resp = _apply(platform, [_id(platform, "西市监罚〔2026〕103号")])
    assert resp.status_code == 409
    assert resp.json()["code"] == "repair.never_early"


def test_application_without_the_commitment_is_refused(platform):
    resp = _apply(platform, [_id(platform, "西市监罚〔2026〕101号")], commitment=False)
    assert resp.status_code == 422
    assert resp.json()["code"] == "repair.commitment_required"
    assert resp.json()["errors"][0]["field"] == "commitment"


def test_black_list_repair_without_proof_names_the_record(platform):
    black = _id(platform, "杭信认〔2025〕8号")
    resp = _apply(platform, [black], proofs=False)
    assert resp.status_code == 422
    assert resp.json()["code"] == "repair.proof_required"


def test_only_enterprises_apply_and_other_roles_cannot_review(platform):
    resp = _apply(platform, [_id(platform, "西市监罚〔2026〕101号")], user="admin")
    assert resp.status_code == 403
    assert platform.get("/api/v1/repair/tasks", headers=platform.tokens["qiye"]).status_code == 403


@pytest.fixture(scope="module")
def application(platform):
    """One application for every eligible record: two penalties from two departments and
    the black-list entry."""
    ids = [
        _id(platform, "西市监罚〔2026〕101号"),
        _id(platform, "杭环西罚〔2026〕7号"),
        _id(platform, "杭信认〔2025〕8号"),
    ]
    before = {
        "public": platform.get(f"/api/v1/subjects/{USCC}/file").json(),
        "check": platform.post(
            "/api/v1/checks",
            json={"subject_code": USCC, "matter": "政府采购投标", "area": "公共资源交易"},
            headers=platform.keys[SCJG],
        ).json(),
        "scores": platform.get(
            f"/api/v1/subjects/{USCC}/scores", headers=platform.tokens["admin"]
        ).json(),
    }
    resp = _apply(platform, ids)
    assert resp.status_code == 201, resp.text
    return {"ids": ids, "body": resp.json(), "before": before}


def test_one_application_three_departments_three_materials_free(application):
    body = application["body"]
    assert body["fee"] == 0
    assert len(body["materials"]) <= 3
    assert [m["kind"] for m in body["materials"]] == ["form", "commitment", "proof"]
    assert sorted(t["department_code"] for t in body["tasks"]) == sorted([SCJG, HB, FGW])
    assert body["status"] == "in_review"
    # 10 working days from Monday 2026-11-23 for the feedback; 3 for each department.
    assert body["feedback_due_on"] == "2026-12-07"
    assert {t["due_on"] for t in body["tasks"]} == {"2026-11-26"}


def test_second_open_application_for_the_same_record_is_409(platform, application):
    resp = _apply(platform, [application["ids"][0]])
    assert resp.status_code == 409
    assert resp.json()["code"] == "repair.already_open"


def test_each_department_sees_only_its_own_task(platform, application):
    for code in (SCJG, HB, FGW):
        tasks = platform.get(
            "/api/v1/repair/tasks",
            params={"status": "pending"},
            headers=platform.tokens[f"reviewer-{code}"],
        ).json()
        assert {t["department_code"] for t in tasks} == {code}
        assert len(tasks[0]["items"]) == 1


def _task(platform, code, application_id):
    tasks = platform.get("/api/v1/repair/tasks", headers=platform.tokens[f"reviewer-{code}"]).json()
    return next(t for t in tasks if t["application_id"] == application_id)


def test_reviewer_of_another_department_cannot_decide(platform, application):
    task = _task(platform, HB, application["body"]["id"])
    resp = platform.post(
        f"/api/v1/repair/tasks/{task['id']}/decision",
        json={"decisions": [{"record_id": task["items"][0]["record_id"], "outcome": "approve"}]},
        headers=platform.tokens[f"reviewer-{SCJG}"],
    )
    assert resp.status_code == 403
    assert resp.json()["code"] == "repair.not_your_task"


@pytest.fixture(scope="module")
def approved(platform, application):
    """Every department approves (two reviewers of SCJG racing on its task)."""
    app_id = application["body"]["id"]
    for code in (HB, FGW):
        task = _task(platform, code, app_id)
        resp = platform.post(
            f"/api/v1/repair/tasks/{task['id']}/decision",
            json={
                "decisions": [{"record_id": task["items"][0]["record_id"], "outcome": "approve"}]
            },
            headers=platform.tokens[f"reviewer-{code}"],
        )
        assert resp.status_code == 200, resp.text
    task = _task(platform, SCJG, app_id)
    body = {"decisions": [{"record_id": task["items"][0]["record_id"], "outcome": "approve"}]}
    url = f"/api/v1/repair/tasks/{task['id']}/decision"
    with ThreadPoolExecutor(2) as pool:
        results = list(
            pool.map(
                lambda _: platform.post(
                    url, json=body, headers=platform.tokens[f"reviewer-{SCJG}"]
                ),
                range(2),
            )
        )
    return {"race": sorted(r.status_code for r in results)}


def test_two_reviewers_at_once_exactly_one_wins(approved):
    assert approved["race"] == [200, 409]


def test_after_approval_the_public_file_lists_scores_and_checks_reflect_the_repair(
    platform, application, approved
):
    app = platform.get(
        f"/api/v1/repair/applications/{application['body']['id']}", headers=platform.tokens["qiye"]
    ).json()
    assert app["status"] == "approved"
    public = platform.get(f"/api/v1/subjects/{USCC}/file").json()
    titles = {r["title"] for r in public["bad"]}
    assert "西市监罚〔2026〕101号" not in titles and "杭环西罚〔2026〕7号" not in titles
    # The 严重失信主体名单 entry is gone with its repaired record.
    assert "black" not in {m["list_id"] for m in public["lists"]}
    own = platform.get(f"/api/v1/subjects/{USCC}/file", headers=platform.tokens["qiye"]).json()
    repaired = {r["title"]: r for r in own["bad"]}["西市监罚〔2026〕101号"]
    assert repaired["publicity_state"] == "已修复（终止公示）"
    assert repaired["repaired_on"] == "2026-11-23"
    check = platform.post(
        "/api/v1/checks",
        json={"subject_code": USCC, "matter": "政府采购投标", "area": "公共资源交易"},
        headers=platform.keys[SCJG],
    ).json()
    before = application["before"]["check"]
    assert "trading_restrict_black_list" in {m["id"] for m in before["measures"]}
    assert "trading_restrict_black_list" not in {m["id"] for m in check["measures"]}
    after_scores = platform.get(
        f"/api/v1/subjects/{USCC}/scores", headers=platform.tokens["admin"]
    ).json()
    total = {s["model_id"]: float(s["total"]) for s in after_scores["scores"]}
    total_before = {
        s["model_id"]: float(s["total"]) for s in application["before"]["scores"]["scores"]
    }
    assert total["enterprise_public_credit"] > total_before["enterprise_public_credit"]
    assert check["grades"], "the stored grade was recomputed at approval"


def test_every_platform_acknowledges_each_repaired_record(platform, application, approved):
    # Approval wrote one delivery per platform into the outbox; the worker delivers them (the
    # shipped platforms drop files under the data directory) and records the acknowledgements.
    platforms = load_platforms(Settings(data_dir=platform.data_dir, secret_key=SECRET))
    summary = run_once(platform.engine, platforms, build_adapters(platforms), clock=lambda: NOW)
    assert summary.acknowledged == summary.claimed > 0
    deliveries = platform.get(
        "/api/v1/sync/deliveries", params={"limit": 500}, headers=platform.tokens["admin"]
    ).json()
    repaired = {d["object_id"] for d in deliveries}
    assert repaired == set(application["ids"])
    for record_id in repaired:
        own = [d for d in deliveries if d["object_id"] == record_id]
        assert {d["status"] for d in own} == {"acknowledged"}
        assert {"creditchina", "zhejiang", "hangzhou"} <= {d["platform"] for d in own}
    # 国家企业信用信息公示系统 takes market-regulation penalties only (DOMAIN.md §3.6).
    market, environment, black = application["ids"]
    assert "gsxt" in {d["platform"] for d in deliveries if d["object_id"] == market}
    assert "gsxt" not in {
        d["platform"] for d in deliveries if d["object_id"] in (environment, black)
    }
    # Nothing is sent twice: another pass finds nothing due.
    again = run_once(platform.engine, platforms, build_adapters(platforms), clock=lambda: NOW)
    assert again.claimed == 0


def test_objecting_records_and_metrics_report_median_working_days(platform, approved):
    metrics = platform.get("/api/v1/repair/metrics", headers=platform.tokens["admin"]).json()
    assert metrics["total"]["completed"] >= 1
    assert metrics["total"]["median_workdays"] == 0.0
    assert metrics["total"]["online_share"] == 1.0
    assert {r["key"] for r in metrics["by_department"]} >= {SCJG, HB, FGW}
    csv_text = platform.get(
        "/api/v1/repair/metrics", params={"format": "csv"}, headers=platform.tokens["admin"]
    ).text
    assert "办结用时中位数（工作日）" in csv_text


def test_supplement_request_pauses_and_expires_with_notice(platform):
    with unit_of_work(platform.engine) as s:
        s.execute(
            update(Record)
            .where(Record.fields["decision_number"].as_string() == "西市监罚〔2026〕102号")
            .values(repair_possible_from=Record.decided_on)
        )
    record_id = _id(platform, "西市监罚〔2026〕102号")
    app = _apply(platform, [record_id])
    assert app.status_code == 201, app.text
    task = app.json()["tasks"][0]
    resp = platform.post(
        f"/api/v1/repair/tasks/{task['id']}/supplement-request",
        json={"reason": "请补充罚款缴纳凭证"},
        headers=platform.tokens[f"reviewer-{SCJG}"],
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["supplement_due_on"] == "2026-12-07"
    with unit_of_work(platform.engine) as s:
        s.execute(
            update(RepairTask)
            .where(RepairTask.id == task["id"])
            .values(supplement_due_on=date(2026, 11, 20))
        )
    swept = platform.post("/api/v1/repair/sweep", headers=platform.tokens["admin"]).json()
    assert swept["expired_tasks"] == 1
    after = platform.get(
        f"/api/v1/repair/applications/{app.json()['id']}", headers=platform.tokens["qiye"]
    ).json()
    assert after["status"] == "expired"
    assert any(e["action"] == "expire" and "逾期未补正" in e["note"] for e in after["events"])
    with unit_of_work(platform.engine) as s:
        assert (
            s.scalar(select(RepairItem.status).where(RepairItem.record_id == record_id))
            == "expired"
        )
    # The record may be applied for again; a rejection needs a reason.
    again = _apply(platform, [record_id])
    assert again.status_code == 201
    task = again.json()["tasks"][0]
    url = f"/api/v1/repair/tasks/{task['id']}/decision"
    headers = platform.tokens[f"reviewer-{SCJG}"]
    no_reason = platform.post(
        url, json={"decisions": [{"record_id": record_id, "outcome": "reject"}]}, headers=headers
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "decisions[0].reason"
    rejected = platform.post(
        url,
        json={
            "decisions": [{"record_id": record_id, "outcome": "reject", "reason": "罚款尚未缴清"}]
        },
        headers=headers,
    )
    assert rejected.status_code == 200, rejected.text
    final = platform.get(
        f"/api/v1/repair/applications/{again.json()['id']}", headers=platform.tokens["qiye"]
    ).json()
    assert final["status"] == "rejected"
    assert final["tasks"][0]["items"][0]["reason"] == "罚款尚未缴清"
