"""``xinyong demo``'s preparation: a seeded platform whose demo accounts work together — the
bank reads the demo enterprise's file under its grant, and the enterprise sees that read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import typer.main
from fastapi.testclient import TestClient
from rich.console import Console
from sqlalchemy import func, select
from typer.testing import CliRunner

import xinyong.db
from xinyong.accounts.models import User
from xinyong.catalog.loader import default_catalog
from xinyong.cli import app
from xinyong.config import Settings, get_settings
from xinyong.db import make_engine, unit_of_work
from xinyong.demo import ACCOUNTS_FILE, DEMO_ORGANISATIONS, DEMO_PERSONS, DEMO_RECORDS, prepare
from xinyong.kit import clock
from xinyong.scoring.lifecycle import published_scorecards
from xinyong.scoring.models import ScoreRun
from xinyong.scoring.shipped import load_all
from xinyong.subjects.models import Subject
from xinyong.web.app import create_app


def test_demo_bank_reads_the_demo_enterprise_under_its_grant(tmp_path):
    settings = Settings(data_dir=tmp_path, secret_key="demo-test-secret")
    engine = make_engine(settings.resolved_database_url)
    made = prepare(
        settings, engine, enterprises=60, records=400, persons=5, console=Console(quiet=True)
    )
    assert (tmp_path / ACCOUNTS_FILE).exists()
    passwords = {a.username: a.password for a in made}
    assert {"admin", "scjg", "qiye", "bank"} <= set(passwords)
    with unit_of_work(engine) as s:
        subject_id = s.scalar(select(User.subject_id).where(User.username == "qiye"))
        code = s.get_one(Subject, subject_id).code
    client = TestClient(create_app(settings, engine=engine))

    def login(user):
        token = client.post(
            "/api/v1/auth/token", json={"username": user, "password": passwords[user]}
        ).json()["access_token"]
        return {"Authorization": f"Bearer {token}"}

    file = client.get(f"/api/v1/subjects/{code}/file", headers=login("bank"))
    assert file.status_code == 200, file.text
    assert file.json()["view"] == "authorized"
    log = client.get(f"/api/v1/subjects/{code}/query-log", headers=login("qiye")).json()
    assert log["items"][0]["channel"] == "authorized_file"
    check = client.post(
        "/api/v1/checks",
        json={"subject_code": code, "matter": "演示核查", "area": "审批服务"},
        headers=login("scjg"),
    )
    assert check.status_code == 200, check.text
    again = prepare(
        settings, engine, enterprises=60, records=400, persons=5, console=Console(quiet=True)
    )
    assert {a.username for a in again} == set(passwords)


def test_demo_checks_read_the_grade_that_scores_show(tmp_path):
    """The demo evaluates every published model in batch, so a check reads a stored grade and
    it is the one ``/scores`` computes online — not 暂无评价结果 beside 中等 720."""
    settings = Settings(data_dir=tmp_path, secret_key="demo-test-secret")
    engine = make_engine(settings.resolved_database_url)
    made = prepare(
        settings, engine, enterprises=60, records=400, persons=5, console=Console(quiet=True)
    )
    passwords = {a.username: a.password for a in made}
    with unit_of_work(engine) as s:
        code = s.get_one(
            Subject, s.scalar(select(User.subject_id).where(User.username == "qiye"))
        ).code
        runs = s.scalars(select(ScoreRun).where(ScoreRun.actor == "demo")).all()
    with unit_of_work(engine) as s:
        published = published_scorecards(s, default_catalog(), load_all(default_catalog()))
    assert {r.model_id for r in runs} == set(published)
    assert all(r.status == "completed" and r.as_of == clock.today() for r in runs)
    client = TestClient(create_app(settings, engine=engine))
    token = client.post(
        "/api/v1/auth/token", json={"username": "scjg", "password": passwords["scjg"]}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}

    check = client.post(
        "/api/v1/checks",
        json={"subject_code": code, "matter": "演示核查", "area": "审批服务"},
        headers=headers,
    )
    scores = client.get(f"/api/v1/subjects/{code}/scores", headers=headers)

    assert check.status_code == 200, check.text
    assert scores.status_code == 200, scores.text
    assert "暂无评价结果" not in check.text
    stored = {g["model_id"]: g["grade"] for g in check.json()["grades"]}
    online = {s["model_id"]: s["grade"] for s in scores.json()["scores"]}
    assert stored["enterprise_public_credit"] == online["enterprise_public_credit"]
    assert stored.items() <= online.items()


def test_demo_run_again_the_same_day_does_not_evaluate_again(tmp_path):
    settings = Settings(data_dir=tmp_path, secret_key="demo-test-secret")
    engine = make_engine(settings.resolved_database_url)
    kwargs = {"enterprises": 30, "records": 100, "persons": 0, "console": Console(quiet=True)}
    prepare(settings, engine, **kwargs)
    with unit_of_work(engine) as s:
        first = s.scalar(select(func.count()).select_from(ScoreRun))

    prepare(settings, engine, **kwargs)

    with unit_of_work(engine) as s:
        assert s.scalar(select(func.count()).select_from(ScoreRun)) == first


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    """``xinyong demo`` reads the environment once per process: forget it around the run, and
    dispose of the engines the command opened."""
    get_settings.cache_clear()
    before = set(xinyong.db._engines)
    yield
    get_settings.cache_clear()
    for url in set(xinyong.db._engines) - before:
        xinyong.db._engines.pop(url).dispose()


def test_demo_without_serving_says_how_to_start_the_server(tmp_path, fresh_settings):
    result = CliRunner().invoke(
        app,
        ["demo", "--no-serve", "--enterprises", "60", "--records", "400", "--persons", "5"],
        env={"XINYONG_DATA_DIR": str(tmp_path), "XINYONG_DATABASE_URL": "", "COLUMNS": "200"},
    )

    assert result.exit_code == 0, result.output
    assert "查询信用档案" not in result.output, "the line printed once the server is up"
    told = result.output[result.output.index("未启动服务（--no-serve）") :]
    assert "运行 xinyong demo（数据已准备好，不会重新生成）" in told
    assert told.index("运行 xinyong demo") < told.index("http://127.0.0.1:8000")
    assert "已归集 460 条：60 条单位登记信息和 400 条信用信息" in result.output
    assert "批量评价 企业公共信用评价：" in result.output
    assert "批量评价完成" in result.output


def test_readme_quotes_the_numbers_the_demo_makes():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    demo_line = next(line for line in readme.splitlines() if "xinyong demo" in line)
    line_above = readme.splitlines()[readme.splitlines().index(demo_line) - 1]
    defaults = {p.name: p.default for p in typer.main.get_command(app).commands["demo"].params}

    def spaced(n: int) -> str:
        return f"{n:,}".replace(",", " ")

    assert (defaults["enterprises"], defaults["records"], defaults["persons"]) == (
        DEMO_ORGANISATIONS,
        DEMO_RECORDS,
        DEMO_PERSONS,
    )
    for number in (DEMO_ORGANISATIONS, DEMO_RECORDS, DEMO_ORGANISATIONS + DEMO_RECORDS):
        assert f"{spaced(number)} " in line_above, (number, line_above)
    assert f"{DEMO_PERSONS} 名自然人" in line_above
