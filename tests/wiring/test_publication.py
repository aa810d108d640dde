"""A publication is served by every process from its next request, without a restart: two apps
(two server processes) on one database; an administrator publishes a new model version through
one, and the other answers scores and checks under that version at once. Publishing puts
nothing on the app: each process reads the stamp of what is published and rebuilds."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest
import yaml
from fastapi.testclient import TestClient

from factories.accounts import seed_market_regulator
from factories.records import penalty_row
from xinyong.catalog.loader import default_catalog
from xinyong.config import Settings
from xinyong.db import make_engine, unit_of_work
from xinyong.kit import clock
from xinyong.scoring.in_force import ScorecardsInForce
from xinyong.scoring.models import ModelVersion
from xinyong.scoring.shipped import load_all
from xinyong.web.app import create_app
from xinyong.wiring.definitions import load_shipped
from xinyong.wiring.holder import Wiring
from xinyong.wiring.stamp import published_stamp

SCJG = "330106-SCJG"
USCC = "91330106MA2000086A"
MODEL = "enterprise_public_credit"
PASSWORD = "correct-horse-battery"
SECRET = "test-secret"
SHIPPED = load_all(default_catalog())
# Version 2 grades on a far harsher scale: below 990 points is 较差.
HARSH_BANDS = [
    {"grade": "较差", "min": 0, "max": 990},
    {"grade": "中等", "min": 990, "max": 995},
    {"grade": "良好", "min": 995, "max": 998},
    {"grade": "优秀", "min": 998, "max": 1000},
]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def processes(request, databases, tmp_path_factory) -> Iterator[SimpleNamespace]:
    """Two server processes on one database, each with its own engine (connection pool)."""
    engine = databases.migrated_engine(request.param)
    key = seed_market_regulator(engine, secret=SECRET, code=SCJG)
    settings = Settings(data_dir=tmp_path_factory.mktemp("wiring"), secret_key=SECRET)
    other_engine = make_engine(engine.url.render_as_string(hide_password=False))
    a = TestClient(create_app(settings, engine=engine))
    b = TestClient(create_app(settings, engine=other_engine))
    system = {"X-API-Key": key}
    pushed = a.post(
        "/api/v1/records:batch",
        headers=system,
        json={"type": "administrative_penalty", "rows": [penalty_row(CF_XDR_SHXYM=USCC)]},
    )
    assert pushed.status_code == 200, pushed.text
    token = a.post("/api/v1/auth/token", json={"username": "admin", "password": PASSWORD})
    admin = {"Authorization": f"Bearer {token.json()['access_token']}"}
    yield SimpleNamespace(a=a, b=b, engine=engine, system=system, admin=admin)
    other_engine.dispose()


def _grade_in_check(client: TestClient, system: dict[str, str]) -> tuple[dict, dict]:
    resp = client.post(
        "/api/v1/checks",
        json={"subject_code": USCC, "matter": "食品经营许可", "area": "审批服务"},
        headers=system,
    )
    assert resp.status_code == 200, resp.text
    (grade,) = [g for g in resp.json()["grades"] if g["model_id"] == MODEL]
    return resp.json(), grade


def _score(client: TestClient, system: dict[str, str]) -> dict:
    resp = client.get(f"/api/v1/subjects/{USCC}/scores", headers=system)
    assert resp.status_code == 200, resp.text
    return next(s for s in resp.json()["scores"] if s["model_id"] == MODEL)


def _publish_harsh_version(client: TestClient, admin: dict[str, str]) -> None:
    data = yaml.safe_load(SHIPPED[MODEL].path.read_text(encoding="utf-8"))
    data.update(version=2, grades=HARSH_BANDS)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    draft = client.post("/api/v1/models/drafts", json={"yaml": text}, headers=admin)
    assert draft.status_code == 201, draft.text
    base = f"/api/v1/models/{MODEL}/versions/2"
    assert client.post(f"{base}/dry-run", headers=admin).status_code == 200
    published = client.post(f"{base}/publish", headers=admin)
    assert published.status_code == 200, published.text


def test_publication_in_one_process_is_served_by_another(processes) -> None:
    p = processes
    _, before = _grade_in_check(p.b, p.system)
    assert _score(p.b, p.system)["model_version"] == before["model_version"] == 1
    assert before["grade"] != "较差"

    _publish_harsh_version(p.a, p.admin)

    score = _score(p.b, p.system)
    body, after = _grade_in_check(p.b, p.system)
    assert score["model_version"] == after["model_version"] == 2
    assert score["grade"] == after["grade"] == "较差"
    assert after["total"] == before["total"]
    # The decision rests on the new grade: the strict review for dishonest subjects names it.
    (strict,) = [m for m in body["measures"] if m["id"] == "approval_strict_review_dishonest"]
    assert f"等级：较差（{after['total']} 分，第 2 版模型" in strict["reason"]
    # Nothing was put on either app; each read the stamp and rebuilt.
    for client in (p.a, p.b):
        assert not hasattr(client.app.state, "scorecards")
        assert not hasattr(client.app.state, "measures")
    listing = p.b.get("/api/v1/models", headers=p.admin).json()
    assert {(m["version"], m["in_force"]) for m in listing if m["model_id"] == MODEL} == {(2, True)}


def test_a_publication_the_measures_cannot_rest_on_is_refused_and_changes_nothing(processes):
    p = processes
    data = yaml.safe_load(SHIPPED[MODEL].path.read_text(encoding="utf-8"))
    # Measures rest on this model's grade; one that needs the subject's consent cannot be.
    data.update(version=3, consent_required=True)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    draft = p.a.post("/api/v1/models/drafts", json={"yaml": text}, headers=p.admin)
    assert draft.status_code == 201, draft.text
    base = f"/api/v1/models/{MODEL}/versions/3"
    assert p.a.post(f"{base}/dry-run", headers=p.admin).status_code == 200
    refused = p.a.post(f"{base}/publish", headers=p.admin)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "scoring.breaks_definitions"
    assert "checks.consent_model" in {e["code"] for e in refused.json()["errors"]}
    for client in (p.a, p.b):
        assert _score(client, p.system)["model_version"] == 2
        assert _grade_in_check(client, p.system)[1]["model_version"] == 2


def _published(engine, version: int) -> None:
    text = (
        SHIPPED[MODEL]
        .path.read_text(encoding="utf-8")
        .replace("version: 1", f"version: {version}", 1)
    )
    with unit_of_work(engine) as s:
        s.add(
            ModelVersion(
                model_id=MODEL,
                version=version,
                yaml_text=text,
                definition_hash=f"{version:064d}",
                status="published",
                created_by="user:1",
                created_at=clock.now(),
            )
        )


def test_within_the_ttl_a_process_keeps_what_it_holds_then_rebuilds(databases, settings):
    engine = databases.migrated_engine("sqlite")
    ticks = [0.0]
    patient = settings.model_copy(update={"definitions_ttl_seconds": 30})
    wiring = Wiring(load_shipped(patient, default_catalog()), patient, monotonic=lambda: ticks[0])
    with unit_of_work(engine) as s:
        first = wiring.fresh(s)
    _published(engine, 7)
    ticks[0] = 29.0
    with unit_of_work(engine) as s:
        assert wiring.fresh(s) is first
    ticks[0] = 31.0
    with unit_of_work(engine) as s:
        rebuilt = wiring.fresh(s)
        assert rebuilt.definitions.stamp == published_stamp(s) != first.definitions.stamp
    assert rebuilt.get(ScorecardsInForce)[MODEL].scorecard.version == 7
    assert first.get(ScorecardsInForce)[MODEL].scorecard.version == 1
