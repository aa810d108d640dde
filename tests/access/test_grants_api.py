"""Authorizations (授权) end to end: a bank reads exactly what the enterprise granted, and the
enterprise sees every such read in its query log (查询登记)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from factories.ingest import licence_row
from factories.records import penalty_row
from xinyong.access.models import Grant
from xinyong.accounts import service as accounts
from xinyong.accounts.models import Role
from xinyong.config import Settings
from xinyong.db import unit_of_work
from xinyong.kit import clock
from xinyong.subjects.models import Subject
from xinyong.web.app import create_app

SOURCE = "330106-SCJG"
BANK = "BANK-ICBC-HZ"
OTHER_BANK = "BANK-ABC-HZ"
USCC = "91330106MA2000086A"
OTHER_USCC = "91330106000000777L"
PASSWORD = "correct-horse-battery"
SECRET = "test-secret"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(request, databases, tmp_path_factory):
    """Two enterprises with records, two banks, a department key and an admin."""
    engine = databases.migrated_engine(request.param)
    settings = Settings(data_dir=tmp_path_factory.mktemp("grants"), secret_key=SECRET)
    now = clock.now()
    with unit_of_work(engine) as s:
        accounts.create_department(
            s, code=SOURCE, name="杭州市西湖区市场监督管理局", sector="market_regulation", now=now
        )
        dept_key, _ = accounts.create_api_key(
            s,
            name="西湖市监局系统",
            role=Role.SYSTEM,
            department_code=SOURCE,
            secret=SECRET,
            now=now,
        )
        for code, name, user in (
            (BANK, "中国工商银行杭州分行", "icbc"),
            (OTHER_BANK, "中国农业银行杭州分行", "abc"),
        ):
            accounts.create_department(s, code=code, name=name, sector="other", now=now)
            accounts.create_user(
                s, username=user, password=PASSWORD, role=Role.BANK, department_code=code, now=now
            )
        accounts.create_user(s, username="admin", password=PASSWORD, role=Role.ADMIN, now=now)
    client = TestClient(create_app(settings, engine=engine))
    client.engine = engine
    headers = {"X-API-Key": dept_key}
    for record_type, rows in (
        ("administrative_penalty", [penalty_row(), penalty_row(CF_XDR_SHXYM=OTHER_USCC)]),
        (
            "administrative_licence",
            [licence_row(XK_XDR_SHXYM=USCC, XK_XDR_MC="杭州西湖示范科技有限公司")],
        ),
    ):
        resp = client.post(
            "/api/v1/records:batch", headers=headers, json={"type": record_type, "rows": rows}
        )
        assert resp.status_code == 200, resp.text
    with unit_of_work(engine) as s:
        for uscc, user in ((USCC, "qiye"), (OTHER_USCC, "qiye2")):
            sid = s.scalar(select(Subject.id).where(Subject.uscc == uscc))
            accounts.create_user(
                s, username=user, password=PASSWORD, role=Role.ENTERPRISE, subject_id=sid, now=now
            )
    client.tokens = {
        user: _login(client, user) for user in ("qiye", "qiye2", "icbc", "abc", "admin")
    }
    return client


def _login(client, username):
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def _grant(api, *, user="qiye", **overrides):
    body = {
        "subject_code": USCC,
        "grantee_code": BANK,
        "scopes": ["penalties"],
        "purpose": "流动资金贷款贷前调查",
        "days": 90,
    }
    body.update(overrides)
    return api.post("/api/v1/grants", json=body, headers=api.tokens[user])


def _file(api, user="icbc", code=USCC, **params):
    return api.get(f"/api/v1/subjects/{code}/file", params=params, headers=api.tokens[user])


def _revoke_all(api):
    for g in api.get("/api/v1/grants", headers=api.tokens["qiye"]).json():
        api.post(f"/api/v1/grants/{g['id']}/revoke", headers=api.tokens["qiye"])


@pytest.fixture
def clean(api):
    """Each test starts with no active grant."""
    _revoke_all(api)
    yield api
    _revoke_all(api)


def test_bank_without_a_grant_is_refused(clean):
    resp = _file(clean, user="abc")
    assert resp.status_code == 403
    assert resp.json()["code"] == "access.no_grant"


def test_bank_sees_exactly_the_granted_scopes(clean):
    assert _grant(clean, scopes=["penalties"]).status_code == 201
    body = _file(clean).json()
    assert body["view"] == "authorized"
    assert body["scopes"] == ["penalties"]
    assert [r["record_type"] for r in body["bad"]] == ["administrative_penalty"]
    assert body["other"] == []  # the licence is outside the grant
    assert body["lists"] is None
    assert body["subject"]["code"] == USCC

    assert _grant(clean, scopes=["licences", "lists"]).status_code == 201
    both = _file(clean).json()
    assert both["scopes"] == ["licences", "penalties", "lists"]
    assert [r["record_type"] for r in both["other"]] == ["administrative_licence"]
    assert both["lists"] == []
    narrowed = _file(clean, scopes=["licences"]).json()
    assert narrowed["bad"] == [] and len(narrowed["other"]) == 1


def test_a_scope_not_granted_is_refused_by_name(clean):
    _grant(clean, scopes=["penalties"])
    resp = _file(clean, scopes=["penalties", "judicial"])
    assert resp.status_code == 403
    body = resp.json()
    assert body["code"] == "access.scope_not_granted"
    assert "judicial" in body["title"]


def test_scores_need_the_scores_scope(clean):
    _grant(clean, scopes=["penalties"])
    resp = clean.get(f"/api/v1/subjects/{USCC}/scores", headers=clean.tokens["icbc"])
    assert resp.status_code == 403
    assert resp.json()["code"] == "access.scope_not_granted"
    _grant(clean, scopes=["scores"])
    resp = clean.get(f"/api/v1/subjects/{USCC}/scores", headers=clean.tokens["icbc"])
    assert resp.status_code == 200, resp.text


def test_another_bank_gets_nothing_from_a_grant_to_the_first(clean):
    _grant(clean)
    resp = _file(clean, user="abc")
    assert resp.status_code == 403
    assert resp.json()["code"] == "access.no_grant"


def test_revoked_grant_stops_reads_at_once(clean):
    grant = _grant(clean).json()
    assert _file(clean).status_code == 200
    resp = clean.post(f"/api/v1/grants/{grant['id']}/revoke", headers=clean.tokens["qiye"])
    assert resp.json()["status"] == "revoked"
    resp = _file(clean)
    assert resp.status_code == 403
    assert resp.json()["code"] == "access.grant_revoked"


def test_expired_grant_is_refused(clean):
    grant = _grant(clean, days=1).json()
    with unit_of_work(clean.engine) as s:
        s.execute(
            update(Grant)
            .where(Grant.id == grant["id"])
            .values(expires_at=clock.now().replace(year=2020))
        )
    resp = _file(clean)
    assert resp.status_code == 403
    assert resp.json()["code"] == "access.grant_expired"
    listed = {g["id"]: g for g in clean.get("/api/v1/grants", headers=clean.tokens["qiye"]).json()}
    assert listed[grant["id"]]["status"] == "expired"


def test_grant_of_400_days_is_refused_naming_days(clean):
    resp = _grant(clean, days=400)
    assert resp.status_code == 422
    body = resp.json()
    assert body["code"] == "access.too_long"
    assert body["errors"][0]["field"] == "days"
    assert _grant(clean, days=365).status_code == 201


def test_enterprise_cannot_grant_on_another_enterprises_file(clean):
    resp = _grant(clean, subject_code=OTHER_USCC)
    assert resp.status_code == 403
    assert resp.json()["code"] == "access.not_own_subject"


def test_only_enterprises_grant(clean):
    resp = _grant(clean, user="icbc")
    assert resp.status_code == 403
    assert resp.json()["code"] == "access.enterprise_only"
    assert clean.post("/api/v1/grants", json={}).status_code in (401, 422)


def test_unknown_scope_and_unknown_grantee_are_named(clean):
    resp = _grant(clean, scopes=["penalties", "passwords"])
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "scopes[1]"
    resp = _grant(clean, grantee_code=SOURCE)  # a department, not a bank
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "grantee_code"


def test_enterprise_cannot_revoke_someone_elses_grant(clean):
    grant = _grant(clean).json()
    resp = clean.post(f"/api/v1/grants/{grant['id']}/revoke", headers=clean.tokens["qiye2"])
    assert resp.status_code == 404


def test_enterprise_sees_the_banks_reads_in_its_query_log(clean):
    _grant(clean, scopes=["penalties", "licences"], purpose="贷后管理")
    assert _file(clean).status_code == 200
    log = clean.get(f"/api/v1/subjects/{USCC}/query-log", headers=clean.tokens["qiye"]).json()
    latest = log["items"][0]
    assert latest["organisation_code"] == BANK
    assert latest["organisation_name"] == "中国工商银行杭州分行"
    assert latest["channel"] == "authorized_file"
    assert latest["channel_label"] == "授权查询信用档案"
    assert latest["purpose"] == "贷后管理"
    assert latest["scopes"] == ["licences", "penalties"]
    assert latest["reference"].startswith("grant:")


def test_internal_reads_are_in_the_query_log_with_their_purpose(clean):
    resp = _file(clean, user="admin", purpose="行政许可审查")
    assert resp.status_code == 200
    log = clean.get(f"/api/v1/subjects/{USCC}/query-log", headers=clean.tokens["qiye"]).json()
    assert log["items"][0]["channel"] == "internal_file"
    assert log["items"][0]["purpose"] == "行政许可审查"


def test_own_reads_and_public_reads_are_not_logged(clean):
    before = clean.get(f"/api/v1/subjects/{USCC}/query-log", headers=clean.tokens["qiye"]).json()
    _file(clean, user="qiye")
    clean.get(f"/api/v1/subjects/{USCC}/file")
    after = clean.get(f"/api/v1/subjects/{USCC}/query-log", headers=clean.tokens["qiye"]).json()
    assert after["total"] == before["total"]


def test_query_log_is_only_for_the_subject_and_admins(clean):
    url = f"/api/v1/subjects/{USCC}/query-log"
    assert clean.get(url).status_code == 401
    for user in ("qiye2", "icbc"):
        resp = clean.get(url, headers=clean.tokens[user])
        assert resp.status_code == 403
        assert resp.json()["code"] == "access.query_log_forbidden"
    assert clean.get(url, headers=clean.tokens["admin"]).status_code == 200


def test_admin_searches_the_query_log_by_organisation(clean):
    _grant(clean)
    _file(clean)
    resp = clean.get(
        "/api/v1/query-log", params={"organisation_code": BANK}, headers=clean.tokens["admin"]
    )
    assert resp.status_code == 200
    items = resp.json()["items"]
    assert items and {i["organisation_code"] for i in items} == {BANK}
    assert items[0]["subject_code"] == USCC
    denied = clean.get("/api/v1/query-log", headers=clean.tokens["qiye"])
    assert denied.status_code == 403


def test_bank_lists_grants_to_its_organisation_only(clean):
    _grant(clean)
    mine = clean.get("/api/v1/grants", headers=clean.tokens["icbc"]).json()
    assert mine and {g["grantee_code"] for g in mine} == {BANK}
    assert clean.get("/api/v1/grants", headers=clean.tokens["abc"]).json() == []


def test_grant_scopes_are_published(api):
    scopes = api.get("/api/v1/grant-scopes").json()
    ids = [s["id"] for s in scopes]
    assert {"basic", "licences", "penalties", "lists", "scores", "commitments"} <= set(ids)
