"""``xinyong holidays``, ``xinyong sync`` and ``xinyong worker`` in-process on a migrated
SQLite database selected through the environment (the services are tested on both engines)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import pytest
from typer.testing import CliRunner

import xinyong.db
from sync.conftest import repaired
from xinyong.audit import heads
from xinyong.audit import service as audit
from xinyong.cli import app
from xinyong.config import get_settings
from xinyong.db import unit_of_work
from xinyong.kit import clock
from xinyong.sync.outbox import SyncOutbox
from xinyong.sync.platforms import load_platforms


@pytest.fixture
def cli(databases, tmp_path) -> Iterator:
    engine = databases.migrated_engine("sqlite")
    url = engine.url.render_as_string(hide_password=False)
    env = {
        "XINYONG_DATABASE_URL": url,
        "XINYONG_DATA_DIR": str(tmp_path),
        "XINYONG_SECRET_KEY": "sync-cli-test-secret",
        "COLUMNS": "200",
    }
    runner = CliRunner()
    before = set(xinyong.db._engines)

    def run(*args: str):
        get_settings.cache_clear()
        result = runner.invoke(app, list(args), env=env)
        assert result.exit_code == 0, (result.stdout, result.exception)
        return result

    run.engine = engine
    run.data_dir = tmp_path
    yield run
    get_settings.cache_clear()
    for u in set(xinyong.db._engines) - before:
        xinyong.db._engines.pop(u).dispose()


def test_holidays_commands(cli):
    cli("holidays", "set", "2027-01-01", "--holiday", "--name", "元旦", "--by", "张三")
    cli("holidays", "complete-year", "2027", "--note", "通知")
    listed = json.loads(cli("holidays", "list", "--year", "2027", "--json").stdout)
    assert listed["completed"] is True
    assert [(d["day"], d["set_by"]) for d in listed["days"]] == [("2027-01-01", "console:张三")]
    assert "2027-01-05" in cli("holidays", "deadline", "2026-12-30", "3").stdout
    cli("holidays", "remove", "2027-01-01")
    assert json.loads(cli("holidays", "list", "--year", "2027", "--json").stdout)["days"] == []


def test_worker_once_delivers_and_sync_lists(cli):
    platforms = load_platforms(get_settings().model_copy(update={"data_dir": cli.data_dir}))
    with unit_of_work(cli.engine) as s:
        SyncOutbox(platforms).enqueue(
            s,
            kind="repair",
            object_type="record",
            object_id=9,
            payload=repaired(9),
            record_type="administrative_penalty",
            now=datetime(2026, 3, 2, 9, tzinfo=clock.SHANGHAI),
            sector="market_regulation",
        )
    assert "本轮处理 4 个" in cli("worker", "--once").stdout
    rows = json.loads(cli("sync", "deliveries", "--json").stdout)
    assert {r["status"] for r in rows} == {"acknowledged"}
    assert sorted(p.name for p in (cli.data_dir / "sync").iterdir()) == [
        "creditchina",
        "gsxt",
        "hangzhou",
        "zhejiang",
    ]
    assert "信用中国" in cli("sync", "platforms").stdout
    assert "本轮处理 0 个" in cli("sync", "worker", "--once").stdout


def test_worker_signs_a_head_of_the_audit_chain_when_due(cli):
    cli("holidays", "set", "2027-01-01", "--holiday", "--name", "元旦", "--by", "张三")
    assert "签名摘要 #1" in cli("worker", "--once").stdout
    with unit_of_work(cli.engine) as s:
        [head] = heads.database_heads(s)
        assert head.entry_id == audit.count_entries(s)
    assert [h.id for h in heads.read_file(heads.head_file(cli.data_dir))[0]] == [1]
    # The next pass is within the interval (XINYONG_AUDIT_HEAD_INTERVAL_MINUTES): no new head.
    cli("holidays", "remove", "2027-01-01")
    assert "签名摘要" not in cli("worker", "--once").stdout
