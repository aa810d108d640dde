"""HTTP: the admin's holiday table and the public deadline helper."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from xinyong.accounts import service as accounts
from xinyong.accounts.models import Role
from xinyong.config import Settings
from xinyong.db import unit_of_work
from xinyong.kit import clock
from xinyong.web.app import create_app

PASSWORD = "correct-horse-battery"
NOW = clock.now().replace(year=2026, month=11, day=23)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def client(request, databases, tmp_path_factory):
    engine = databases.migrated_engine(request.param)
    settings = Settings(data_dir=tmp_path_factory.mktemp("workdays"), secret_key="test-secret")
    with unit_of_work(engine) as s:
        accounts.create_user(s, username="admin", password=PASSWORD, role=Role.ADMIN, now=NOW)
        accounts.create_user(s, username="ent", password=PASSWORD, role=Role.BANK, now=NOW)
    c = TestClient(create_app(settings, engine=engine))

    def login(user):
        resp = c.post("/api/v1/auth/token", json={"username": user, "password": PASSWORD})
        assert resp.status_code == 200, resp.text
        return {"Authorization": f"Bearer {resp.json()['access_token']}"}

    c.admin = login("admin")
    c.other = login("ent")
    return c


def test_public_deadline_helper(client):
    resp = client.get("/api/v1/workdays/deadline", params={"from": "2026-02-13", "days": 3})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {
        "start": "2026-02-13",
        "days": 3,
        "due": "2026-02-25",
        "provisional": False,
    }
    later = client.get("/api/v1/workdays/deadline", params={"from": "2027-09-30", "days": 3})
    assert later.json()["provisional"] is True
    bad = client.get("/api/v1/workdays/deadline", params={"from": "2026-02-13", "days": -1})
    assert bad.status_code == 422


def test_admin_enters_2028_and_deadlines_follow(client):
    h = client.admin
    before = client.get("/api/v1/workdays/deadline", params={"from": "2027-12-31", "days": 1})
    assert before.json() == {
        "start": "2027-12-31",
        "days": 1,
        "due": "2028-01-03",
        "provisional": True,
    }
    put = client.put(
        "/api/v1/holidays/2028-01-03",
        headers=h,
        json={"is_workday": False, "name": "元旦", "note": "国办发明电〔2027〕X号"},
    )
    assert put.status_code == 200, put.text
    assert put.json()["override"] is True
    post = client.post(
        "/api/v1/holidays",
        headers=h,
        json={"day": "2028-01-08", "is_workday": True, "name": "元旦"},
    )
    assert post.status_code == 201, post.text
    done = client.post("/api/v1/holidays/years/2028/complete", headers=h, json={"note": "通知"})
    assert done.status_code == 200, done.text
    assert done.json()["completed"] is True and done.json()["known"] is True
    listed = client.get("/api/v1/holidays", params={"year": 2028}, headers=h).json()
    assert [(d["day"], d["is_workday"]) for d in listed["days"]] == [
        ("2028-01-03", False),
        ("2028-01-08", True),
    ]
    after = client.get("/api/v1/workdays/deadline", params={"from": "2027-12-31", "days": 1})
    assert after.json() == {
        "start": "2027-12-31",
        "days": 1,
        "due": "2028-01-04",
        "provisional": False,
    }
    assert client.delete("/api/v1/holidays/2028-01-03", headers=h).status_code == 204
    again = client.get("/api/v1/workdays/deadline", params={"from": "2027-12-31", "days": 1})
    assert again.json()["due"] == "2028-01-03"
    assert client.delete("/api/v1/holidays/years/2028/complete", headers=h).status_code == 204
    missing = client.delete("/api/v1/holidays/2028-01-03", headers=h)
    assert missing.status_code == 404
    assert missing.json()["code"] == "workdays.override_not_found"


def test_holiday_table_is_admin_only(client):
    assert client.get("/api/v1/holidays", params={"year": 2026}).status_code == 401
    resp = client.put(
        "/api/v1/holidays/2028-05-01",
        headers=client.other,
        json={"is_workday": False, "name": "劳动节"},
    )
    assert resp.status_code == 403
    assert resp.json()["code"] == "workdays.admin_only"
