"""A platform with two enterprises holding penalties from one department, reviewers of
three departments, and a fixed clock (Monday 2026-11-23, Shanghai)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from factories.accounts import make_reviewing_departments
from objections.world import (
    FGW,
    HB,
    NOW,
    OTHER_USCC,
    PASSWORD,
    SCJG,
    SECRET,
    USCC,
    black_row,
    penalty,
)
from xinyong.accounts import service as accounts
from xinyong.accounts.models import Role
from xinyong.config import Settings
from xinyong.db import unit_of_work
from xinyong.kit import clock
from xinyong.records.models import Record
from xinyong.subjects.models import Subject
from xinyong.web.app import create_app

USERS = ("qiye", "qiye2", "admin", f"reviewer-{SCJG}", f"reviewer-{HB}", "bank")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def platform(request, databases, tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(clock, "now", lambda: NOW)
        engine = databases.migrated_engine(request.param)
        data_dir = tmp_path_factory.mktemp("objections")
        settings = Settings(data_dir=data_dir, secret_key=SECRET)
        with unit_of_work(engine) as s:
            keys = make_reviewing_departments(
                s,
                [
                    (SCJG, "杭州市西湖区市场监督管理局", "market_regulation"),
                    (HB, "杭州市生态环境局西湖分局", "environment"),
                    (FGW, "杭州市发展和改革委员会", "other"),
                ],
                password=PASSWORD,
                secret=SECRET,
                now=NOW,
            )
            accounts.create_user(s, username="admin", password=PASSWORD, role=Role.ADMIN, now=NOW)
            # A logged-in third party (a bank) who may object to penalties with evidence.
            accounts.create_user(s, username="bank", password=PASSWORD, role=Role.BANK, now=NOW)
        client = TestClient(create_app(settings, engine=engine))
        client.engine = engine
        client.keys = {code: {"X-API-Key": key} for code, key in keys.items()}

        def push(source, record_type, rows):
            resp = client.post(
                "/api/v1/records:batch",
                headers=client.keys[source],
                json={"type": record_type, "rows": rows},
            )
            assert resp.status_code == 200, resp.text
            assert resp.json()["rejected"] == 0, resp.text

        push(
            SCJG,
            "administrative_penalty",
            [penalty(n) for n in range(201, 215)]
            + [penalty(299, CF_XDR_SHXYM=OTHER_USCC, CF_XDR_MC="别家公司")],
        )
        push(FGW, "serious_dishonesty_list", [black_row()])
        with unit_of_work(engine) as s:
            sid = s.scalar(select(Subject.id).where(Subject.uscc == USCC))
            other = s.scalar(select(Subject.id).where(Subject.uscc == OTHER_USCC))
            for username, subject in (("qiye", sid), ("qiye2", other)):
                accounts.create_user(
                    s,
                    username=username,
                    password=PASSWORD,
                    role=Role.ENTERPRISE,
                    subject_id=subject,
                    now=NOW,
                )

        def login(user):
            resp = client.post("/api/v1/auth/token", json={"username": user, "password": PASSWORD})
            assert resp.status_code == 200, resp.text
            return {"Authorization": f"Bearer {resp.json()['access_token']}"}

        client.tokens = {u: login(u) for u in USERS}
        yield client


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


def record_id(platform, decision_number: str) -> int:
    """The id of the record with this decision (or listing) document number."""
    with unit_of_work(platform.engine) as s:
        found = s.scalar(
            select(Record.id).where(Record.fields["decision_number"].as_string() == decision_number)
        )
    assert found is not None, decision_number
    return found
