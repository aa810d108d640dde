"""Request bodies past ``max_request_body_bytes`` are answered 413 with problem details: a
declared length is refused before a byte is read, and the bytes themselves are counted, so a
chunked body or one longer than it declared is refused too."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from factories.accounts import make_api_key, make_department
from factories.records import penalty_row
from xinyong.config import Settings
from xinyong.http.deps import get_session
from xinyong.web.app import create_app

BATCH = "/api/v1/records:batch"
LIMIT = 4096


def make_app(session, engine, tmp_path, **settings: Any) -> FastAPI:
    app = create_app(
        Settings(data_dir=tmp_path, secret_key="test-secret", **settings), engine=engine
    )

    def session_dep() -> Iterator:
        yield session

    app.dependency_overrides[get_session] = session_dep
    return app


@pytest.fixture
def app(session, engine, tmp_path) -> FastAPI:
    return make_app(session, engine, tmp_path, max_request_body_bytes=LIMIT)


def body_of(size: int) -> bytes:
    """A JSON record batch of at least ``size`` bytes."""
    rows = []
    text = b""
    while len(text) < size:
        rows.append(penalty_row())
        text = json.dumps({"type": "administrative_penalty", "rows": rows}).encode()
    return text


def assert_too_large(status: int, body: dict[str, Any]) -> None:
    assert status == 413
    assert (body["status"], body["code"]) == (413, "request.too_large")
    assert body["title"] == "请求体超过 0.00390625 MB 的上限，未予处理：请分批提交"
    assert body["errors"] == [
        {"field": "body", "code": "request.too_large", "message": body["title"]}
    ]


def test_body_past_the_limit_is_refused_with_413_problem_details(app):
    resp = TestClient(app).post(
        BATCH, content=body_of(LIMIT + 1), headers={"Content-Type": "application/json"}
    )
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert_too_large(resp.status_code, resp.json())


def test_chunked_body_without_a_length_is_counted(app):
    body = body_of(3 * LIMIT)

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(body), 1000):
            yield body[i : i + 1000]

    resp = TestClient(app).post(
        BATCH, content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in resp.request.headers
    assert_too_large(resp.status_code, resp.json())


def call(app: FastAPI, headers: list[tuple[bytes, bytes]], parts: list[bytes]) -> tuple[int, Any]:
    """Drive the ASGI app with ``parts`` as the body, whatever ``headers`` declare."""
    sent: list[dict[str, Any]] = []
    pending = [
        {"type": "http.request", "body": p, "more_body": i < len(parts) - 1}
        for i, p in enumerate(parts)
    ]

    async def receive() -> dict[str, Any]:
        assert pending, "read past the body given, or a body refused by its declared length"
        return pending.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": BATCH,
        "raw_path": BATCH.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    [start] = [m for m in sent if m["type"] == "http.response.start"]
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], json.loads(body)


def test_body_longer_than_its_declared_length_is_counted(app):
    body = body_of(3 * LIMIT)
    parts = [body[i : i + 1000] for i in range(0, len(body), 1000)]
    assert_too_large(*call(app, [(b"content-length", b"100")], parts))


def test_declared_length_past_the_limit_is_refused_before_the_body_is_read(app):
    huge = str(190 * 1024 * 1024).encode()
    assert_too_large(*call(app, [(b"content-length", huge)], []))


def test_body_within_the_limit_reaches_the_route(app):
    resp = TestClient(app).post(BATCH, content=body_of(LIMIT // 2)[: LIMIT // 2])
    assert resp.status_code == 422  # cut JSON: the route's own answer, not the limit's
    assert resp.json()["code"] == "request.invalid"
    resp = TestClient(app).post(BATCH, json={"type": "administrative_penalty", "rows": []})
    assert (resp.status_code, resp.json()["code"]) == (401, "auth.required")


def test_default_limit_fits_a_full_api_batch():
    default = Settings.model_fields["max_request_body_bytes"].default
    assert default == 32 * 1024 * 1024
    assert len(body_of(1)) * 5000 < default


def test_record_batch_applies_the_configured_cell_limit(session, engine, tmp_path):
    app = make_app(session, engine, tmp_path, ingest_max_field_chars=50)
    department = make_department(session)
    key, _ = make_api_key(session, department_code=department.code)
    rows = [penalty_row(), penalty_row(CF_NR="罚款" * 40)]
    resp = TestClient(app).post(
        BATCH,
        json={"type": "administrative_penalty", "rows": rows},
        headers={"X-API-Key": key},
    )
    assert resp.status_code == 200, resp.text
    report = resp.json()
    assert (report["status"], report["stop"], report["accepted"]) == ("completed", None, 1)
    assert report["rejects"] == [
        {
            "row": 2,
            "field": "penalty_content",
            "code": "value.too_long",
            "message": "处罚内容超过50个字符",
        }
    ]


def test_the_default_upload_allowances_fit_the_default_request_limit():
    """Files travel base64-encoded (4 bytes per 3): a whole allowance sent at once must pass."""
    defaults = Settings(secret_key="k")
    largest = max(
        defaults.objection_evidence_max_total_bytes, defaults.repair_proof_max_total_bytes
    )
    assert largest * 4 // 3 + 1024 * 1024 <= defaults.max_request_body_bytes
