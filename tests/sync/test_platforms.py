"""Platform definitions: the shipped file, validation, secrets; the workflow's backoff."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from xinyong.config import Settings
from xinyong.sync.errors import AlreadyAcknowledged, NowSending, PlatformsError
from xinyong.sync.platforms import load_platforms
from xinyong.sync.workflow import DELIVERY, DeliveryAction, DeliveryStatus, after_failure, backoff

WEBHOOK = """
version: 1
platforms:
  - id: creditchina
    name: 信用中国
    reference: 测试
    adapter: {kind: webhook, url: "https://example.invalid/hook", secret_env: XY_TEST_SECRET}
"""


def test_shipped_platforms_drop_files_under_the_data_dir(tmp_path):
    platforms = load_platforms(Settings(data_dir=tmp_path))
    assert [p.name for p in platforms.items] == [
        "信用中国",
        "信用浙江",
        "信用杭州",
        "国家企业信用信息公示系统",
    ]
    assert all(p.kind == "file_drop" for p in platforms.items)
    assert platforms.get("hangzhou").directory == tmp_path / "sync" / "hangzhou"
    assert [p.id for p in platforms.for_record_type("commitment_breach")] == [
        "creditchina",
        "zhejiang",
        "hangzhou",
    ]
    assert "gsxt" in [
        p.id for p in platforms.for_record_type("administrative_penalty", "market_regulation")
    ]


def test_settings_point_at_another_file_and_webhook_secret_is_required(tmp_path):
    path = tmp_path / "platforms.yaml"
    path.write_text(WEBHOOK, encoding="utf-8")
    settings = Settings(data_dir=tmp_path, sync_platforms_path=path, sync_timeout_seconds=3)
    with pytest.raises(PlatformsError) as exc:
        load_platforms(settings, secrets={})
    assert exc.value.errors[0].code == "sync.secret_missing"
    [p] = load_platforms(settings, secrets={"XY_TEST_SECRET": b"k"}).items
    assert (p.kind, p.url, p.secret, p.timeout_seconds) == (
        "webhook",
        "https://example.invalid/hook",
        b"k",
        3,
    )


@pytest.mark.parametrize(
    "text",
    [
        "version: 1\nplatforms: []\n",
        "version: 1\nplatforms:\n  - {id: a1, name: x, reference: y, adapter: {kind: ftp}}\n",
        "version: 1\nplatforms:\n"
        "  - {id: a1, name: x, reference: y, adapter: {kind: file_drop, directory: a}}\n"
        "  - {id: a1, name: z, reference: y, adapter: {kind: file_drop, directory: b}}\n",
        "version: [\n",
    ],
)
def test_bad_definitions_fail_loudly(tmp_path, text):
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlatformsError) as exc:
        load_platforms(Settings(data_dir=tmp_path), path=path)
    assert exc.value.code == "sync.invalid_platforms"


def test_backoff_doubles_from_one_minute_to_one_hour_with_jitter():
    rng = random.Random(1)
    for attempt, ceiling in [(1, 1), (2, 2), (3, 4), (6, 32), (7, 60), (50, 60)]:
        for _ in range(20):
            wait = backoff(attempt, rng=rng)
            assert timedelta(minutes=ceiling) / 2 <= wait <= timedelta(minutes=ceiling)
    assert len({backoff(3, rng=rng) for _ in range(10)}) > 1


def test_failing_after_threshold_keeps_retrying():
    assert after_failure(4, failing_after=5) == DeliveryStatus.PENDING
    assert after_failure(5, failing_after=5) == DeliveryStatus.FAILING
    assert DELIVERY.targets(DeliveryStatus.FAILING, DeliveryAction.CLAIM) == {
        DeliveryStatus.SENDING
    }


def test_a_failed_attempt_goes_back_to_pending_or_on_to_failing_as_the_worker_names():
    fail = DeliveryAction.FAIL
    assert DELIVERY.targets(DeliveryStatus.SENDING, fail) == {
        DeliveryStatus.PENDING,
        DeliveryStatus.FAILING,
    }
    assert DELIVERY.require(DeliveryStatus.SENDING, fail, to=DeliveryStatus.FAILING) == "failing"
    with pytest.raises(NowSending):
        DELIVERY.require(DeliveryStatus.SENDING, fail, to=DeliveryStatus.ACKNOWLEDGED)


def test_acknowledged_is_the_only_dead_end_and_only_the_platform_acknowledges():
    for status in DeliveryStatus:
        moves = DELIVERY.allowed_actions(status)
        assert (moves == []) == (status == DeliveryStatus.ACKNOWLEDGED), status
    assert all(
        DeliveryStatus.ACKNOWLEDGED not in DELIVERY.targets(status, action)
        for status, action in DELIVERY.pairs()
        if action != DeliveryAction.ACK
    )


def test_a_retry_is_refused_once_acknowledged_and_while_sending():
    with pytest.raises(AlreadyAcknowledged):
        DELIVERY.require(DeliveryStatus.ACKNOWLEDGED, DeliveryAction.RETRY)
    with pytest.raises(NowSending):
        DELIVERY.require(DeliveryStatus.SENDING, DeliveryAction.RETRY)


def test_gsxt_takes_only_market_regulation_penalties(tmp_path):
    platforms = load_platforms(Settings(data_dir=tmp_path, secret_key="test-secret"))
    by_sector = {
        sector: {p.id for p in platforms.for_record_type("administrative_penalty", sector)}
        for sector in ("market_regulation", "environment", None)
    }
    assert by_sector["market_regulation"] == {"creditchina", "zhejiang", "hangzhou", "gsxt"}
    assert by_sector["environment"] == by_sector[None] == {"creditchina", "zhejiang", "hangzhou"}
    assert "gsxt" not in {
        p.id for p in platforms.for_record_type("commitment_breach", "market_regulation")
    }
