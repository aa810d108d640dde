"""Model lifecycle: draft → dry run → publish, admins only, every move audited and guarded."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from factories.records import SECRET, penalty_row, push
from factories.rules import SOUND
from xinyong.accounts import service as accounts
from xinyong.accounts.models import Role
from xinyong.audit.models import AuditEntry
from xinyong.catalog.loader import default_catalog
from xinyong.config import Settings
from xinyong.db import unit_of_work
from xinyong.kit import clock
from xinyong.rules.loader import LoadedScorecard, ScorecardDefinitionError, load_scorecard
from xinyong.scoring import lifecycle
from xinyong.scoring.lifecycle import AdminOnly
from xinyong.scoring.models import ModelVersion, ModelVersionEvent
from xinyong.scoring.workflow import (
    ACTION_LABELS,
    MODEL_VERSION,
    STATUS_LABELS,
    Action,
    ConcurrentUpdate,
    InvalidTransition,
    ModelStatus,
)
from xinyong.web.app import create_app

NOW = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)
AS_OF = date(2026, 6, 30)
ADMIN = "user:1"
PASSWORD = "correct-horse-battery"
CATALOG = default_catalog()


def _holds() -> None:
    """The definitions in force rest on any version these tests publish."""


def model(version: int, **changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(SOUND)
    data["version"] = version
    data.update(changes)
    return data


def as_yaml(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


# A stricter grading: 80 points is 中等 instead of 良好.
STRICT_GRADES = [
    {"grade": "较差", "min": 0, "max": 60},
    {"grade": "中等", "min": 60, "max": 85},
    {"grade": "良好", "min": 85, "max": 95},
    {"grade": "优秀", "min": 95, "max": 100},
]


@pytest.fixture
def shipped(tmp_path: Path) -> dict[str, LoadedScorecard]:
    path = tmp_path / "test_model.yaml"
    path.write_text(as_yaml(model(1)), encoding="utf-8")
    return {"test_model": load_scorecard(path, CATALOG)}


def _department(session) -> str:
    return accounts.create_department(
        session, code="330106-SCJG", name="西湖区市场监管局", sector="market_regulation", now=NOW
    ).code


def _enterprise_with_small_fine(session) -> None:
    """One enterprise scoring 80 under SOUND (a fine under 1 万 and no tax rating): 良好."""
    push(session, _department(session), [penalty_row(CF_NR_FK="0.5")])


def _row(session, status: ModelStatus, version: int = 2) -> ModelVersion:
    text_ = as_yaml(model(version))
    row = ModelVersion(
        model_id="test_model",
        version=version,
        yaml_text=text_,
        definition_hash=lifecycle.definition_hash(text_),
        status=status.value,
        created_by=ADMIN,
        created_at=NOW,
    )
    session.add(row)
    session.flush()
    return row


def _draft(session, version: int = 2, shipped=None, **changes: Any) -> ModelVersion:
    return lifecycle.create_draft(
        session,
        yaml_text=as_yaml(model(version, **changes)),
        catalog=CATALOG,
        actor=ADMIN,
        actor_role=Role.ADMIN,
        now=NOW,
        shipped=shipped,
    )


def _dry_run(session, row: ModelVersion, published=None) -> dict[str, Any]:
    return lifecycle.dry_run(
        session, row, catalog=CATALOG, published=published, as_of=AS_OF, actor=ADMIN, now=NOW
    )


def _publish(session, row: ModelVersion) -> ModelVersion:
    return lifecycle.publish(
        session, row, actor_role=Role.ADMIN, actor=ADMIN, now=NOW, definitions_hold=_holds
    )


def _events(session, row: ModelVersion) -> list[str]:
    return list(
        session.scalars(
            select(ModelVersionEvent.action)
            .where(ModelVersionEvent.model_version_id == row.id)
            .order_by(ModelVersionEvent.id)
        )
    )


def _audits(session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


class TestTransitionTable:
    def test_only_retired_is_a_dead_end(self) -> None:
        dead_ends = {s for s in ModelStatus if not MODEL_VERSION.allowed_actions(s)}
        assert dead_ends == set(MODEL_VERSION.terminal) == {ModelStatus.RETIRED}

    def test_creating_a_draft_is_its_first_event_not_a_move(self) -> None:
        assert all(not MODEL_VERSION.targets(status, Action.CREATE) for status in ModelStatus)

    @pytest.mark.parametrize("status", list(ModelStatus))
    @pytest.mark.parametrize("action", list(Action))
    def test_every_pair_is_allowed_or_refused_with_409(self, session, status, action) -> None:
        row = _row(session, status)
        target = MODEL_VERSION.target(status, action)
        if target is None:
            with pytest.raises(InvalidTransition) as err:
                lifecycle.apply(session, row, action, actor=ADMIN, now=NOW)
            assert err.value.status == 409
            assert err.value.code == "scoring.invalid_transition"
            assert STATUS_LABELS[status] in err.value.title
            assert ACTION_LABELS[action] in err.value.title
            assert _events(session, row) == []
        else:
            event = lifecycle.apply(session, row, action, actor=ADMIN, now=NOW)
            assert row.status == target
            assert row.version == 2  # the model's version number, never bumped by a move
            assert (event.from_status, event.to_status) == (status, target)
            assert _events(session, row) == [action.value]


class TestDraft:
    def test_a_bad_definition_is_refused_naming_the_item(self, session) -> None:
        data = model(2)
        data["dimensions"][0]["indicators"][0]["fact"]["record_types"] = ["no_such_type"]
        with pytest.raises(ScorecardDefinitionError) as err:
            lifecycle.create_draft(
                session, yaml_text=as_yaml(data), catalog=CATALOG, actor=ADMIN, now=NOW
            )
        assert err.value.status == 422
        (problem,) = err.value.errors
        assert problem.field == "dimensions[0].indicators[0]（行政处罚）.fact.record_types"
        assert problem.code == "rules.unknown_record_type"

    def test_a_schema_error_and_bad_yaml_are_refused(self, session) -> None:
        with pytest.raises(ScorecardDefinitionError) as err:
            _draft(session, score={"min": 0, "max": 100, "total": 90})
        assert "权重合计" in err.value.errors[0].message
        with pytest.raises(ScorecardDefinitionError) as err:
            lifecycle.create_draft(
                session, yaml_text="id: [unclosed", catalog=CATALOG, actor=ADMIN, now=NOW
            )
        assert err.value.errors[0].code == "rules.yaml_syntax"

    def test_version_must_exceed_the_published_one(self, session, shipped) -> None:
        with pytest.raises(lifecycle.VersionNotNewer) as err:
            _draft(session, version=1, shipped=shipped)
        assert err.value.status == 409
        _draft(session, version=2, shipped=shipped)
        with pytest.raises(lifecycle.VersionExists):
            _draft(session, version=2, shipped=shipped)

    def test_a_draft_is_audited_and_has_an_event(self, session) -> None:
        before = _audits(session)
        row = _draft(session)
        assert row.status == ModelStatus.DRAFT
        assert _events(session, row) == ["create"]
        assert _audits(session) == before + 1


class TestDryRun:
    def test_a_stricter_band_reports_the_subjects_whose_grade_changes(
        self, session, shipped
    ) -> None:
        _enterprise_with_small_fine(session)
        row = _draft(session, grades=STRICT_GRADES)
        summary = _dry_run(session, row, published=shipped["test_model"])
        assert summary["subjects"] == 1
        assert summary["published_grades"] == {"良好": 1}
        assert summary["grades"] == {"中等": 1}
        assert summary["changed"] == 1
        (example,) = summary["examples"]
        assert example["from"] == "良好" and example["to"] == "中等"
        assert example["total_from"] == example["total_to"] == "80.00"
        assert row.status == ModelStatus.TESTED
        assert row.dry_run == summary

    def test_the_same_bands_change_nobody(self, session, shipped) -> None:
        _enterprise_with_small_fine(session)
        summary = _dry_run(session, _draft(session), published=shipped["test_model"])
        assert summary["changed"] == 0 and summary["examples"] == []


class TestPublish:
    def test_publish_without_a_dry_run_is_refused(self, session) -> None:
        row = _draft(session)
        with pytest.raises(InvalidTransition) as err:
            _publish(session, row)
        assert err.value.status == 409
        assert row.status == ModelStatus.DRAFT

    def test_only_admins_publish(self, session) -> None:
        row = _draft(session)
        _dry_run(session, row)
        with pytest.raises(AdminOnly) as err:
            lifecycle.publish(
                session,
                row,
                actor_role=Role.DEPARTMENT,
                actor="user:9",
                now=NOW,
                definitions_hold=_holds,
            )
        assert (err.value.status, err.value.code) == (403, "scoring.admin_only")
        assert row.status == ModelStatus.TESTED

    def test_published_replaces_shipped_and_retires_the_previous(self, session, shipped) -> None:
        v2 = _draft(session, version=2, shipped=shipped)
        _dry_run(session, v2, published=shipped["test_model"])
        _publish(session, v2)
        models = lifecycle.published_scorecards(session, CATALOG, shipped)
        assert models["test_model"].scorecard.version == 2
        assert models["test_model"].definition_hash == v2.definition_hash
        assert v2.published_by == ADMIN and v2.published_at is not None

        v3 = _draft(session, version=3, shipped=models)
        _dry_run(session, v3, published=models["test_model"])
        _publish(session, v3)
        assert v2.status == ModelStatus.RETIRED
        assert v3.status == ModelStatus.PUBLISHED
        assert (
            lifecycle.published_scorecards(session, CATALOG, shipped)[
                "test_model"
            ].scorecard.version
            == 3
        )
        assert _events(session, v2) == ["create", "dry_run", "publish", "retire"]

    def test_every_step_writes_an_audit_row_and_an_event_row(self, session) -> None:
        before = _audits(session)
        row = _draft(session)
        _dry_run(session, row)
        _publish(session, row)
        assert _events(session, row) == ["create", "dry_run", "publish"]
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.id > before).order_by(AuditEntry.id)
        ).all()
        assert actions == [
            "scoring.model_draft",
            "scoring.model_dry_run",
            "scoring.model_publish",
        ]

    def test_of_two_concurrent_publishes_one_wins(self, session) -> None:
        row = _draft(session)
        _dry_run(session, row)
        # The other administrator's publish commits between our read and our compare-and-set.
        session.execute(
            text("UPDATE model_versions SET status = 'published' WHERE id = :id"), {"id": row.id}
        )
        assert row.status == ModelStatus.TESTED  # what we read
        with pytest.raises(ConcurrentUpdate) as err:
            _publish(session, row)
        assert (err.value.status, err.value.code) == (409, "scoring.concurrent_update")
        assert err.value.title.startswith("模型 test_model 第 2 版已被他人同时处理")
        assert _events(session, row) == ["create", "dry_run"]


# --- over HTTP ---------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(request, databases, tmp_path_factory):
    engine = databases.migrated_engine(request.param)
    tmp = tmp_path_factory.mktemp("lifecycle")
    with unit_of_work(engine) as s:
        _enterprise_with_small_fine(s)
        accounts.create_user(
            s, username="admin", password=PASSWORD, role=Role.ADMIN, now=clock.now()
        )
        accounts.create_user(
            s,
            username="bumen",
            password=PASSWORD,
            role=Role.DEPARTMENT,
            department_code="330106-SCJG",
            now=clock.now(),
        )
    path = tmp / "test_model.yaml"
    path.write_text(as_yaml(model(1)), encoding="utf-8")
    app = create_app(
        Settings(data_dir=tmp, secret_key=SECRET.decode()),
        engine=engine,
        scorecards={"test_model": load_scorecard(path, CATALOG)},
    )
    return TestClient(app)


def _token(client, username):
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def test_admin_drafts_dry_runs_and_publishes_over_http(api) -> None:
    admin = _token(api, "admin")
    resp = api.post(
        "/api/v1/models/drafts",
        json={"yaml": as_yaml(model(2, grades=STRICT_GRADES))},
        headers=admin,
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["status"] == "draft"

    resp = api.post("/api/v1/models/test_model/versions/2/publish", headers=admin)
    assert resp.status_code == 409
    assert resp.json()["code"] == "scoring.invalid_transition"

    resp = api.post(
        "/api/v1/models/test_model/versions/2/dry-run",
        json={"as_of": AS_OF.isoformat()},
        headers=admin,
    )
    assert resp.status_code == 200, resp.text
    dry = resp.json()["dry_run"]
    assert dry["changed"] == 1 and dry["examples"][0]["to"] == "中等"

    resp = api.post("/api/v1/models/test_model/versions/2/publish", headers=_token(api, "bumen"))
    assert resp.status_code == 403
    assert resp.json()["code"] == "scoring.admin_only"

    resp = api.post("/api/v1/models/test_model/versions/2/publish", headers=admin)
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "published"
    # Nothing was put on the app: the next request reads what is published.
    assert not hasattr(api.app.state, "scorecards")

    listing = [
        v for v in api.get("/api/v1/models", headers=admin).json() if v["model_id"] == "test_model"
    ]
    assert [(v["version"], v["status"]) for v in listing] == [(2, "published")]
    assert listing[0]["dry_run"]["changed"] == 1
    assert listing[0]["allowed_actions"] == ["retire"]
    assert listing[0]["in_force"] is True


def test_a_bad_draft_over_http_names_the_item(api) -> None:
    data = model(5)
    data["dimensions"][0]["indicators"][1]["fact"]["field"] = "no_such_field"
    resp = api.post(
        "/api/v1/models/drafts", json={"yaml": as_yaml(data)}, headers=_token(api, "admin")
    )
    assert resp.status_code == 422
    fields = [e["field"] for e in resp.json()["errors"]]
    assert "dimensions[0].indicators[1]（罚款金额）.fact.field" in fields


def test_non_admins_may_not_manage_models(api) -> None:
    assert api.get("/api/v1/models").status_code == 401
    resp = api.get("/api/v1/models", headers=_token(api, "bumen"))
    assert resp.status_code == 403
