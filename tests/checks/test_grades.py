"""The grade a check uses is the answer ``/subjects/{code}/scores`` gives for the model version in
force: the stored batch result of that version, else the same compiled select run online, and
the check says which version and evaluation date it comes from. ``GET /models`` lists every
live model. (The tests run in file order: the last one publishes a new version.)"""

from __future__ import annotations

import pytest
import yaml
from fastapi.testclient import TestClient

from factories.accounts import seed_market_regulator
from factories.records import penalty_row
from xinyong.catalog.loader import default_catalog
from xinyong.config import Settings
from xinyong.kit import clock
from xinyong.scoring.refresh import refresh_stale, shipped_and_published
from xinyong.scoring.service import run_batch
from xinyong.scoring.shipped import load_all
from xinyong.web.app import create_app

SCJG = "330106-SCJG"
SCORED = "91330106MA2000086A"  # evaluated by the batch run
NEW = "91330106000000777L"  # first seen after the batch run: no stored score
MODEL = "enterprise_public_credit"
PASSWORD = "correct-horse-battery"
SECRET = "test-secret"
SHIPPED = load_all(default_catalog())
# Version 2 of the enterprise model grades on a far harsher scale: below 990 points is 较差.
HARSH_BANDS = [
    {"grade": "较差", "min": 0, "max": 990},
    {"grade": "中等", "min": 990, "max": 995},
    {"grade": "良好", "min": 995, "max": 998},
    {"grade": "优秀", "min": 998, "max": 1000},
]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(request, databases, tmp_path_factory):
    engine = databases.migrated_engine(request.param)
    settings = Settings(data_dir=tmp_path_factory.mktemp("grades"), secret_key=SECRET)
    key = seed_market_regulator(engine, secret=SECRET, code=SCJG)
    client = TestClient(create_app(settings, engine=engine))
    client.engine = engine
    client.system = {"X-API-Key": key}
    client.push = lambda row: client.post(
        "/api/v1/records:batch",
        headers=client.system,
        json={"type": "administrative_penalty", "rows": [row]},
    )
    assert client.push(penalty_row(CF_XDR_SHXYM=SCORED, CF_JDRQ="2026-01-10")).status_code == 200
    run_batch(engine, SHIPPED[MODEL], default_catalog(), as_of=clock.today())
    # A worker pass after the ingest: the subject is no longer marked stale.
    refresh_stale(
        engine,
        default_catalog(),
        shipped_and_published(default_catalog(), SHIPPED),
        now=clock.now(),
    )
    row = penalty_row(CF_XDR_SHXYM=NEW, CF_XDR_MC="杭州新设示范有限公司", CF_JDRQ="2026-02-10")
    assert client.push(row).status_code == 200
    resp = client.post("/api/v1/auth/token", json={"username": "admin", "password": PASSWORD})
    client.admin = {"Authorization": f"Bearer {resp.json()['access_token']}"}
    return client


def _check(api, code):
    resp = api.post(
        "/api/v1/checks",
        json={"subject_code": code, "matter": "食品经营许可", "area": "审批服务"},
        headers=api.system,
    )
    assert resp.status_code == 200, resp.text
    (grade,) = [g for g in resp.json()["grades"] if g["model_id"] == MODEL]
    return resp.json(), grade


def _scores(api, code):
    resp = api.get(f"/api/v1/subjects/{code}/scores", headers=api.system)
    assert resp.status_code == 200, resp.text
    return next(s for s in resp.json()["scores"] if s["model_id"] == MODEL)


def test_a_check_uses_the_stored_batch_result_of_the_version_in_force(api):
    _, grade = _check(api, SCORED)
    scores = _scores(api, SCORED)
    assert grade["online"] is False
    assert grade["model_version"] == SHIPPED[MODEL].scorecard.version
    assert grade["as_of"] == clock.today().isoformat()
    assert (grade["grade"], grade["total"]) == (scores["grade"], scores["total"])


def test_a_subject_with_no_stored_score_gets_its_online_grade_in_a_check(api):
    _, grade = _check(api, NEW)
    scores = _scores(api, NEW)
    assert grade["online"] is True
    assert grade["model_version"] == scores["model_version"]
    assert grade["as_of"] == scores["as_of"] == clock.today().isoformat()
    assert (grade["grade"], grade["total"]) == (scores["grade"], scores["total"])
    assert grade["grade"] != "暂无评价结果"


def test_the_models_listing_shows_every_live_model(api):
    resp = api.get("/api/v1/models", headers=api.admin)
    assert resp.status_code == 200, resp.text
    live = {m["model_id"]: m for m in resp.json() if m["in_force"]}
    assert set(live) == set(SHIPPED)
    for model_id, entry in live.items():
        card = SHIPPED[model_id].scorecard
        assert entry["name"] == card.name
        assert entry["version"] == card.version
        assert entry["effective_from"] == card.effective_from.isoformat()
        assert (entry["status"], entry["status_label"]) == ("published", "已发布")
        assert entry["source"] == "shipped"
        assert entry["definition_hash"] == SHIPPED[model_id].definition_hash


def test_a_check_after_a_publish_reports_the_new_version_without_a_batch_run(api):
    _, before = _check(api, SCORED)
    data = yaml.safe_load(SHIPPED[MODEL].path.read_text(encoding="utf-8"))
    data.update(version=2, grades=HARSH_BANDS)
    draft = api.post(
        "/api/v1/models/drafts",
        json={"yaml": yaml.safe_dump(data, allow_unicode=True, sort_keys=False)},
        headers=api.admin,
    )
    assert draft.status_code == 201, draft.text
    base = f"/api/v1/models/{MODEL}/versions/2"
    assert api.post(f"{base}/dry-run", headers=api.admin).status_code == 200
    assert api.post(f"{base}/publish", headers=api.admin).status_code == 200

    body, after = _check(api, SCORED)
    scores = _scores(api, SCORED)
    assert (after["model_version"], after["online"]) == (2, True)
    assert after["grade"] == scores["grade"] == "较差" != before["grade"]
    assert after["total"] == scores["total"] == before["total"]
    (strict,) = [m for m in body["measures"] if m["id"] == "approval_strict_review_dishonest"]
    assert f"等级：较差（{after['total']} 分，第 2 版模型" in strict["reason"]
    assert "实时计算" in strict["reason"]

    live = [m for m in api.get("/api/v1/models", headers=api.admin).json() if m["in_force"]]
    (enterprise,) = [m for m in live if m["model_id"] == MODEL]
    assert (enterprise["version"], enterprise["source"]) == (2, "database")
    assert len(live) == len(SHIPPED)
