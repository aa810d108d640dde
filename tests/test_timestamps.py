"""Every timestamp the API answers is Asia/Shanghai time (SPEC), in one form: the reply to the
POST that made an object and a later GET of the same object show the same ``+08:00`` value,
on SQLite and PostgreSQL, whatever offset a caller sent."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select

from factories.ingest import licence_row
from factories.records import penalty_row
from factories.rules import SOUND
from xinyong.accounts import service as accounts
from xinyong.accounts.models import Role
from xinyong.config import Settings
from xinyong.db import unit_of_work
from xinyong.kit import clock
from xinyong.subjects.models import Subject
from xinyong.web.app import create_app

SCJG = "330106-SCJG"
BANK = "BANK-ICBC-HZ"
USCC = "91330106MA2000086A"
NAME = "杭州西湖示范科技有限公司"
PASSWORD = "correct-horse-battery"
SECRET = "test-secret"
# A moment in UTC, as a clock or caller set to UTC would give it.
UTC_NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(request, databases, tmp_path_factory):
    engine = databases.migrated_engine(request.param)
    settings = Settings(data_dir=tmp_path_factory.mktemp("timestamps"), secret_key=SECRET)
    now = clock.now()
    with unit_of_work(engine) as s:
        accounts.create_department(
            s, code=SCJG, name="杭州市西湖区市场监督管理局", sector="market_regulation", now=now
        )
        key, _ = accounts.create_api_key(
            s, name="西湖市监局系统", role=Role.SYSTEM, department_code=SCJG, secret=SECRET, now=now
        )
        accounts.create_department(
            s, code=BANK, name="中国工商银行杭州分行", sector="other", now=now
        )
        accounts.create_user(
            s, username="icbc", password=PASSWORD, role=Role.BANK, department_code=BANK, now=now
        )
        accounts.create_user(s, username="admin", password=PASSWORD, role=Role.ADMIN, now=now)
    client = TestClient(create_app(settings, engine=engine))
    client.system = {"X-API-Key": key}
    for record_type, row in (
        ("administrative_licence", licence_row(XK_XDR_SHXYM=USCC, XK_XDR_MC=NAME)),
        ("administrative_penalty", penalty_row(CF_XDR_SHXYM=USCC, CF_XDR_MC=NAME)),
    ):
        resp = client.post(
            "/api/v1/records:batch",
            headers=client.system,
            json={"type": record_type, "rows": [row]},
        )
        assert resp.status_code == 200, resp.text
    with unit_of_work(engine) as s:
        sid = s.scalar(select(Subject.id).where(Subject.uscc == USCC))
        accounts.create_user(
            s, username="qiye", password=PASSWORD, role=Role.ENTERPRISE, subject_id=sid, now=now
        )
    client.tokens = {}
    for user in ("qiye", "icbc", "admin"):
        resp = client.post("/api/v1/auth/token", json={"username": user, "password": PASSWORD})
        client.tokens[user] = {"Authorization": f"Bearer {resp.json()['access_token']}"}
    return client


def _timestamps(body: Any, path: str = "") -> dict[str, str]:
    """Every timestamp in a JSON body by its path (lists by position)."""
    if isinstance(body, dict):
        items = body.items()
    elif isinstance(body, list):
        items = enumerate(body)
    else:
        return {path: body} if isinstance(body, str) and TIMESTAMP.match(body) else {}
    found: dict[str, str] = {}
    for key, value in items:
        found.update(_timestamps(value, f"{path}.{key}"))
    return found


def _same_and_local(posted: dict[str, Any], read: dict[str, Any]) -> dict[str, str]:
    written, again = _timestamps(posted), _timestamps(read)
    assert written, "the reply carries no timestamp to compare"
    for path, value in written.items():
        assert value.endswith("+08:00"), (path, value)
        assert again.get(path) == value, (path, value, again.get(path))
    return written


@pytest.fixture
def utc_clock(monkeypatch):
    """The server's clock answers in UTC: what the API shows must still be Shanghai time."""
    monkeypatch.setattr(clock, "now", lambda: UTC_NOW)


def test_a_check_reads_back_with_the_time_it_was_answered_with(api, utc_clock):
    posted = api.post(
        "/api/v1/checks",
        json={"subject_code": USCC, "matter": "食品经营许可", "area": "审批服务"},
        headers=api.system,
    )
    assert posted.status_code == 200, posted.text
    read = api.get(f"/api/v1/checks/{posted.json()['check_id']}", headers=api.system)
    stamps = _same_and_local(posted.json(), read.json())
    assert stamps[".checked_at"] == "2026-11-23T10:00:00+08:00"


def test_a_grant_reads_back_with_the_times_it_was_made_with(api, utc_clock):
    posted = api.post(
        "/api/v1/grants",
        json={
            "subject_code": USCC,
            "grantee_code": BANK,
            "scopes": ["penalties"],
            "purpose": "流动资金贷款贷前调查",
            "days": 90,
        },
        headers=api.tokens["qiye"],
    )
    assert posted.status_code in (200, 201), posted.text
    listed = api.get("/api/v1/grants", headers=api.tokens["qiye"]).json()
    read = next(g for g in listed if g["id"] == posted.json()["id"])
    _same_and_local(posted.json(), read)


def test_a_commitment_reads_back_with_the_time_it_was_signed(api, utc_clock):
    posted = api.post(
        "/api/v1/commitments",
        json={
            "subject_code": USCC,
            "template_id": "public_pledge",
            "receiving_department": SCJG,
            "matter": "食品经营许可",
            "signer_name": "张三",
            "accepted": True,
        },
        headers=api.tokens["qiye"],
    )
    assert posted.status_code == 201, posted.text
    read = api.get(f"/api/v1/commitments/{posted.json()['id']}", headers=api.tokens["qiye"])
    _same_and_local(posted.json(), read.json())


def test_a_model_draft_is_listed_with_the_time_it_was_submitted(api, utc_clock):
    draft = {**SOUND, "id": "timestamp_model"}
    posted = api.post(
        "/api/v1/models/drafts", json={"yaml": _yaml(draft)}, headers=api.tokens["admin"]
    )
    assert posted.status_code == 201, posted.text
    listed = api.get("/api/v1/models", headers=api.tokens["admin"]).json()
    read = next(m for m in listed if m["model_id"] == "timestamp_model")
    _same_and_local(posted.json(), read)


def _yaml(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
