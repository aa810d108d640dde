"""``xinyong demo``'s preparation: a seeded platform whose demo accounts work together — the
bank reads the demo enterprise's file under its grant, and the enterprise sees that read."""

from __future__ import annotations

from fastapi.testclient import TestClient
from rich.console import Console
from sqlalchemy import select

from xinyong.accounts.models import User
from xinyong.config import Settings
from xinyong.db import make_engine, unit_of_work
from xinyong.demo import ACCOUNTS_FILE, prepare
from xinyong.subjects.models import Subject
from xinyong.web.app import create_app


def test_demo_bank_reads_the_demo_enterprise_under_its_grant(tmp_path):
    settings = Settings(data_dir=tmp_path, secret_key="demo-test-secret")
    engine = make_engine(settings.resolved_database_url)
    made = prepare(
        settings, engine, enterprises=60, records=400, persons=5, console=Console(quiet=True)
    )
    assert (tmp_path / ACCOUNTS_FILE).exists()
    passwords = {a.username: a.password for a in made}
    assert {"admin", "scjg", "qiye", "bank"} <= set(passwords)
    with unit_of_work(engine) as s:
        subject_id = s.scalar(select(User.subject_id).where(User.username == "qiye"))
        code = s.get_one(Subject, subject_id).code
    client = TestClient(create_app(settings, engine=engine))

    def login(user):
        token = client.post(
            "/api/v1/auth/token", json={"username": user, "password": passwords[user]}
        ).json()["access_token"]
        return {"Authorization": f"Bearer {token}"}

    file = client.get(f"/api/v1/subjects/{code}/file", headers=login("bank"))
    assert file.status_code == 200, file.text
    assert file.json()["view"] == "authorized"
    log = client.get(f"/api/v1/subjects/{code}/query-log", headers=login("qiye")).json()
    assert log["items"][0]["channel"] == "authorized_file"
    check = client.post(
        "/api/v1/checks",
        json={"subject_code": code, "matter": "演示核查", "area": "审批服务"},
        headers=login("scjg"),
    )
    assert check.status_code == 200, check.text
    again = prepare(
        settings, engine, enterprises=60, records=400, persons=5, console=Console(quiet=True)
    )
    assert {a.username for a in again} == set(passwords)
