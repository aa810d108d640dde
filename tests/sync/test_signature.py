"""Webhook signatures carry a signed timestamp, so a receiver can tell a replay from a send."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from xinyong.kit import clock
from xinyong.kit.clock import SHANGHAI
from xinyong.sync.adapters import (
    SIGNATURE_HEADER,
    SIGNATURE_TOLERANCE_SECONDS,
    TIMESTAMP_HEADER,
    Message,
    WebhookAdapter,
    sign,
    verify_signature,
)
from xinyong.sync.platforms import Platform

SECRET = b"platform-shared-secret"
SENT_AT = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)


def _platform() -> Platform:
    return Platform(
        id="creditchina",
        name="信用中国",
        reference="测试",
        record_types=None,
        kind="webhook",
        url="https://platform.example/repairs",
        secret=SECRET,
        timeout_seconds=2.0,
    )


def _message() -> Message:
    return Message(
        delivery_id=7,
        platform="creditchina",
        kind="repair_result",
        object_type="repair_application",
        object_id=42,
        record_type="administrative_penalty",
        payload={"subject_name": "示范公司"},
    )


class Captured:
    """The receiving side: an httpx transport that keeps each request and answers 200."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, json={"receipt": "R-7"})


def _send(monkeypatch) -> httpx.Request:
    captured = Captured()
    monkeypatch.setattr(clock, "now", lambda: SENT_AT)
    adapter = WebhookAdapter(
        _platform(), client=httpx.Client(transport=httpx.MockTransport(captured))
    )
    assert adapter.deliver(_message()).acknowledged
    [request] = captured.requests
    return request


def _verify(request: httpx.Request, *, received_at: datetime) -> bool:
    return verify_signature(
        SECRET,
        request.content,
        timestamp=request.headers[TIMESTAMP_HEADER],
        signature=request.headers[SIGNATURE_HEADER],
        now=received_at.timestamp(),
    )


def test_delivery_is_signed_over_timestamp_and_body(monkeypatch):
    request = _send(monkeypatch)
    assert request.headers[TIMESTAMP_HEADER] == str(int(SENT_AT.timestamp()))
    assert request.headers[SIGNATURE_HEADER] == sign(
        SECRET, int(SENT_AT.timestamp()), request.content
    )
    assert request.headers[SIGNATURE_HEADER].startswith("v1=")


def test_fresh_delivery_verifies(monkeypatch):
    request = _send(monkeypatch)
    assert _verify(request, received_at=SENT_AT + timedelta(seconds=2))


def test_replay_after_the_tolerance_window_is_detected(monkeypatch):
    request = _send(monkeypatch)
    late = SENT_AT + timedelta(seconds=SIGNATURE_TOLERANCE_SECONDS + 1)
    assert not _verify(request, received_at=late)


def test_replay_with_a_fresh_timestamp_fails_the_signature(monkeypatch):
    """Rewriting the timestamp header to pass the window breaks the signature."""
    request = _send(monkeypatch)
    later = SENT_AT + timedelta(hours=1)
    assert not verify_signature(
        SECRET,
        request.content,
        timestamp=str(int(later.timestamp())),
        signature=request.headers[SIGNATURE_HEADER],
        now=later.timestamp(),
    )


def test_tampered_body_or_wrong_secret_or_garbage_timestamp_fails(monkeypatch):
    request = _send(monkeypatch)
    ts, sig = request.headers[TIMESTAMP_HEADER], request.headers[SIGNATURE_HEADER]
    now = SENT_AT.timestamp()
    assert not verify_signature(
        SECRET, request.content + b" ", timestamp=ts, signature=sig, now=now
    )
    assert not verify_signature(b"other", request.content, timestamp=ts, signature=sig, now=now)
    assert not verify_signature(SECRET, request.content, timestamp="-1", signature=sig, now=now)
    assert not verify_signature(SECRET, request.content, timestamp="", signature=sig, now=now)
