"""HTTP: deliveries with the overdue flag and attempts, an admin's retry, the platforms."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sync.conftest import repaired
from xinyong.accounts import service as accounts
from xinyong.accounts.models import Role
from xinyong.audit.models import AuditEntry
from xinyong.config import Settings
from xinyong.db import unit_of_work
from xinyong.kit import clock
from xinyong.sync.outbox import SyncOutbox
from xinyong.sync.worker import build_adapters, run_once
from xinyong.web.app import create_app

PASSWORD = "correct-horse-battery"
ENQUEUED = datetime(2026, 3, 6, 10, 0, tzinfo=clock.SHANGHAI)  # Friday: due Wednesday 03-11
NOW = datetime(2026, 3, 12, 10, 0, tzinfo=clock.SHANGHAI)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def client(request, databases, tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(clock, "now", lambda: NOW)
        engine = databases.migrated_engine(request.param)
        settings = Settings(data_dir=tmp_path_factory.mktemp("sync"), secret_key="test-secret")
        with unit_of_work(engine) as s:
            accounts.create_department(s, code="D1", name="某局", sector="other", now=NOW)
            accounts.create_user(s, username="admin", password=PASSWORD, role=Role.ADMIN, now=NOW)
            accounts.create_user(
                s,
                username="dept",
                password=PASSWORD,
                role=Role.DEPARTMENT,
                department_code="D1",
                now=NOW,
            )
            accounts.create_user(s, username="bank", password=PASSWORD, role=Role.BANK, now=NOW)
        app = create_app(settings, engine=engine)
        outbox = app.state.wiring.held.get(SyncOutbox)
        platforms = outbox.platforms
        with unit_of_work(engine) as s:
            for oid, record_type in ((1, "administrative_penalty"), (2, "commitment_breach")):
                outbox.enqueue(
                    s,
                    kind="repair",
                    object_type="record",
                    object_id=oid,
                    payload=repaired(oid),
                    record_type=record_type,
                    now=ENQUEUED,
                    sector="market_regulation",
                )
        c = TestClient(app)
        c.engine, c.platforms, c.settings = engine, platforms, settings

        def login(user):
            resp = c.post("/api/v1/auth/token", json={"username": user, "password": PASSWORD})
            assert resp.status_code == 200, resp.text
            return {"Authorization": f"Bearer {resp.json()['access_token']}"}

        c.admin, c.dept, c.bank = login("admin"), login("dept"), login("bank")
        yield c


def test_list_flags_overdue_and_filters(client):
    resp = client.get("/api/v1/sync/deliveries", headers=client.dept)
    assert resp.status_code == 200, resp.text
    rows = resp.json()
    assert len(rows) == 7  # 4 platforms for the penalty, 3 for the other record
    assert all(r["overdue"] and r["due_on"] == "2026-03-11" for r in rows)
    gsxt = client.get("/api/v1/sync/deliveries", params={"platform": "gsxt"}, headers=client.admin)
    assert [r["object_id"] for r in gsxt.json()] == [1]
    none = client.get("/api/v1/sync/deliveries", params={"overdue": "false"}, headers=client.admin)
    assert none.json() == []


def test_platforms_show_backlog(client):
    resp = client.get("/api/v1/sync/platforms", headers=client.admin)
    assert resp.status_code == 200, resp.text
    by_id = {p["id"]: p for p in resp.json()}
    assert by_id["gsxt"]["record_types"] == ["abnormal_operation", "administrative_penalty"]
    assert by_id["creditchina"]["overdue"] >= 1
    assert by_id["hangzhou"]["target"] == str(client.settings.data_dir / "sync" / "hangzhou")


def test_detail_retry_and_worker_acknowledges(client):
    row = client.get(
        "/api/v1/sync/deliveries",
        params={"platform": "zhejiang", "status": "pending"},
        headers=client.admin,
    ).json()[0]
    assert (
        client.post(f"/api/v1/sync/deliveries/{row['id']}/retry", headers=client.dept).status_code
        == 403
    )
    retried = client.post(f"/api/v1/sync/deliveries/{row['id']}/retry", headers=client.admin)
    assert retried.status_code == 200, retried.text
    assert retried.json()["next_attempt_at"] == "2026-03-12T10:00:00+08:00"  # Shanghai time
    run_once(client.engine, client.platforms, build_adapters(client.platforms), clock=lambda: NOW)
    detail = client.get(f"/api/v1/sync/deliveries/{row['id']}", headers=client.admin).json()
    assert detail["status"] == "acknowledged" and detail["overdue"] is False
    assert [a["outcome"] for a in detail["attempt_log"]] == ["acknowledged"]
    assert detail["receipt"]["path"].endswith(f"{row['id']}.json")
    again = client.post(f"/api/v1/sync/deliveries/{row['id']}/retry", headers=client.admin)
    assert again.status_code == 409
    assert again.json()["code"] == "sync.already_acknowledged"


def test_access(client):
    assert client.get("/api/v1/sync/deliveries").status_code == 401
    denied = client.get("/api/v1/sync/deliveries", headers=client.bank)
    assert denied.status_code == 403 and denied.json()["code"] == "sync.read_denied"
    assert client.get("/api/v1/sync/deliveries/999999", headers=client.admin).status_code == 404


def test_reading_deliveries_is_audited(client):
    rows = client.get("/api/v1/sync/deliveries", headers=client.admin).json()
    client.get(f"/api/v1/sync/deliveries/{rows[0]['id']}", headers=client.admin)
    with unit_of_work(client.engine) as s:
        actions = [
            (e.action, e.object_id)
            for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(2))
        ]
    assert actions == [("sync.delivery_read", str(rows[0]["id"])), ("sync.deliveries_read", None)]
