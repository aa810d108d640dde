"""Credit checks end to end: decisions with measures and their basis, batches, feedback,
statistics, and every check in the subject's query log."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from factories.ingest import make_resident_id, make_uscc
from factories.records import penalty_row
from xinyong.access.models import QueryLogEntry
from xinyong.accounts import service as accounts
from xinyong.accounts.models import Role
from xinyong.audit.models import AuditEntry
from xinyong.catalog.loader import default_catalog
from xinyong.config import Settings
from xinyong.db import unit_of_work
from xinyong.freshness.models import StaleMark
from xinyong.kit import clock
from xinyong.lists.models import ManualListEntry
from xinyong.scoring.models import Score
from xinyong.scoring.shipped import load_all
from xinyong.subjects.models import Subject
from xinyong.web.app import create_app

SOURCE = "330106-SCJG"
OTHER = "330106-FGW"
SECRET = "test-secret"
PASSWORD = "correct-horse-battery"
SERIOUS = make_uscc(9001)  # 吊销营业执照: black list by rule, serious penalty this year
BLACK = make_uscc(9002)  # on the black list by an admin's entry, no penalty
EXCELLENT = make_uscc(9003)  # graded 优秀, no bad records
EXCELLENT_FINED = make_uscc(9004)  # graded 优秀, one general penalty in publicity
UNKNOWN = make_uscc(9999)  # valid, never seen


ENTERPRISE_MODEL = load_all(default_catalog())["enterprise_public_credit"]


def _store_grade(session, subject_id, grade, total):
    """A stored result of the shipped enterprise model, as a batch evaluation writes it."""
    session.add(
        Score(
            subject_id=subject_id,
            model_id="enterprise_public_credit",
            model_version=ENTERPRISE_MODEL.scorecard.version,
            definition_hash=ENTERPRISE_MODEL.definition_hash,
            as_of=date(2026, 10, 31),
            total=Decimal(total),
            grade=grade,
            parts={},
            computed_at=clock.now(),
        )
    )


def _grades_and_black_entry(engine, now):
    """Stored 优秀 grades of the two excellent enterprises and an admin's black-list entry."""
    with unit_of_work(engine) as s:
        ids = dict(s.execute(select(Subject.uscc, Subject.id)).all())
        _store_grade(s, ids[EXCELLENT], "优秀", "951.50")
        _store_grade(s, ids[EXCELLENT_FINED], "优秀", "905.00")
        # The grades stand for a worker pass after the ingest: it clears the ingest's marks.
        s.execute(delete(StaleMark))
        s.add(
            ManualListEntry(
                subject_id=ids[BLACK],
                list_id="black",
                starts_on=date(2026, 1, 5),
                ends_on=None,
                basis="经认定为严重失信主体",
                reference="《上海市社会信用条例》第二十五条",
                created_by="user:1",
                created_at=now,
            )
        )
    return ids


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(request, databases, tmp_path_factory):
    engine = databases.migrated_engine(request.param)
    settings = Settings(data_dir=tmp_path_factory.mktemp("checks"), secret_key=SECRET)
    now = clock.now()
    keys = {}
    with unit_of_work(engine) as s:
        for code, name in (
            (SOURCE, "杭州市西湖区市场监督管理局"),
            (OTHER, "杭州市发展和改革委员会"),
        ):
            accounts.create_department(s, code=code, name=name, sector="other", now=now)
            keys[code], _ = accounts.create_api_key(
                s,
                name=f"{name}系统",
                role=Role.SYSTEM,
                department_code=code,
                secret=SECRET,
                now=now,
            )
        accounts.create_user(s, username="admin", password=PASSWORD, role=Role.ADMIN, now=now)
    client = TestClient(create_app(settings, engine=engine))
    client.engine = engine
    client.source = {"X-API-Key": keys[SOURCE]}
    client.other = {"X-API-Key": keys[OTHER]}
    rows = [
        penalty_row(CF_XDR_SHXYM=SERIOUS, CF_XDR_MC="杭州吊销示范有限公司", CF_CFLB="吊销营业执照"),
        penalty_row(
            CF_XDR_SHXYM=BLACK,
            CF_XDR_MC="杭州黑名单示范有限公司",
            CF_CFLB="警告",
            处罚程序="简易程序",
        ),
        penalty_row(
            CF_XDR_SHXYM=EXCELLENT,
            CF_XDR_MC="杭州优秀示范有限公司",
            CF_CFLB="警告",
            处罚程序="简易程序",
        ),
        penalty_row(CF_XDR_SHXYM=EXCELLENT_FINED, CF_XDR_MC="杭州优秀受罚有限公司"),
    ]
    resp = client.post(
        "/api/v1/records:batch",
        headers=client.source,
        json={"type": "administrative_penalty", "rows": rows},
    )
    assert resp.status_code == 200, resp.text
    ids = _grades_and_black_entry(engine, now)
    client.ids = ids
    resp = client.post("/api/v1/auth/token", json={"username": "admin", "password": PASSWORD})
    client.admin = {"Authorization": f"Bearer {resp.json()['access_token']}"}
    return client


def _check(api, code, area="审批服务", headers=None, matter="企业投资项目核准"):
    return api.post(
        "/api/v1/checks",
        json={"subject_code": code, "matter": matter, "area": area},
        headers=api.source if headers is None else headers,
    )


def _measure(body, measure_id):
    return next(m for m in body["measures"] if m["id"] == measure_id)


def test_black_listed_subject_is_barred_from_public_resource_trading_with_basis(api):
    resp = _check(api, SERIOUS, area="公共资源交易", matter="政府采购项目投标资格审查")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["decision"] in ("不予办理", "限制参与")
    assert body["subject"] == {
        "found": True,
        "code": SERIOUS,
        "name": "杭州吊销示范有限公司",
        "kind": "enterprise",
        "kind_label": "企业",
    }
    restrict = _measure(body, "trading_restrict_black_list")
    assert restrict["action"] == "限制参与"
    assert "政府采购法" in restrict["reference"]
    assert "严重失信主体名单" in restrict["reason"]
    assert [x["list_id"] for x in body["lists"]] == ["black"]
    assert all(m["reference"] and m["reason"] and m["text"] for m in body["measures"])


def test_serious_penalty_within_three_years_refuses_procurement(api):
    body = _check(api, SERIOUS, area="公共资源交易").json()
    refuse = _measure(body, "trading_refuse_recent_serious_penalty")
    assert refuse["action"] == "不予办理"
    assert body["decision"] == "不予办理"
    assert "最近一次严重行政处罚距今整年数：0" in refuse["reason"]


def test_manual_black_entry_restricts_participation(api):
    body = _check(api, BLACK, area="公共资源交易").json()
    assert body["decision"] == "限制参与"
    assert [m["id"] for m in body["measures"]] == ["trading_restrict_black_list"]


def test_top_grade_without_bad_records_is_fast_tracked_in_approval(api):
    body = _check(api, EXCELLENT, area="审批服务").json()
    assert body["decision"] in ("容缺受理", "优先办理")
    measure = _measure(body, "approval_accept_with_gaps_excellent")
    assert "优秀" in measure["reason"] and "公示期内失信记录数：0" in measure["reason"]
    assert body["grades"][0]["grade"] == "优秀"
    assert body["grades"][0]["model_id"] == "enterprise_public_credit"


def test_top_grade_with_a_bad_record_gets_no_incentive(api):
    body = _check(api, EXCELLENT_FINED, area="审批服务").json()
    assert body["decision"] == "正常办理"
    assert body["measures"] == []
    assert body["reasons"]


def test_punishment_withholds_incentives(api):
    body = _check(api, SERIOUS, area="审批服务").json()
    assert {m["kind"] for m in body["measures"]} == {"punish"}
    assert body["decision"] == "从严审查"


def test_unknown_but_valid_code_is_normal_and_not_found(api):
    resp = _check(api, UNKNOWN)
    assert resp.status_code == 200
    body = resp.json()
    assert body["decision"] == "正常办理"
    assert body["subject"]["found"] is False
    assert body["subject"]["code"] == UNKNOWN


def test_unknown_person_is_stored_masked(api):
    number = make_resident_id(321)
    body = _check(api, number).json()
    assert body["subject"]["found"] is False
    assert number not in str(body)
    assert body["subject"]["code"].count("*") == 8


def test_invalid_code_is_a_422_naming_subject_code(api):
    resp = _check(api, "91330106MA2000086B")
    assert resp.status_code == 422
    body = resp.json()
    assert body["code"] == "checks.invalid_codes"
    assert body["errors"][0]["field"] == "subject_code"
    assert body["errors"][0]["code"] == "uscc.check_digit"


def test_unknown_area_is_a_422_listing_the_areas(api):
    resp = _check(api, SERIOUS, area="招商引资")
    assert resp.status_code == 422
    body = resp.json()
    assert body["code"] == "checks.unknown_area"
    assert "公共资源交易" in body["errors"][0]["message"]


def _batch(api, codes, area="公共资源交易"):
    return api.post(
        "/api/v1/checks:batch",
        json={"matter": "某工程施工招标", "area": area, "subjects": [{"code": c} for c in codes]},
        headers=api.source,
    )


def test_empty_batch_is_refused(api):
    resp = _batch(api, [])
    assert resp.status_code == 422
    assert resp.json()["code"] == "checks.empty_batch"


def test_batch_of_1001_is_refused(api):
    resp = _batch(api, [UNKNOWN] * 1001)
    assert resp.status_code == 422
    body = resp.json()
    assert body["code"] == "checks.batch_too_large"
    assert "1000" in body["errors"][0]["message"]


def test_batch_of_1000_is_answered_in_order(api):
    codes = [make_uscc(20_000 + i) for i in range(997)] + [SERIOUS, BLACK, EXCELLENT]
    resp = _batch(api, codes)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["total"], body["succeeded"], body["failed"]) == (1000, 1000, 0)
    assert [r["check"]["subject"]["code"] for r in body["results"]] == codes
    assert [r["index"] for r in body["results"]] == list(range(1000))
    assert body["decisions"] == {"正常办理": 997, "不予办理": 1, "限制参与": 1, "优先办理": 1}


def test_batch_check_answers_good_codes_beside_a_mistyped_one(api):
    mistyped = SERIOUS[:-1] + ("0" if SERIOUS[-1] != "0" else "1")  # a wrong check character
    codes = [make_uscc(30_000 + i) for i in range(998)] + [SERIOUS]
    codes.insert(500, mistyped)
    resp = _batch(api, codes)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["total"], body["succeeded"], body["failed"]) == (1000, 999, 1)
    bad = body["results"][500]
    assert bad["ok"] is False and bad["check"] is None
    assert bad["error"]["field"] == "subjects[500].code"
    assert bad["error"]["code"] == "uscc.check_digit"
    assert "校验位" in bad["error"]["message"]
    good = [r for r in body["results"] if r["ok"]]
    assert [r["check"]["subject"]["code"] for r in good] == codes[:500] + codes[501:]
    assert body["results"][-1]["check"]["decision"] == "不予办理"
    # The good ones are logged in the subject's query log and audited like any check.
    serious_check = body["results"][-1]["check"]["check_id"]
    log = api.get(
        "/api/v1/query-log",
        params={"subject_code": SERIOUS, "channel": "check"},
        headers=api.admin,
    ).json()["items"]
    assert log[0]["reference"] == f"check:{serious_check}"
    with unit_of_work(api.engine) as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.object_id == body["batch_ref"])).one()
    assert entry.action == "checks.batch"
    assert len(entry.detail["checks"]) == 999
    assert entry.detail["failed"] == [{"index": 500, "code": "uscc.check_digit"}]


def test_batch_of_only_bad_codes_answers_each_and_checks_nothing(api):
    before = _stats(api, "decision")["total"]["checks"]
    resp = _batch(api, ["bad-code", "123", ""])
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["succeeded"], body["failed"]) == (0, 3)
    assert [r["error"]["field"] for r in body["results"]] == [
        "subjects[0].code",
        "subjects[1].code",
        "subjects[2].code",
    ]
    assert all(r["error"]["code"] and r["error"]["message"] for r in body["results"])
    assert _stats(api, "decision")["total"]["checks"] == before


def test_a_batch_with_a_shape_error_is_refused_whole(api):
    resp = api.post(
        "/api/v1/checks:batch",
        json={"matter": "某工程施工招标", "subjects": [{"code": SERIOUS}]},
        headers=api.source,
    )
    assert resp.status_code == 422
    resp = _batch(api, [SERIOUS, UNKNOWN], area="招商引资")
    assert resp.status_code == 422
    assert resp.json()["code"] == "checks.unknown_area"


def test_batch_and_single_check_agree(api):
    codes = [SERIOUS, BLACK, EXCELLENT, EXCELLENT_FINED, UNKNOWN]
    for area in ("审批服务", "行政监管", "公共服务", "公共资源交易", "其他政务"):
        batch = _batch(api, codes, area=area).json()["results"]
        for code, from_batch in zip(codes, batch, strict=True):
            single = _check(api, code, area=area).json()
            assert single["decision"] == from_batch["check"]["decision"], (code, area)
            assert single["measures"] == from_batch["check"]["measures"], (code, area)


def test_departments_and_systems_check_others_cannot(api):
    assert _check(api, SERIOUS, headers={}).status_code == 401
    with unit_of_work(api.engine) as s:
        accounts.create_user(
            s,
            username="qiye-check",
            password=PASSWORD,
            role=Role.ENTERPRISE,
            subject_id=api.ids[EXCELLENT],
            now=clock.now(),
        )
    token = api.post(
        "/api/v1/auth/token", json={"username": "qiye-check", "password": PASSWORD}
    ).json()["access_token"]
    resp = _check(api, SERIOUS, headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 403
    assert resp.json()["code"] == "checks.forbidden"


def test_feedback_on_someone_elses_check_is_forbidden(api):
    check_id = _check(api, BLACK).json()["check_id"]
    resp = api.post(
        f"/api/v1/checks/{check_id}/feedback",
        json={"applied": True, "action_taken": "从严审查"},
        headers=api.other,
    )
    assert resp.status_code == 403
    assert resp.json()["code"] == "checks.not_your_check"
    assert api.get(f"/api/v1/checks/{check_id}", headers=api.other).status_code == 403
    assert api.get(f"/api/v1/checks/{check_id}", headers=api.source).status_code == 200


def test_reading_a_check_back_is_audited_and_in_the_subjects_query_log(api):
    check_id = _check(api, BLACK).json()["check_id"]
    assert api.get(f"/api/v1/checks/{check_id}", headers=api.source).status_code == 200
    with unit_of_work(api.app.state.engine) as s:
        entry = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "checks.read_back")
            .order_by(AuditEntry.id.desc())
        ).first()
        line = s.scalars(
            select(QueryLogEntry)
            .where(QueryLogEntry.channel == "check_readback")
            .order_by(QueryLogEntry.id.desc())
        ).first()
    assert entry is not None and entry.object_id == str(check_id)
    assert line is not None and line.subject_id == api.ids[BLACK]
    assert line.reference == f"credit_check:{check_id}"


def test_feedback_on_a_missing_check_is_404(api):
    resp = api.post("/api/v1/checks/99999/feedback", json={"applied": False}, headers=api.source)
    assert resp.status_code == 404


def test_applied_feedback_puts_the_subject_under_key_supervision_once(api):
    body = _check(api, BLACK, area="行政监管").json()
    assert _measure(body, "supervision_key_dishonest")["key_supervision"] is True
    url = f"/api/v1/checks/{body['check_id']}/feedback"
    resp = api.post(url, json={"applied": True, "note": "已列为重点检查对象"}, headers=api.source)
    assert resp.status_code == 200, resp.text
    feedback = resp.json()
    assert feedback["action_taken"] == "从严审查"
    assert feedback["key_supervision_entry_id"] is not None
    again = api.post(url, json={"applied": True}, headers=api.source)
    assert again.status_code == 409
    with unit_of_work(api.app.state.engine) as s:
        entered = s.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "lists.entry_add",
                AuditEntry.object_id == str(feedback["key_supervision_entry_id"]),
            )
        ).one()
        fed_back = s.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "checks.feedback",
                AuditEntry.object_id == str(body["check_id"]),
            )
        ).one()
    # The list's own audit, as for an admin's entry, naming who gave the feedback.
    assert (entered.actor, entered.actor_role) == (fed_back.actor, fed_back.actor_role)
    lists = api.get(f"/api/v1/subjects/{BLACK}/lists", headers=api.admin).json()
    assert "key_supervision" in {m["list_id"] for m in lists["memberships"]}
    stats = _stats(api, "decision")
    assert stats["total"]["key_supervision_subjects"] >= 1


def test_feedback_with_an_action_off_the_scale_is_a_422(api):
    check_id = _check(api, EXCELLENT).json()["check_id"]
    resp = api.post(
        f"/api/v1/checks/{check_id}/feedback",
        json={"applied": True, "action_taken": "酌情办理"},
        headers=api.source,
    )
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"].endswith("action_taken")


def _stats(api, by, headers=None, **params):
    resp = api.get(
        "/api/v1/checks/stats", params={"by": by, **params}, headers=headers or api.admin
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_stats_count_decisions_feedback_and_measures(api):
    today = clock.today().isoformat()
    by_decision = _stats(api, "decision", **{"from": today, "to": today})
    rows = {r["key"]: r for r in by_decision["rows"]}
    assert {"不予办理", "正常办理"} <= set(rows)
    assert by_decision["total"]["checks"] == sum(r["checks"] for r in by_decision["rows"])
    assert by_decision["total"]["feedback"] >= 1
    by_measure = {r["key"]: r for r in _stats(api, "measure")["rows"]}
    assert by_measure["trading_restrict_black_list"]["label"] == "严重失信主体限制参与公共资源交易"
    by_department = _stats(api, "department")["rows"]
    assert {r["label"] for r in by_department} >= {"杭州市西湖区市场监督管理局"}
    by_area = {r["key"] for r in _stats(api, "area")["rows"]}
    assert "公共资源交易" in by_area


def test_departments_see_only_their_own_statistics(api):
    _check(api, UNKNOWN, headers=api.other)
    rows = _stats(api, "department", headers=api.other)["rows"]
    assert [r["key"] for r in rows] == [OTHER]


def test_stats_reject_a_reversed_range(api):
    resp = api.get(
        "/api/v1/checks/stats",
        params={"from": "2026-12-01", "to": "2026-11-01"},
        headers=api.admin,
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "checks.invalid_range"


def test_stats_export_as_csv(api):
    resp = api.get(
        "/api/v1/checks/stats", params={"by": "decision", "format": "csv"}, headers=api.admin
    )
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(resp.text.lstrip("\ufeff"))))
    assert table[0][:3] == ["分组", "名称", "核查次数"]
    assert "优先办理" in table[0] and "纳入重点监管主体数" in table[0]
    assert table[-1][0] == "total"


def test_every_check_is_in_the_subjects_query_log(api):
    body = _check(api, EXCELLENT, matter="高新技术企业认定").json()
    resp = api.get(
        "/api/v1/query-log",
        params={"subject_code": EXCELLENT, "channel": "check"},
        headers=api.admin,
    )
    latest = resp.json()["items"][0]
    assert latest["purpose"] == "高新技术企业认定"
    assert latest["organisation_code"] == SOURCE
    assert latest["reference"] == f"check:{body['check_id']}"


def test_measures_catalog_is_published_with_its_basis(api):
    body = api.get("/api/v1/measures").json()
    assert len(body["measures"]) >= 10
    assert all(m["reference"] for m in body["measures"])
    areas = {a for m in body["measures"] for a in m["areas"]}
    assert areas == {"审批服务", "行政监管", "公共服务", "公共资源交易", "其他政务"}
    trading = api.get("/api/v1/measures", params={"area": "公共资源交易"}).json()["measures"]
    assert all("公共资源交易" in m["areas"] for m in trading)
