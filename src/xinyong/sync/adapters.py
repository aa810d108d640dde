"""How a delivery reaches a platform: a signed HTTP webhook, or a file dropped in a directory.

Adapters do no database work; the worker sends after committing its claim and records the
``Outcome`` in a new transaction. A platform is expected to de-duplicate on the
``Idempotency-Key`` (the delivery id): after a worker is killed mid-send the delivery is sent
again, never lost.

Webhook signature (the scheme of the widely used webhook signatures, e.g. Stripe's and
Standard Webhooks'): each request carries

* ``X-Xinyong-Timestamp``: the sending time in whole Unix seconds, and
* ``X-Xinyong-Signature``: ``v1=<hex HMAC-SHA256(platform secret, timestamp + "." + body)>``.

A receiver recomputes the signature over the raw body with the timestamp as sent, compares in
constant time, and **rejects a timestamp older (or newer) than its tolerance window**
(``SIGNATURE_TOLERANCE_SECONDS``, 5 minutes, is the recommended value): a captured request
replayed later fails, and within the window the ``Idempotency-Key`` makes a replay a no-op.
``verify_signature`` below is the reference check a receiver can copy (standard library only).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import httpx

from xinyong.kit import clock
from xinyong.sync.platforms import Platform

SIGNATURE_HEADER = "X-Xinyong-Signature"
TIMESTAMP_HEADER = "X-Xinyong-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
SIGNATURE_VERSION = "v1"
# How far a receiver should let a request's timestamp lie from its own clock.
SIGNATURE_TOLERANCE_SECONDS = 300
MAX_RECEIPT_CHARS = 2000


@dataclass(frozen=True)
class Message:
    """What is sent: the delivery's identity and its payload."""

    delivery_id: int
    platform: str
    kind: str
    object_type: str
    object_id: int
    record_type: str
    payload: dict[str, Any]

    def body(self) -> bytes:
        """The JSON body, canonical (sorted keys, UTF-8) so that the signature is reproducible."""
        doc = {
            "delivery_id": self.delivery_id,
            "platform": self.platform,
            "kind": self.kind,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "record_type": self.record_type,
            "payload": self.payload,
        }
        return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Outcome:
    """The result of one attempt. ``outcome``: acknowledged | http_error | timeout | error."""

    outcome: str
    duration_ms: int
    http_status: int | None = None
    error: str | None = None
    receipt: dict[str, Any] | None = None

    @property
    def acknowledged(self) -> bool:
        return self.outcome == "acknowledged"


class Adapter(Protocol):
    def deliver(self, message: Message) -> Outcome: ...


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """``v1=<hex HMAC-SHA256 of "<timestamp>.<body>">``, the value of the signature header."""
    signed = str(timestamp).encode("ascii") + b"." + body
    return f"{SIGNATURE_VERSION}=" + hmac.new(secret, signed, hashlib.sha256).hexdigest()


def verify_signature(
    secret: bytes,
    body: bytes,
    *,
    timestamp: str,
    signature: str,
    now: float,
    tolerance: int = SIGNATURE_TOLERANCE_SECONDS,
) -> bool:
    """The receiver's check: ``signature`` (the X-Xinyong-Signature header) signs ``body``
    with ``timestamp`` (the X-Xinyong-Timestamp header), and the timestamp lies within
    ``tolerance`` seconds of ``now`` (the receiver's clock, Unix seconds). A stale timestamp
    is a replay (or a badly wrong clock) and fails even with a valid signature."""
    if not timestamp.isascii() or not timestamp.isdigit():
        return False
    sent = int(timestamp)
    if abs(now - sent) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, sent, body), signature)


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


class WebhookAdapter:
    """POST the JSON body, signed with the platform's secret; any 2xx is the acknowledgement,
    anything else (status, timeout, connection error) is a failure to retry."""

    def __init__(
        self,
        platform: Platform,
        *,
        client: httpx.Client | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        if platform.url is None or platform.secret is None:
            raise ValueError(f"platform {platform.id} is not a webhook")
        self.url = platform.url
        self.secret = platform.secret
        self.timeout = platform.timeout_seconds
        self.client = client or httpx.Client(timeout=self.timeout)
        # Looked up at each send, so that a test moving kit.clock moves the timestamp too.
        self._now = now or (lambda: clock.now())

    def deliver(self, message: Message) -> Outcome:
        """Send ``message`` once, signed with the time of this attempt (a retry is signed
        afresh, so a receiver's tolerance window never refuses a late retry)."""
        body = message.body()
        timestamp = int(self._now().timestamp())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(self.secret, timestamp, body),
            IDEMPOTENCY_HEADER: str(message.delivery_id),
        }
        started = time.monotonic()
        try:
            resp = self.client.post(self.url, content=body, headers=headers, timeout=self.timeout)
        except httpx.TimeoutException as exc:
            return Outcome("timeout", _elapsed_ms(started), error=f"超时：{exc!r}"[:500])
        except httpx.HTTPError as exc:
            return Outcome("error", _elapsed_ms(started), error=f"连接失败：{exc!r}"[:500])
        duration = _elapsed_ms(started)
        text = resp.text[:MAX_RECEIPT_CHARS]
        if 200 <= resp.status_code < 300:
            try:
                receipt: dict[str, Any] = {"status": resp.status_code, "body": resp.json()}
            except ValueError:
                receipt = {"status": resp.status_code, "text": text}
            return Outcome("acknowledged", duration, http_status=resp.status_code, receipt=receipt)
        return Outcome(
            "http_error",
            duration,
            http_status=resp.status_code,
            error=f"HTTP {resp.status_code}：{text[:300]}",
        )


class FileDropAdapter:
    """Write ``<delivery id>.json`` into the platform's directory atomically (temporary file,
    fsync, rename); the file written is the acknowledgement."""

    def __init__(self, platform: Platform) -> None:
        if platform.directory is None:
            raise ValueError(f"platform {platform.id} is not a file drop")
        self.directory: Path = platform.directory

    def deliver(self, message: Message) -> Outcome:
        """Drop ``message``; rewriting the same file on a repeat is harmless."""
        started = time.monotonic()
        target = self.directory / f"{message.delivery_id}.json"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(message.body())
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            return Outcome("error", _elapsed_ms(started), error=f"写入失败：{exc}"[:500])
        return Outcome("acknowledged", _elapsed_ms(started), receipt={"path": str(target)})


def build_adapter(platform: Platform, *, client: httpx.Client | None = None) -> Adapter:
    """The adapter of ``platform``'s kind."""
    if platform.kind == "webhook":
        return WebhookAdapter(platform, client=client)
    return FileDropAdapter(platform)
