from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select
from typer.testing import CliRunner

import xinyong.db
from xinyong.accounts import cli as accounts_cli
from xinyong.accounts import service
from xinyong.accounts.cli import departments_app, keys_app, users_app
from xinyong.accounts.models import ApiKey, User
from xinyong.audit.cli import audit_app
from xinyong.audit.models import AuditEntry
from xinyong.config import get_settings
from xinyong.db import make_engine, session_factory
from xinyong.migrations import upgrade

SECRET = "cli-test-secret"


@pytest.fixture
def cli_db(tmp_path: Path) -> Iterator[tuple[CliRunner, dict[str, str], object]]:
    url = f"sqlite:///{(tmp_path / 'cli.db').as_posix()}"
    engine = make_engine(url)
    upgrade(engine)
    env = {
        "XINYONG_DATABASE_URL": url,
        "XINYONG_DATA_DIR": str(tmp_path),
        "XINYONG_SECRET_KEY": SECRET,
    }
    get_settings.cache_clear()
    yield CliRunner(), env, engine
    get_settings.cache_clear()
    cached = xinyong.db._engines.pop(url, None)
    if cached is not None:
        cached.dispose()
    engine.dispose()


def _invoke(cli_db, app, args):
    runner, env, _ = cli_db
    get_settings.cache_clear()
    return runner.invoke(app, args, env=env)


def test_cli_creates_department_user_and_key_with_audit(cli_db):
    _, _, engine = cli_db
    r = _invoke(cli_db, departments_app, ["create", "330100-SCJG", "杭州市市场监督管理局"])
    assert r.exit_code == 0, r.output
    r = _invoke(
        cli_db,
        users_app,
        [
            "create",
            "wang",
            "--role",
            "department",
            "--password",
            "pass-word-1",
            "--department",
            "330100-SCJG",
        ],
    )
    assert r.exit_code == 0, r.output
    r = _invoke(
        cli_db,
        keys_app,
        [
            "create",
            "--name",
            "市监局数据推送",
            "--role",
            "department",
            "--department",
            "330100-SCJG",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert set(out) == {"key", "id", "name", "role"}
    assert out["role"] == "department" and out["key"].startswith("xy_")

    with session_factory(engine)() as s:
        principal = service.resolve_principal(
            s, bearer=None, api_key=out["key"], secret=SECRET, now=datetime.now(UTC)
        )
        assert principal.department_code == "330100-SCJG"
        assert s.scalars(select(User.username)).all() == ["wang"]
        actions = s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions == ["department.create", "user.create", "key.create"]
        assert all(out["key"] not in json.dumps(d) for d in s.scalars(select(AuditEntry.detail)))


def test_cli_key_human_output_shows_key_once(cli_db):
    r = _invoke(cli_db, keys_app, ["create", "--name", "同步", "--role", "system"])
    assert r.exit_code == 0, r.output
    assert "xy_" in r.stdout and "不会再次显示" in r.stdout


def test_cli_revokes_key(cli_db):
    _, _, engine = cli_db
    r = _invoke(cli_db, keys_app, ["create", "--name", "临时", "--role", "system", "--json"])
    key_id = json.loads(r.stdout)["id"]
    r = _invoke(cli_db, keys_app, ["revoke", str(key_id)])
    assert r.exit_code == 0, r.output
    with session_factory(engine)() as s:
        assert s.get(ApiKey, key_id).revoked_at is not None
        assert s.scalars(select(AuditEntry.action)).all()[-1] == "key.revoke"


def test_cli_revoke_unknown_key_fails(cli_db):
    r = _invoke(cli_db, keys_app, ["revoke", "999"])
    assert r.exit_code == 1
    assert "accounts.unknown_api_key" in r.output


def test_cli_department_user_without_department_is_refused(cli_db):
    _, _, engine = cli_db
    r = _invoke(
        cli_db, users_app, ["create", "li", "--role", "reviewer", "--password", "pass-word-1"]
    )
    assert r.exit_code == 1
    assert "accounts.department_required" in r.output
    with session_factory(engine)() as s:
        assert s.scalars(select(AuditEntry)).all() == []


def test_cli_subject_without_resolver_is_unknown(cli_db, monkeypatch):
    monkeypatch.setattr(accounts_cli, "SUBJECT_RESOLVERS", [])
    r = _invoke(
        cli_db,
        keys_app,
        ["create", "--name", "企业", "--role", "enterprise", "--subject", "91330100MA27XL0E2K"],
    )
    assert r.exit_code == 1
    assert "accounts.unknown_subject" in r.output


def test_cli_subject_resolved_by_registered_resolver(cli_db, monkeypatch):
    _, _, engine = cli_db
    resolvers = [lambda _s, code: None, lambda _s, code: 77 if code.startswith("9133") else None]
    monkeypatch.setattr(accounts_cli, "SUBJECT_RESOLVERS", resolvers)
    r = _invoke(
        cli_db,
        keys_app,
        [
            "create",
            "--name",
            "企业",
            "--role",
            "enterprise",
            "--subject",
            "91330100MA27XL0E2K",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    with session_factory(engine)() as s:
        assert s.get(ApiKey, json.loads(r.stdout)["id"]).subject_id == 77


def test_cli_audit_verify_ok_then_finds_tampering(cli_db):
    _, _, engine = cli_db
    for n in range(3):
        _invoke(cli_db, keys_app, ["create", "--name", f"k{n}", "--role", "system"])
    r = _invoke(cli_db, audit_app, ["verify"])
    assert r.exit_code == 0, r.output
    assert "OK" in r.stdout and "3" in r.stdout

    with engine.begin() as conn:
        conn.execute(delete(AuditEntry.__table__).where(AuditEntry.__table__.c.id == 2))
    r = _invoke(cli_db, audit_app, ["verify"])
    assert r.exit_code == 1
    assert "#3" in r.stdout and "删除" in r.stdout


def test_cli_audit_head_then_verify_finds_truncation(cli_db, tmp_path):
    _, _, engine = cli_db
    for n in range(3):
        _invoke(cli_db, keys_app, ["create", "--name", f"k{n}", "--role", "system"])
    r = _invoke(cli_db, audit_app, ["verify"])
    assert r.exit_code == 0 and "尚无签名摘要" in r.stdout, r.output
    r = _invoke(cli_db, audit_app, ["head"])
    assert r.exit_code == 0, r.output
    assert "#1" in r.stdout and (tmp_path / "audit" / "heads.jsonl").exists()
    r = _invoke(cli_db, audit_app, ["verify"])
    assert r.exit_code == 0 and "最新摘要 #1" in r.stdout, r.output

    with engine.begin() as conn:
        conn.execute(delete(AuditEntry.__table__).where(AuditEntry.__table__.c.id == 3))
    r = _invoke(cli_db, audit_app, ["verify"])
    assert r.exit_code == 1
    assert "[truncated]" in r.stdout and "截断" in r.stdout


def _user(cli_db, username: str, password: str = "pass-word-1"):
    return _invoke(
        cli_db, users_app, ["create", username, "--role", "admin", "--password", password]
    )


def test_cli_refuses_a_weak_password_with_the_reason(cli_db):
    r = _user(cli_db, "weak", "12345678")
    assert r.exit_code == 1
    assert "accounts.weak_password" in r.stderr and "不得少于10个字符" in r.stderr


def test_cli_deactivate_reactivate_revoke_tokens_and_reset_password(cli_db):
    _, _, engine = cli_db
    assert _user(cli_db, "li").exit_code == 0
    r = _invoke(cli_db, keys_app, ["create", "--name", "k", "--role", "system", "--owner", "li"])
    assert r.exit_code == 0, r.output
    now = datetime.now(UTC)
    with session_factory(engine)() as s, s.begin():
        user = s.scalar(select(User).where(User.username == "li"))
        for _ in range(2):
            service.issue_token(s, user=user, now=now, ttl=timedelta(hours=1))

    r = _invoke(cli_db, users_app, ["revoke-tokens", "li", "--by", "张三"])
    assert r.exit_code == 0 and "2 个登录令牌" in r.stdout, r.output
    r = _invoke(cli_db, users_app, ["deactivate", "li", "--reason", "离职", "--by", "张三"])
    assert r.exit_code == 0, r.output
    r = _invoke(cli_db, users_app, ["reactivate", "li", "--by", "张三"])
    assert r.exit_code == 0, r.output
    r = _invoke(cli_db, users_app, ["password", "li", "--password", "12345678"])
    assert r.exit_code == 1 and "accounts.weak_password" in r.stderr
    r = _invoke(cli_db, users_app, ["password", "li", "--password", "another-pass-2"])
    assert r.exit_code == 0, r.output
    r = _invoke(cli_db, users_app, ["deactivate", "nobody"])
    assert r.exit_code == 1 and "accounts.unknown_user" in r.stderr

    with session_factory(engine)() as s:
        user = s.scalar(select(User).where(User.username == "li"))
        assert user.active and service.verify_password(user.password_hash, "another-pass-2")
        entries = s.scalars(
            select(AuditEntry).where(AuditEntry.object_type == "user").order_by(AuditEntry.id)
        ).all()
        assert [e.action for e in entries] == [
            "user.create",
            "auth.tokens_revoke",
            "user.deactivate",
            "user.reactivate",
            "user.password_reset",
        ]
        assert entries[2].actor == "console:张三" and entries[2].detail["reason"] == "离职"
        assert entries[2].detail["stopped_api_keys"] == 1
