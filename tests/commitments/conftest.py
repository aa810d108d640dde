"""A platform with three enterprises (two clean, one with a serious penalty), two departments
with their staff and system keys, and a fixed clock (Monday 2026-11-23, Shanghai)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from commitments.world import (
    HB,
    NAME,
    NOW,
    OTHER_USCC,
    PASSWORD,
    SCJG,
    SECRET,
    SERIOUS_USCC,
    USCC,
)
from factories.accounts import make_reviewing_departments
from factories.ingest import licence_row
from factories.records import penalty_row
from xinyong.accounts import service as accounts
from xinyong.accounts.models import Role
from xinyong.config import Settings
from xinyong.db import unit_of_work
from xinyong.kit import clock
from xinyong.subjects.models import Subject
from xinyong.web.app import create_app


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def platform(request, databases, tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(clock, "now", lambda: NOW)
        engine = databases.migrated_engine(request.param)
        settings = Settings(data_dir=tmp_path_factory.mktemp("commitments"), secret_key=SECRET)
        with unit_of_work(engine) as s:
            keys = make_reviewing_departments(
                s,
                [
                    (SCJG, "杭州市西湖区市场监督管理局", "market_regulation"),
                    (HB, "杭州市生态环境局西湖分局", "environment"),
                ],
                reviewer_prefix="staff",
                password=PASSWORD,
                secret=SECRET,
                now=NOW,
            )
            accounts.create_user(s, username="admin", password=PASSWORD, role=Role.ADMIN, now=NOW)
        client = TestClient(create_app(settings, engine=engine))
        client.engine = engine
        client.settings = settings
        client.keys = {code: {"X-API-Key": key} for code, key in keys.items()}

        def push(record_type, rows):
            resp = client.post(
                "/api/v1/records:batch",
                headers=client.keys[SCJG],
                json={"type": record_type, "rows": rows},
            )
            assert resp.status_code == 200, resp.text
            assert resp.json()["rejected"] == 0, resp.text

        push(
            "administrative_licence",
            [
                licence_row(XK_XDR_SHXYM=USCC, XK_XDR_MC=NAME),
                licence_row(XK_XDR_SHXYM=OTHER_USCC, XK_XDR_MC="别家公司"),
                licence_row(XK_XDR_SHXYM=SERIOUS_USCC, XK_XDR_MC="失信示例有限公司"),
            ],
        )
        push(
            "administrative_penalty",
            [
                penalty_row(
                    CF_WSH="西市监罚〔2026〕301号",
                    CF_JDRQ="2026-09-01",
                    CF_CFLB="吊销许可证件",
                    CF_XDR_SHXYM=SERIOUS_USCC,
                    CF_XDR_MC="失信示例有限公司",
                )
            ],
        )
        users = {"qiye": USCC, "qiye2": OTHER_USCC, "qiye3": SERIOUS_USCC}
        with unit_of_work(engine) as s:
            for username, uscc in users.items():
                sid = s.scalar(select(Subject.id).where(Subject.uscc == uscc))
                assert sid is not None, uscc
                accounts.create_user(
                    s,
                    username=username,
                    password=PASSWORD,
                    role=Role.ENTERPRISE,
                    subject_id=sid,
                    now=NOW,
                )

        def login(user):
            resp = client.post("/api/v1/auth/token", json={"username": user, "password": PASSWORD})
            assert resp.status_code == 200, resp.text
            return {"Authorization": f"Bearer {resp.json()['access_token']}"}

        client.tokens = {u: login(u) for u in (*users, "admin", f"staff-{SCJG}", f"staff-{HB}")}
        yield client


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)
