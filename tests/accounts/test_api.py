from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from sqlalchemy import select

from factories.accounts import NOW, PASSWORD, SECRET, make_user
from xinyong.accounts import service
from xinyong.accounts.api import build_router
from xinyong.accounts.principal import Principal
from xinyong.audit import service as audit
from xinyong.audit.models import AuditEntry
from xinyong.config import Settings
from xinyong.errors import XinyongError


@pytest.fixture
def client(session) -> Iterator[TestClient]:
    settings = Settings(secret_key=SECRET, token_ttl_minutes=60)

    def session_dep():
        yield session

    def principal_dep(request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        bearer = header.removeprefix("Bearer ") if header.startswith("Bearer ") else None
        return service.resolve_principal(
            session, bearer=bearer, api_key=None, secret=SECRET, now=NOW
        )

    app = FastAPI()

    @app.exception_handler(XinyongError)
    def _problem(_request, exc: XinyongError):
        return JSONResponse(
            exc.problem(), status_code=exc.status, media_type="application/problem+json"
        )

    app.include_router(
        build_router(
            session_dep,
            settings_dep=lambda: settings,
            principal_dep=principal_dep,
            clock=lambda: NOW,
        )
    )
    with TestClient(app) as c:
        yield c


def test_token_issued_for_json_credentials(client, session):
    user = make_user(session, username="wang")
    resp = client.post("/auth/token", json={"username": "wang", "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["token_type"] == "bearer"
    assert body["expires_at"].startswith("2025-06-30T03:00:00")
    principal = service.resolve_principal(
        session, bearer=body["access_token"], api_key=None, secret=SECRET, now=NOW
    )
    assert principal.id == user.id


def test_token_issued_for_oauth2_form(client, session):
    make_user(session, username="li")
    resp = client.post(
        "/auth/token", data={"username": "li", "password": PASSWORD, "grant_type": "password"}
    )
    assert resp.status_code == 200, resp.text
    me = client.get("/auth/me", headers={"Authorization": f"Bearer {resp.json()['access_token']}"})
    assert me.json()["kind"] == "user"


def test_token_issue_writes_audit_row(client, session):
    user = make_user(session, username="zhao")
    client.post("/auth/token", json={"username": "zhao", "password": PASSWORD})
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "auth.token_issue")).one()
    assert (entry.actor, entry.object_type, entry.object_id) == (
        f"user:{user.id}",
        "user",
        str(user.id),
    )
    assert audit.verify(session) == []


def test_wrong_password_is_401_problem(client, session):
    make_user(session, username="qian")
    resp = client.post("/auth/token", json={"username": "qian", "password": "wrong-password"})
    assert resp.status_code == 401
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["code"] == "auth.invalid_credentials"
    assert resp.json()["title"] == "用户名或密码错误"


def test_missing_password_is_422_naming_field(client):
    resp = client.post("/auth/token", json={"username": "sun"})
    assert resp.status_code == 422
    assert [e["field"] for e in resp.json()["errors"]] == ["password"]


def test_other_media_type_is_415(client):
    resp = client.post("/auth/token", content=b"username=x", headers={"content-type": "text/plain"})
    assert resp.status_code == 415


def test_malformed_json_is_400(client):
    resp = client.post(
        "/auth/token", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert resp.status_code == 400
    assert resp.json()["code"] == "request.invalid_json"


def test_openapi_documents_json_and_form_bodies(client):
    spec = client.get("/openapi.json").json()
    content = spec["paths"]["/auth/token"]["post"]["requestBody"]["content"]
    assert {"application/json", "application/x-www-form-urlencoded"} <= set(content)


def test_expired_token_me_is_401(client, session):
    user = make_user(session)
    token, _ = service.issue_token(
        session, user=user, now=NOW - timedelta(days=1), ttl=timedelta(hours=1)
    )
    resp = client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401
    assert resp.json()["code"] == "auth.token_expired"
