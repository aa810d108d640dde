"""Security headers on every response, and the existing pages still render under the policy:
no inline script or style on the portal, and the API docs page allowed exactly its own."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from factories.accounts import make_department, make_user
from factories.records import USCC, penalty_row, push
from xinyong.config import Settings
from xinyong.http.deps import get_session
from xinyong.http.security import PAGE_POLICY, script_hashes
from xinyong.web.app import create_app

ALWAYS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


@pytest.fixture
def client(session, engine, tmp_path) -> TestClient:
    department = make_department(session)
    push(session, department.code, [penalty_row()])
    settings = Settings(
        data_dir=tmp_path, secret_key="test-ingest-secret", static_max_age_seconds=600
    )
    app: FastAPI = create_app(settings, engine=engine)

    def session_dep() -> Iterator:
        yield session

    app.dependency_overrides[get_session] = session_dep
    return TestClient(app)


def _directives(csp: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in csp.split("; ")}


def _assert_hardened(resp) -> None:
    for name, value in ALWAYS.items():
        assert resp.headers[name] == value, name
    assert "frame-ancestors 'none'" in resp.headers["content-security-policy"]


@pytest.mark.parametrize(
    "path", ["/", f"/subjects/{USCC}", "/subjects/nope", "/api/v1/subjects?q=测试"]
)
def test_pages_and_api_answers_are_hardened_and_not_cached(client, path):
    resp = client.get(path)
    assert resp.status_code in (200, 422), resp.text
    _assert_hardened(resp)
    assert resp.headers["content-security-policy"] == PAGE_POLICY
    assert resp.headers["cache-control"] == "no-store"


def test_page_policy_forbids_inline_scripts_and_framing():
    directives = _directives(PAGE_POLICY)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]


@pytest.mark.parametrize("path", ["/", f"/subjects/{USCC}", "/subjects/nope"])
def test_portal_pages_need_nothing_the_policy_forbids(client, path):
    html = client.get(path).text
    assert "<h1" in html  # the page rendered
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None, "inline script"
    assert "<style" not in html and " style=" not in html, "inline style"
    assert re.search(r"\son[a-z]+=", html) is None, "inline event handler"
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert url.startswith("/"), f"{url} is not from this origin"


def test_authenticated_responses_are_never_cached(client, session):
    make_user(session, username="wang")
    token = client.post(
        "/api/v1/auth/token", json={"username": "wang", "password": "correct-horse-battery"}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/auth/me", headers=headers).headers["cache-control"] == "no-store"
    static = client.get("/static/site.css", headers=headers)
    assert static.headers["cache-control"] == "no-store"


def test_public_static_assets_may_be_cached(client):
    resp = client.get("/static/site.css")
    assert resp.status_code == 200
    _assert_hardened(resp)
    assert resp.headers["cache-control"] == "public, max-age=600"


def test_api_docs_page_is_allowed_its_own_scripts_only(client):
    resp = client.get("/api/v1/docs")
    assert resp.status_code == 200
    _assert_hardened(resp)
    directives = _directives(resp.headers["content-security-policy"])
    inline = script_hashes(resp.text)
    assert inline, "the docs page starts Swagger UI with an inline script"
    assert set(inline) <= set(directives["script-src"])
    assert "'unsafe-inline'" not in directives["script-src"]
    for url in re.findall(r'<script src="([^"]+)"', resp.text):
        assert any(url.startswith(s) for s in directives["script-src"] if s.startswith("http"))
    for url in re.findall(r'<link [^>]*href="([^"]+)"', resp.text):
        allowed = directives["style-src"] + directives["img-src"]
        assert any(url.startswith(s) for s in allowed if s.startswith("http")), url
    assert client.get("/api/v1/openapi.json").headers["cache-control"] == "no-store"


def test_api_docs_policy_follows_the_root_path(session, engine, tmp_path):
    app = create_app(Settings(data_dir=tmp_path, secret_key="k"), engine=engine)
    resp = TestClient(app, root_path="/xinyong").get("/api/v1/docs")
    csp = _directives(resp.headers["content-security-policy"])
    assert set(script_hashes(resp.text)) <= set(csp["script-src"])
