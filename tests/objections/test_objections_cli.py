"""``xinyong objections list / accept / dismiss / decide``: the reviewer's console acts as the
API does."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import xinyong.db
from objections.conftest import record_id
from objections.world import EVIDENCE, HB, SCJG, SECRET
from xinyong.cli import app
from xinyong.config import get_settings
from xinyong.db import unit_of_work
from xinyong.records.models import Record


@pytest.fixture
def cli(platform, tmp_path):
    env = {
        "XINYONG_DATABASE_URL": platform.engine.url.render_as_string(hide_password=False),
        "XINYONG_SECRET_KEY": SECRET,
        "XINYONG_DATA_DIR": str(tmp_path),
        "COLUMNS": "200",
    }
    runner = CliRunner()
    before = set(xinyong.db._engines)

    def run(*args):
        get_settings.cache_clear()
        return runner.invoke(app, ["objections", *args], env=env)

    yield run
    get_settings.cache_clear()
    for url in set(xinyong.db._engines) - before:
        xinyong.db._engines.pop(url).dispose()


def _file(platform, number):
    resp = platform.post(
        "/api/v1/objections",
        json={"record_id": record_id(platform, number), "reason": "罚款金额有误"},
        headers=platform.tokens["qiye"],
    )
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


def test_list_then_correct_from_the_console(platform, cli):
    oid = _file(platform, "西市监罚〔2026〕210号")
    listed = cli("list", "--department", SCJG, "--json")
    assert listed.exit_code == 0, listed.output
    assert oid in {o["id"] for o in json.loads(listed.stdout)}
    other = cli("list", "--department", HB, "--json")
    assert json.loads(other.stdout) == []
    done = cli(
        "decide", str(oid), "--department", SCJG, "--outcome", "corrected",
        "--set", "fine_amount=2", "--set", "CF_NR=罚款人民币贰万元", "--reason", "已核实更正",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "已更正" in done.output
    with unit_of_work(platform.engine) as s:
        record = s.get_one(Record, record_id(platform, "西市监罚〔2026〕210号"))
        assert (record.version, record.fields["fine_amount"], record.disputed) == (2, "2", False)


def test_console_refuses_another_departments_objection_and_missing_reasons(platform, cli):
    oid = _file(platform, "西市监罚〔2026〕211号")
    wrong = cli("decide", str(oid), "--department", HB, "--outcome", "upheld", "--reason", "x")
    assert wrong.exit_code == 1
    assert "objection.not_your_department" in wrong.output
    bare = cli("decide", str(oid), "--department", SCJG, "--outcome", "upheld")
    assert bare.exit_code == 1
    assert "不予更正须说明理由" in bare.output
    table = cli("list", "--department", SCJG)
    assert table.exit_code == 0
    assert "西市监罚〔2026〕211号" in table.output


def _file_as_third_party(platform, number):
    resp = platform.post(
        "/api/v1/objections",
        json={
            "record_id": record_id(platform, number),
            "reason": "该处罚已被撤销",
            "evidence": [{"filename": "复议决定书.pdf", "content_base64": EVIDENCE}],
        },
        headers=platform.tokens["bank"],
    )
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


def test_console_accepts_a_third_partys_objection_and_flags_the_record(platform, cli):
    oid = _file_as_third_party(platform, "西市监罚〔2026〕210号")
    waiting = cli("list", "--department", SCJG, "--status", "received", "--json")
    assert oid in {o["id"] for o in json.loads(waiting.stdout)}
    done = cli("accept", str(oid), "--department", SCJG, "--reason", "证据属实")
    assert done.exit_code == 0, done.output
    assert "异议处理中" in done.output and "2026-11-30" in done.output
    with unit_of_work(platform.engine) as s:
        assert s.get_one(Record, record_id(platform, "西市监罚〔2026〕210号")).disputed is True


def test_console_dismisses_only_with_reasons(platform, cli):
    oid = _file_as_third_party(platform, "西市监罚〔2026〕211号")
    bare = cli("dismiss", str(oid), "--department", SCJG)
    assert bare.exit_code != 0
    done = cli("dismiss", str(oid), "--department", SCJG, "--reason", "证据与处罚无关")
    assert done.exit_code == 0, done.output
    assert "不予受理" in done.output
    table = cli("list", "--department", SCJG, "--status", "dismissed")
    assert "西市监罚〔2026〕211号" in table.output
