"""Logging in through the whole app: the token endpoint on kit.clock, throttling and lockout,
logout, token revocation, password change, deactivation."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories.accounts import PASSWORD, make_api_key, make_user
from xinyong.accounts.models import Role, User
from xinyong.audit.models import AuditEntry
from xinyong.config import Settings
from xinyong.db import unit_of_work
from xinyong.http.deps import get_session
from xinyong.kit import clock
from xinyong.kit.clock import SHANGHAI
from xinyong.web.app import create_app

TOKEN = "/api/v1/auth/token"
ME = "/api/v1/auth/me"
LOGOUT = "/api/v1/auth/logout"
REVOKE_ALL = "/api/v1/auth/tokens/revoke"
PASSWORD_URL = "/api/v1/auth/password"
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


# Through the real request transaction (each request commits), on a database of its own ------


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def committed(request, databases, tmp_path_factory) -> Iterator[tuple[FastAPI, object]]:
    """The app exactly as served: SessionDep commits each request (and a refused login's
    count), so the database is this module's own."""
    engine = databases.migrated_engine(request.param)
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("login"),
        secret_key="test-secret",
        login_failures_per_username=3,
        login_failures_per_address=10,
        login_lockout_minutes=10,
    )
    yield create_app(settings, engine=engine), engine


_addresses = itertools.count(1)


def client_from_new_address(app: FastAPI) -> TestClient:
    return TestClient(app, client=(f"10.1.{next(_addresses)}.1", 5000))


def committed_user(engine, **overrides) -> str:
    with unit_of_work(engine) as s:
        return make_user(s, **overrides).username


def test_login_locked_after_repeated_failures(committed):
    app, engine = committed
    username = committed_user(engine)
    client = client_from_new_address(app)
    statuses = [login(client, username, "wrong-password").status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    locked = login(client, username)  # the right password waits too
    assert locked.status_code == 429
    assert locked.headers["content-type"].startswith("application/problem+json")
    assert 0 < int(locked.headers["retry-after"]) <= 600
    body = locked.json()
    assert (body["code"], body["title"]) == ("auth.login_locked", "登录失败次数过多，已暂时锁定")
    with unit_of_work(engine) as s:
        actions = s.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("auth.login_%"))
        ).all()
    assert actions.count("auth.login_locked") >= 1


def test_unknown_and_known_usernames_get_the_same_http_answers(committed):
    app, engine = committed
    known = committed_user(engine)

    def answers(username: str) -> list[tuple[int, str, int | None]]:
        client = client_from_new_address(app)
        out = []
        for _ in range(4):
            resp = login(client, username, "wrong-password")
            wait = resp.headers.get("retry-after")
            out.append((resp.status_code, resp.json()["code"], None if wait is None else int(wait)))
        return out

    known_answers, unknown_answers = answers(known), answers(f"no-such-user-{known}")
    # The same answers, but for the seconds that pass between the two runs on a busy machine.
    assert [a[:2] for a in known_answers] == [a[:2] for a in unknown_answers]
    for (*_, known_wait), (*_, unknown_wait) in zip(known_answers, unknown_answers, strict=True):
        assert (known_wait is None) == (unknown_wait is None)
        assert known_wait is None or abs(known_wait - (unknown_wait or 0)) <= 2


def test_logout_revokes_the_presented_token_only(committed):
    app, engine = committed
    username = committed_user(engine)
    client = client_from_new_address(app)
    first, second = bearer(login(client, username)), bearer(login(client, username))
    assert client.post(LOGOUT, headers=first).status_code == 204
    assert client.get(ME, headers=first).json()["code"] == "auth.invalid_token"
    assert client.get(ME, headers=second).status_code == 200
    assert client.post(LOGOUT).status_code == 401


def test_revoke_all_my_tokens(committed):
    app, engine = committed
    username = committed_user(engine)
    client = client_from_new_address(app)
    tokens = [bearer(login(client, username)) for _ in range(3)]
    resp = client.post(REVOKE_ALL, headers=tokens[0])
    assert resp.json() == {"revoked_tokens": 3}
    assert all(client.get(ME, headers=t).status_code == 401 for t in tokens)


def test_password_change_needs_the_old_password_and_signs_out_other_devices(committed):
    app, engine = committed
    username = committed_user(engine)
    client = client_from_new_address(app)
    here, elsewhere = bearer(login(client, username)), bearer(login(client, username))
    new = "a-new-Passphrase-2031"
    wrong = client.post(
        PASSWORD_URL, headers=here, json={"old_password": "guess", "new_password": new}
    )
    assert wrong.status_code == 422
    assert [(e["field"], e["code"]) for e in wrong.json()["errors"]] == [
        ("old_password", "accounts.wrong_password")
    ]
    weak = client.post(
        PASSWORD_URL, headers=here, json={"old_password": PASSWORD, "new_password": "12345678"}
    )
    assert weak.status_code == 422
    assert weak.json()["errors"][0]["field"] == "new_password"
    done = client.post(
        PASSWORD_URL, headers=here, json={"old_password": PASSWORD, "new_password": new}
    )
    assert done.json() == {"revoked_tokens": 1}
    assert client.get(ME, headers=here).status_code == 200
    assert client.get(ME, headers=elsewhere).status_code == 401
    assert login(client, username).status_code == 401
    assert login(client, username, new).status_code == 200


def test_admin_deactivation_stops_tokens_and_owned_keys_at_once(committed):
    app, engine = committed
    admin = committed_user(engine, role=Role.ADMIN)
    username = committed_user(engine)
    with unit_of_work(engine) as s:
        owner = s.scalar(select(User).where(User.username == username))
        plain, _ = make_api_key(s, owner_user_id=owner.id, secret="test-secret")
    client = client_from_new_address(app)
    theirs = bearer(login(client, username))
    mine = bearer(login(client, admin))
    key = {"X-API-Key": plain}
    assert client.get(ME, headers=key).status_code == 200

    resp = client.post(
        f"/api/v1/users/{username}/deactivate", headers=mine, json={"reason": "离职"}
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["active"] is False
    assert client.get(ME, headers=theirs).status_code == 401
    assert client.get(ME, headers=key).json()["code"] == "auth.invalid_api_key"
    assert login(client, username).status_code == 401

    assert client.post(f"/api/v1/users/{username}/reactivate", headers=mine).status_code == 200
    assert client.get(ME, headers=theirs).status_code == 401  # old tokens stay revoked
    assert client.get(ME, headers=key).status_code == 200
    assert login(client, username).status_code == 200
    with unit_of_work(engine) as s:
        actions = set(s.scalars(select(AuditEntry.action)))
    assert {"user.deactivate", "user.reactivate"} <= actions


def test_only_an_admin_deactivates_and_not_themself(committed):
    app, engine = committed
    admin = committed_user(engine, role=Role.ADMIN)
    username = committed_user(engine)
    client = client_from_new_address(app)
    theirs, mine = bearer(login(client, username)), bearer(login(client, admin))
    refused = client.post(f"/api/v1/users/{admin}/deactivate", headers=theirs)
    assert (refused.status_code, refused.json()["code"]) == (403, "accounts.admin_required")
    self_ = client.post(f"/api/v1/users/{admin}/deactivate", headers=mine)
    assert (self_.status_code, self_.json()["code"]) == (409, "accounts.cannot_deactivate_self")
    unknown = client.post("/api/v1/users/nobody-at-all/deactivate", headers=mine)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "accounts.unknown_user")


def test_an_api_key_cannot_log_out(committed):
    app, engine = committed
    with unit_of_work(engine) as s:
        plain, _ = make_api_key(s, secret="test-secret")
    client = client_from_new_address(app)
    resp = client.post(LOGOUT, headers={"X-API-Key": plain})
    assert (resp.status_code, resp.json()["code"]) == (403, "auth.user_required")
