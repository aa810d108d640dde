"""A platform with one enterprise holding records from three departments, their reviewers,
and a fixed clock (Monday 2026-11-23, Shanghai) so that periods and deadlines are exact."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from factories.accounts import make_reviewing_departments
from factories.records import penalty_row
from repair.world import FGW, HB, NOW, OTHER_USCC, PASSWORD, SCJG, SECRET, USCC, black_row
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
        data_dir = tmp_path_factory.mktemp("repair")
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
        client = TestClient(create_app(settings, engine=engine))
        client.engine = engine
        client.data_dir = data_dir
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
            [
                penalty_row(CF_WSH="西市监罚〔2026〕101号", CF_JDRQ="2026-04-10"),
                penalty_row(CF_WSH="西市监罚〔2026〕102号", CF_JDRQ="2026-10-01"),  # too early
                penalty_row(
                    CF_WSH="西市监罚〔2026〕103号",
                    CF_JDRQ="2026-01-15",
                    CF_CFLB="降低资质等级",
                ),  # never early (and, unlike 吊销, no black-list entry of its own)
                penalty_row(
                    CF_WSH="西市监罚〔2026〕104号", CF_XDR_SHXYM=OTHER_USCC, CF_XDR_MC="别家公司"
                ),
            ],
        )
        push(
            HB,
            "administrative_penalty",
            [
                penalty_row(
                    CF_WSH="杭环西罚〔2026〕7号", CF_JDRQ="2026-03-01", CF_CFJG="杭州市生态环境局"
                )
            ],
        )
        push(FGW, "serious_dishonesty_list", [black_row()])
        with unit_of_work(engine) as s:
            sid = s.scalar(select(Subject.id).where(Subject.uscc == USCC))
            other = s.scalar(select(Subject.id).where(Subject.uscc == OTHER_USCC))
            accounts.create_user(
                s, username="qiye", password=PASSWORD, role=Role.ENTERPRISE, subject_id=sid, now=NOW
            )
            accounts.create_user(
                s,
                username="qiye2",
                password=PASSWORD,
                role=Role.ENTERPRISE,
                subject_id=other,
                now=NOW,
            )

        def login(user):
            resp = client.post("/api/v1/auth/token", json={"username": user, "password": PASSWORD})
            assert resp.status_code == 200, resp.text
            return {"Authorization": f"Bearer {resp.json()['access_token']}"}

        client.tokens = {
            u: login(u)
            for u in (
                "qiye",
                "qiye2",
                "admin",
                f"reviewer-{SCJG}",
                f"reviewer-{HB}",
                f"reviewer-{FGW}",
            )
        }
        yield client


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)
