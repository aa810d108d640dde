"""Sync tests: a real migrated database per backend (the worker commits), cleaned after each
test, and a fake credit platform — a real HTTP server on 127.0.0.1 in a thread."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import Engine

from xinyong.db import unit_of_work
from xinyong.kit.clock import SHANGHAI
from xinyong.sync.adapters import verify_signature
from xinyong.sync.messages import Cause, Change, RecordChangeMessage, RecordRef
from xinyong.sync.models import SyncAttempt, SyncDelivery
from xinyong.sync.platforms import Platform, Platforms
from xinyong.workdays.models import HolidayOverride, HolidayYear

SECRET = b"platform-shared-secret"
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)


def repaired(record_id: int, *, subject_name: str = "示范公司") -> dict[str, Any]:
    """The payload a repair queues for ``record_id`` (an enterprise's penalty)."""
    return RecordChangeMessage.build(
        change=Change.REPAIRED,
        record=RecordRef(
            id=record_id,
            type="administrative_penalty",
            version=1,
            decision_number=f"杭西市监罚〔2025〕{record_id}号",
            decided_on=date(2025, 3, 1),
            source_department="330106-SCJG",
        ),
        subject_kind="enterprise",
        subject_code="91330106MA2KXXXX1X",
        subject_name=subject_name,
        effective_on=MONDAY.date(),
        cause=Cause(type="repair_item", id=record_id),
    ).payload()


@dataclass
class Received:
    delivery_id: int
    idempotency_key: str | None
    signature_ok: bool
    body: dict[str, Any]
    answered: int


@dataclass
class FakePlatform:
    """Answers ``mode``: "ok" (200 with a receipt), "fail" (500) or "hang" (sleeps past the
    client's timeout, then 500). Records every request and what it answered."""

    mode: str = "ok"
    hang_seconds: float = 0.5
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def accepted_ids(self) -> list[int]:
        with self.lock:
            return [r.delivery_id for r in self.requests if r.answered == 200]


def _handler(platform: FakePlatform) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            mode = platform.mode
            if mode == "hang":
                time.sleep(platform.hang_seconds)
            status = 200 if mode == "ok" else 500
            body = json.loads(raw)
            with platform.lock:
                platform.requests.append(
                    Received(
                        delivery_id=body["delivery_id"],
                        idempotency_key=self.headers.get("Idempotency-Key"),
                        signature_ok=verify_signature(
                            SECRET,
                            raw,
                            timestamp=self.headers.get("X-Xinyong-Timestamp", ""),
                            signature=self.headers.get("X-Xinyong-Signature", ""),
                            now=time.time(),
                        ),
                        body=body,
                        answered=status,
                    )
                )
            reply = json.dumps({"receipt": f"R-{body['delivery_id']}"}).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
            except OSError:
                pass  # the client gave up (timeout)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def fake_platform() -> Iterator[FakePlatform]:
    platform = FakePlatform()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(platform))
    server.daemon_threads = True
    platform.url = f"http://127.0.0.1:{server.server_address[1]}/repairs"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield platform
    server.shutdown()
    server.server_close()


def webhook_platforms(url: str, *, timeout: float = 2.0, failing_after: int = 5) -> Platforms:
    return Platforms(
        items=(
            Platform(
                id="creditchina",
                name="信用中国",
                reference="测试",
                record_types=None,
                kind="webhook",
                url=url,
                secret=SECRET,
                timeout_seconds=timeout,
            ),
        ),
        version=1,
        failing_after=failing_after,
        lease_seconds=300,
    )


def drop_platforms(directory: Path) -> Platforms:
    return Platforms(
        items=(
            Platform("hangzhou", "信用杭州", "测试", None, "file_drop", directory=directory),
            Platform(
                "gsxt",
                "国家企业信用信息公示系统",
                "测试",
                frozenset({"administrative_penalty"}),
                "file_drop",
                directory=directory / "gsxt",
            ),
        ),
        version=1,
    )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def sync_engine(request: pytest.FixtureRequest, databases: Any) -> Engine:
    return databases.migrated_engine(request.param)


@pytest.fixture
def db(sync_engine: Engine) -> Iterator[Engine]:
    """The module's database, emptied of sync and holiday rows after the test."""
    yield sync_engine
    with unit_of_work(sync_engine) as s:
        s.execute(delete(SyncAttempt))
        s.execute(delete(SyncDelivery))
        s.execute(delete(HolidayOverride))
        s.execute(delete(HolidayYear))
