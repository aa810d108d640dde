"""``xinyong measures``: officials list and validate the measures catalog, against the models
in force: the shipped ones and those an administrator published since."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

import xinyong.db
from factories.rules import SOUND
from xinyong.checks.measure_cases import CASES_PATH
from xinyong.checks.measures import MEASURES_PATH
from xinyong.cli import app
from xinyong.config import get_settings
from xinyong.db import unit_of_work
from xinyong.scoring import lifecycle
from xinyong.scoring.lifecycle import ModelStatus
from xinyong.scoring.models import ModelVersion

NOW = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database(request, databases) -> Iterator[Any]:
    engine = databases.migrated_engine(request.param)
    yield engine
    # The commands cache their own engine on the URL; close it with the database.
    cached = xinyong.db._engines.pop(engine.url.render_as_string(hide_password=False), None)
    if cached is not None:
        cached.dispose()


@pytest.fixture
def run(database, tmp_path):
    env = {
        "XINYONG_DATABASE_URL": database.url.render_as_string(hide_password=False),
        "XINYONG_DATA_DIR": str(tmp_path),
    }

    def invoke(*args: str):
        get_settings.cache_clear()
        return CliRunner().invoke(app, list(args), env=env)

    yield invoke
    get_settings.cache_clear()


def test_list_as_json_filters_by_area(run):
    result = run("measures", "list", "--area", "公共资源交易", "--json")
    assert result.exit_code == 0, result.output
    measures = json.loads(result.stdout)
    assert measures and all("公共资源交易" in m["areas"] for m in measures)


def test_check_names_the_broken_item(run, tmp_path):
    data = yaml.safe_load(MEASURES_PATH.read_text(encoding="utf-8"))
    data["measures"][2]["when"] = "bad_records >"
    path = tmp_path / "measures.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = run("measures", "check", str(path))
    assert result.exit_code == 1
    assert "measures[2]" in result.output and "expr.syntax" in result.output


def test_check_accepts_the_shipped_catalog(run):
    result = run("measures", "check")
    assert result.exit_code == 0
    assert "措施清单有效" in result.output


def test_the_shipped_measure_cases_pass_from_the_command_line(run):
    result = run("measures", "test")
    assert result.exit_code == 0, result.output
    assert "0 failed" in result.output


def test_a_failing_measure_case_exits_with_one_and_says_why(run, tmp_path):
    from_shipped = yaml.safe_load(CASES_PATH.read_text(encoding="utf-8"))
    from_shipped["cases"][0]["expect"]["审批服务"] = "不予办理"
    path = tmp_path / "cases.yaml"
    path.write_text(yaml.safe_dump(from_shipped, allow_unicode=True), encoding="utf-8")
    result = run("measures", "test", str(path))
    assert result.exit_code == 1
    assert "审批服务的处理方式为 正常办理，应为 不予办理" in result.output


def _naming_test_model(tmp_path: Path) -> Path:
    """The shipped catalog with one measure resting on ``test_model``, which no file ships."""
    data = yaml.safe_load(MEASURES_PATH.read_text(encoding="utf-8"))
    measure = next(m for m in data["measures"] if m.get("model"))
    data["measures"].append({**measure, "id": "test_model_excellent", "model": "test_model"})
    path = tmp_path / "measures.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _publish_test_model(engine) -> None:
    text = yaml.safe_dump(copy.deepcopy(SOUND), allow_unicode=True, sort_keys=False)
    with unit_of_work(engine) as s:
        s.add(
            ModelVersion(
                model_id="test_model",
                version=1,
                yaml_text=text,
                definition_hash=lifecycle.definition_hash(text),
                status=ModelStatus.PUBLISHED.value,
                created_by="user:1",
                created_at=NOW,
                published_by="user:1",
                published_at=NOW,
            )
        )


def test_check_reads_the_models_published_in_the_database(run, database, tmp_path):
    path = _naming_test_model(tmp_path)
    before = run("measures", "check", str(path))
    assert before.exit_code == 1
    assert "checks.unknown_model" in before.output
    _publish_test_model(database)
    after = run("measures", "check", str(path))
    assert after.exit_code == 0, after.output
    assert "措施清单有效" in after.output
