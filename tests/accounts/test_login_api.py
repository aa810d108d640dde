"""Logging in through the whole app: the token endpoint on kit.clock, throttling and lockout,
logout, token revocation, password change, deactivation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories.accounts import PASSWORD, make_user
from xinyong.config import Settings
from xinyong.http.deps import get_session
from xinyong.kit import clock
from xinyong.kit.clock import SHANGHAI
from xinyong.web.app import create_app

TOKEN = "/api/v1/auth/token"
ME = "/api/v1/auth/me"
MOVED = datetime(2031, 5, 6, 9, 30, tzinfo=SHANGHAI)


def build_app(session: Session, engine, data_dir: Path, **settings) -> FastAPI:
    """The real app on the test's session (rolled back after the test)."""
    values = {"data_dir": data_dir, "secret_key": "test-secret", "token_ttl_minutes": 60}
    app = create_app(Settings(**{**values, **settings}), engine=engine)

    def session_dep() -> Iterator[Session]:
        yield session

    app.dependency_overrides[get_session] = session_dep
    return app


@pytest.fixture
def app(session, engine, tmp_path) -> FastAPI:
    return build_app(session, engine, tmp_path)


def login(client: TestClient, username: str, password: str = PASSWORD):
    return client.post(TOKEN, json={"username": username, "password": password})


def bearer(resp) -> dict[str, str]:
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def test_token_endpoint_reads_kit_clock_so_a_moved_clock_can_log_in(app, session, monkeypatch):
    make_user(session, username="wang")
    client = TestClient(app)
    # The clock moves after the app was built, as the workflow tests do.
    monkeypatch.setattr(clock, "now", lambda: MOVED)
    resp = login(client, "wang")
    expires = datetime.fromisoformat(resp.json()["expires_at"])
    assert expires == MOVED + timedelta(minutes=60)
    assert client.get(ME, headers=bearer(resp)).status_code == 200
