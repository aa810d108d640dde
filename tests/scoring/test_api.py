"""Scores over HTTP: who may see them, explanations that add up, consent, runs."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select

from factories.records import PERSON_ID, SECRET, penalty_row, person_penalty_row, push
from factories.rules import SOUND
from xinyong.accounts import service as accounts
from xinyong.accounts.models import Role
from xinyong.catalog.loader import default_catalog
from xinyong.config import Settings
from xinyong.db import unit_of_work
from xinyong.kit import clock
from xinyong.rules.loader import load_scorecard
from xinyong.subjects import service as subjects
from xinyong.subjects.models import Subject
from xinyong.web.app import create_app

USCC = "91330106MA2000086A"
PASSWORD = "correct-horse-battery"


def _load(tmp: Path, data: dict, name: str):
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_scorecard(path, default_catalog())


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(request, databases, tmp_path_factory):
    engine = databases.migrated_engine(request.param)
    tmp = tmp_path_factory.mktemp("scores")
    personal = copy.deepcopy(SOUND)
    personal.update(
        id="personal_test", name="个人测试分", subject_kinds=["person"], consent_required=True
    )
    with unit_of_work(engine) as s:
        code = accounts.create_department(
            s,
            code="330106-SCJG",
            name="西湖区市场监管局",
            sector="market_regulation",
            now=clock.now(),
        ).code
        push(
            s,
            code,
            [
                penalty_row(CF_WSH="罚〔1〕", CF_NR_FK="5", CF_JDRQ="2026-04-10"),
                person_penalty_row(CF_WSH="罚〔2〕"),
            ],
        )
        sid = s.scalar(select(Subject.id).where(Subject.uscc == USCC))
        accounts.create_user(
            s,
            username="qiye",
            password=PASSWORD,
            role=Role.ENTERPRISE,
            subject_id=sid,
            now=clock.now(),
        )
        accounts.create_user(
            s, username="admin", password=PASSWORD, role=Role.ADMIN, now=clock.now()
        )
    app = create_app(
        Settings(data_dir=tmp, secret_key=SECRET.decode()),
        engine=engine,
        scorecards={
            "test_model": _load(tmp, SOUND, "model"),
            "personal_test": _load(tmp, personal, "personal"),
        },
    )
    client = TestClient(app)
    client.engine = engine
    return client


def _of(body, model_id):
    """The scores of the test's own model (the shipped models are in force too)."""
    return [s for s in body["scores"] if s["model_id"] == model_id]


def _token(client, username):
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def test_the_public_may_not_see_scores(api):
    resp = api.get(f"/api/v1/subjects/{USCC}/scores")
    assert resp.status_code == 403
    assert resp.json()["code"] == "scoring.forbidden"


def test_subject_sees_its_score_explained_and_the_parts_add_up(api):
    body = api.get(
        f"/api/v1/subjects/{USCC}/scores",
        params={"as_of": "2026-11-22"},
        headers=_token(api, "qiye"),
    ).json()
    assert body["view"] == "self"
    (score,) = _of(body, "test_model")
    parts = sum(Decimal(i["points"]) for i in score["items"])
    parts += sum(Decimal(a["points"]) for a in score["adjustments"])
    assert parts == Decimal(score["total"])
    penalties = next(i for i in score["items"] if i["id"] == "penalties")
    assert [r["title"] for r in penalties["records"]] == ["罚〔1〕"]
    assert penalties["reference"] == "行政处罚法"
    assert penalties["records"][0]["repair_possible_from"] == "2026-07-11"
    # no tax rating yet costs 20 of 40; one penalty 10 of 40; 5 万 of fines 10 of 20
    assert score["lowers_most"] == [
        "纳税信用等级（扣 20.00 分）",
        "行政处罚（扣 10.00 分）",
        "罚款金额（扣 10.00 分）",
    ]
    assert score["repair_dates"][0]["title"] == "罚〔1〕"
    assert score["definition_hash"] and score["model_version"] == 1


def test_veto_cap_shows_as_an_adjustment(api):
    body = api.get(
        f"/api/v1/subjects/{USCC}/scores",
        params={"as_of": "2026-11-22"},
        headers=_token(api, "admin"),
    ).json()
    (score,) = _of(body, "test_model")
    assert score["grade"] == "较差"
    assert score["adjustments"][0]["reason"].startswith("一票否决封顶")
    assert "repair_dates" not in score or score["repair_dates"] == []


def test_person_without_consent_gets_no_personal_score_and_a_reason(api):
    resp = api.get(f"/api/v1/subjects/{PERSON_ID}/scores", headers=_token(api, "admin"))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["scores"] == []
    assert {u["code"] for u in body["unavailable"]} == {"scoring.no_consent"}
    with unit_of_work(api.engine) as s:
        person = s.scalar(select(Subject).where(Subject.kind == "person"))
        subjects.grant_consent(
            s, person, purpose=subjects.PERSONAL_SCORE, channel="window", now=clock.now()
        )
    body = api.get(f"/api/v1/subjects/{PERSON_ID}/scores", headers=_token(api, "admin")).json()
    assert _of(body, "personal_test")
    assert PERSON_ID not in str(body)


def test_future_as_of_is_refused(api):
    resp = api.get(
        f"/api/v1/subjects/{USCC}/scores",
        params={"as_of": "2999-01-01"},
        headers=_token(api, "admin"),
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "scoring.future_as_of"


def test_admin_runs_an_evaluation_and_others_may_not(api):
    resp = api.post(
        "/api/v1/evaluations",
        json={"model_id": "test_model", "as_of": "2026-11-22"},
        headers=_token(api, "admin"),
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["subjects"] == 1
    assert (
        api.post(
            "/api/v1/evaluations", json={"model_id": "test_model"}, headers=_token(api, "qiye")
        ).status_code
        == 403
    )
    missing = api.post(
        "/api/v1/evaluations", json={"model_id": "nope"}, headers=_token(api, "admin")
    )
    assert missing.status_code == 404
    bad_engine = api.post(
        "/api/v1/evaluations",
        json={"model_id": "test_model", "engine": "spark"},
        headers=_token(api, "admin"),
    )
    assert bad_engine.json()["code"] == "scoring.unknown_engine"
