"""Lists over HTTP: public pages, who may read what, manual entries, conflicts."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from factories.ingest import PERSON_ID, make_uscc
from factories.records import SECRET, push
from lists.rows import black_row, person, red_row, without_subject
from xinyong.accounts import service as accounts
from xinyong.accounts.models import Role
from xinyong.config import Settings
from xinyong.db import unit_of_work
from xinyong.kit import clock
from xinyong.lists.api import router
from xinyong.subjects.models import Subject
from xinyong.web.app import API_PREFIX, create_app

PASSWORD = "correct-horse-battery"
AS_OF = {"as_of": "2026-03-01"}
BOTH = make_uscc(880101)  # red and black: black wins
RED = [make_uscc(880102), make_uscc(880103), make_uscc(880104)]
MANUAL = make_uscc(880105)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(request, databases, tmp_path_factory):
    engine = databases.migrated_engine(request.param)
    with unit_of_work(engine) as s:
        code = accounts.create_department(
            s, code="330100-FGW", name="杭州市发展改革委", now=clock.now()
        ).code
        push(
            s,
            code,
            [black_row(BOTH), without_subject(black_row(**person()))],
            record_type="serious_dishonesty_list",
        )
        push(
            s,
            code,
            [
                red_row(BOTH),
                *(
                    red_row(uscc, f"杭州守信{i}号有限公司", 列入日期=f"2026-02-0{i + 1}")
                    for i, uscc in enumerate(RED)
                ),
                red_row(MANUAL, "杭州手工列入有限公司"),
            ],
            record_type="good_faith_incentive",
        )
        red_id = s.scalar(select(Subject.id).where(Subject.uscc == RED[0]))
        accounts.create_user(
            s, username="admin", password=PASSWORD, role=Role.ADMIN, now=clock.now()
        )
        accounts.create_user(
            s,
            username="qiye",
            password=PASSWORD,
            role=Role.ENTERPRISE,
            subject_id=red_id,
            now=clock.now(),
        )
        accounts.create_user(
            s,
            username="bumen",
            password=PASSWORD,
            role=Role.DEPARTMENT,
            department_code=code,
            now=clock.now(),
        )
    app = create_app(
        Settings(data_dir=tmp_path_factory.mktemp("lists"), secret_key=SECRET.decode()),
        engine=engine,
    )
    if not any(getattr(r, "path", "") == f"{API_PREFIX}/lists/{{list_id}}" for r in app.routes):
        app.include_router(router, prefix=API_PREFIX)
    return TestClient(app)


@pytest.fixture(autouse=True)
def on_the_day_asked(monkeypatch):
    """The public sees lists as of today only: the tests run on the day of ``AS_OF``."""
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 3, 1, 10, tzinfo=clock.SHANGHAI))


def test_public_cannot_ask_for_a_past_day_of_a_list(api):
    resp = api.get("/api/v1/lists/black", params={"as_of": "2023-06-01"})
    assert resp.status_code == 422
    assert resp.json()["code"] == "as_of.today_only"
    assert resp.json()["errors"][0]["field"] == "as_of"
    internal = api.get(
        "/api/v1/lists/black", params={"as_of": "2023-06-01"}, headers=_token(api, "bumen")
    )
    assert internal.status_code == 200


def _token(client, username):
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def test_public_list_paginates_most_recent_first_without_suppressed_subjects(api):
    first = api.get("/api/v1/lists/red", params={**AS_OF, "size": 2}).json()
    second = api.get("/api/v1/lists/red", params={**AS_OF, "size": 2, "page": 2}).json()
    assert first["total"] == second["total"] == 4, "BOTH is on black, so not shown on red"
    codes = [i["code"] for i in first["items"] + second["items"]]
    assert codes[:3] == [RED[2], RED[1], RED[0]]
    assert BOTH not in codes
    assert first["reference"] == "《浙江省公共信用信息管理条例》第二十二条"
    entry = first["items"][0]["entries"][0]
    assert entry == {
        "starts_on": "2026-02-03",
        "ends_on": "2028-01-31",
        "basis": "列入守信激励对象名单",
        "reference": "《浙江省公共信用信息管理条例》第二十二条",
        "manual": False,
    }


def test_public_black_list_masks_person_names(api):
    resp = api.get("/api/v1/lists/black", params=AS_OF)
    assert resp.status_code == 200, resp.text
    names = {i["name"] for i in resp.json()["items"]}
    assert "王**" in names
    assert "王小明" not in resp.text
    assert PERSON_ID not in resp.text


def test_non_public_list_refuses_anonymous_and_enterprise_callers(api):
    anonymous = api.get("/api/v1/lists/key_supervision", params=AS_OF)
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "lists.login_required"
    enterprise = api.get("/api/v1/lists/key_supervision", params=AS_OF, headers=_token(api, "qiye"))
    assert enterprise.status_code == 403
    assert enterprise.json()["code"] == "lists.not_public"
    department = api.get(
        "/api/v1/lists/key_supervision", params=AS_OF, headers=_token(api, "bumen")
    )
    assert department.status_code == 200


def test_unknown_list_is_404(api):
    resp = api.get("/api/v1/lists/grey")
    assert resp.status_code == 404
    assert resp.json()["code"] == "lists.unknown_list"


def test_manual_entry_needs_a_basis(api):
    body = {"subject_code": MANUAL, "starts_on": "2026-03-01"}
    for bad in (body, {**body, "basis": "   "}):
        resp = api.post(
            "/api/v1/lists/key_supervision/entries", json=bad, headers=_token(api, "admin")
        )
        assert resp.status_code == 422
        assert [e["field"] for e in resp.json()["errors"]] == ["basis"]


def test_only_admins_add_entries(api):
    body = {"subject_code": MANUAL, "starts_on": "2026-03-01", "basis": "联席会议决定"}
    url = "/api/v1/lists/key_supervision/entries"
    assert api.post(url, json=body).status_code == 401
    resp = api.post(url, json=body, headers=_token(api, "bumen"))
    assert resp.status_code == 403
    assert resp.json()["code"] == "lists.admin_only"


def test_admin_adds_a_non_public_entry_the_public_does_not_see(api):
    resp = api.post(
        "/api/v1/lists/key_supervision/entries",
        json={
            "subject_code": MANUAL,
            "starts_on": "2026-03-01",
            "basis": "多次违反安全生产规定，经联席会议决定列入",
            "reference": "《上海市社会信用条例》第三十条",
        },
        headers=_token(api, "admin"),
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["created_by"].startswith("user:")
    url = f"/api/v1/subjects/{MANUAL}/lists"
    public = api.get(url, params=AS_OF).json()
    assert [m["list_id"] for m in public["memberships"]] == ["red"]
    internal = api.get(url, params=AS_OF, headers=_token(api, "bumen")).json()
    assert [m["list_id"] for m in internal["memberships"]] == ["red", "key_supervision"]
    manual = internal["memberships"][1]
    assert manual["source_record_id"] is None and manual["manual_entry_id"] == resp.json()["id"]


def test_subject_on_red_and_black_shows_red_suppressed_and_admin_sees_the_conflict(api):
    body = api.get(f"/api/v1/subjects/{BOTH}/lists", params=AS_OF).json()
    assert {(m["list_id"], m["suppressed_by"]) for m in body["memberships"]} == {
        ("red", "black"),
        ("black", None),
    }
    assert api.get("/api/v1/lists/conflicts", headers=_token(api, "qiye")).status_code == 403
    conflicts = api.get("/api/v1/lists/conflicts", params=AS_OF, headers=_token(api, "admin"))
    assert conflicts.status_code == 200, conflicts.text
    assert [c["subject_code"] for c in conflicts.json()] == [BOTH]
