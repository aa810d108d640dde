"""A database that cannot be reached answers 503 with Retry-After, not 500."""

from __future__ import annotations

from fastapi.testclient import TestClient

from xinyong.config import Settings
from xinyong.db import make_engine
from xinyong.http.problems import DATABASE_RETRY_AFTER_SECONDS, problem_responses
from xinyong.web.app import create_app

UNREACHABLE = {
    # Nothing listens on port 1; the file's directory does not exist.
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:1/xinyong?connect_timeout=2",
    "sqlite": "sqlite:////nonexistent-directory/xinyong.db",
}


def test_database_outage_answers_503_with_retry_after(engine, tmp_path):
    app = create_app(Settings(data_dir=tmp_path, secret_key="test-secret"), engine=engine)
    # The database goes away after start-up.
    app.state.engine = make_engine(UNREACHABLE[engine.dialect.name])
    client = TestClient(app, raise_server_exceptions=False)
    resp = client.post("/api/v1/auth/token", json={"username": "wang", "password": "x"})
    assert resp.status_code == 503, resp.text
    assert resp.headers["retry-after"] == str(DATABASE_RETRY_AFTER_SECONDS)
    assert resp.headers["content-type"].startswith("application/problem+json")
    body = resp.json()
    assert body["code"] == "service.database_unavailable"
    assert body["title"] == "数据库暂时无法访问，请稍后重试"
    app.state.engine.dispose()


def test_problem_responses_declares_503_with_retry_after():
    assert "Retry-After" in problem_responses(503)[503]["headers"]
