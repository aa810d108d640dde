"""The shipped secret is public: no command that touches real data runs with it; the demo makes
its own per-installation key instead."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from rich.console import Console
from sqlalchemy import inspect
from typer.testing import CliRunner

import xinyong.db
from factories.ingest import penalty_row, write_csv
from xinyong.cli import app
from xinyong.config import DEFAULT_SECRET, SECRET_KEY_FILE, Settings, get_settings
from xinyong.console import (
    EXIT_DEFAULT_SECRET,
    OPEN_COMMANDS,
    _guard,
    demo_settings,
    require_secret_key,
)
from xinyong.db import make_engine


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str | None]]:
    """A deployment that forgot XINYONG_SECRET_KEY."""
    url = f"sqlite:///{(tmp_path / 'real.db').as_posix()}"
    get_settings.cache_clear()
    yield {
        "XINYONG_DATABASE_URL": url,
        "XINYONG_DATA_DIR": str(tmp_path),
        "XINYONG_SECRET_KEY": None,
        "COLUMNS": "200",
    }
    get_settings.cache_clear()
    cached = xinyong.db._engines.pop(url, None)
    if cached is not None:
        cached.dispose()


def _run(env: dict[str, str | None], *args: str):
    get_settings.cache_clear()
    return CliRunner().invoke(app, list(args), env=env)


def _refused(result) -> None:
    assert result.exit_code == EXIT_DEFAULT_SECRET, result.output
    assert "XINYONG_SECRET_KEY" in result.stderr
    assert "secrets.token_urlsafe(32)" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("db", "upgrade"),
        ("serve", "--port", "1"),
        ("worker", "--once"),
        ("users", "create", "wang", "--role", "admin", "--password", "x"),
        ("keys", "create", "--name", "市监局", "--role", "system"),
        ("audit", "verify"),
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_commands_on_real_data_refuse_the_shipped_secret(env, args):
    result = _run(env, *args)
    _refused(result)
    engine = make_engine(env["XINYONG_DATABASE_URL"] or "")
    assert inspect(engine).get_table_names() == []  # nothing ran: not even the migration
    engine.dispose()


def test_ingest_refuses_the_shipped_secret(env, tmp_path):
    path = write_csv(tmp_path / "penalties.csv", [penalty_row()])
    _refused(_run(env, "ingest", str(path), "--type", "administrative_penalty", "--source", "X-1"))


def test_an_empty_secret_is_refused_like_the_shipped_one(env):
    _refused(_run({**env, "XINYONG_SECRET_KEY": "  "}, "db", "upgrade"))


def test_a_configured_secret_runs(env):
    result = _run({**env, "XINYONG_SECRET_KEY": "a-real-deployment-key"}, "db", "upgrade")
    assert result.exit_code == 0, result.output


def test_help_and_definition_commands_still_work_with_the_shipped_secret(env):
    assert _run(env, "serve", "--help").exit_code == 0
    assert _run(env, "users", "--help").exit_code == 0
    # The catalog is checked against the models published in the database: one that exists.
    migrated = _run({**env, "XINYONG_SECRET_KEY": "a-real-deployment-key"}, "db", "upgrade")
    assert migrated.exit_code == 0, migrated.output
    checked = _run(env, "measures", "check")
    assert checked.exit_code == 0, checked.output


def _leaves(command, path: str) -> Iterator[tuple[str, object]]:
    commands = getattr(command, "commands", None)
    if isinstance(commands, dict):
        for name, sub in commands.items():
            yield from _leaves(sub, f"{path} {name}")
    else:
        yield path, command


def test_every_command_but_the_open_ones_is_guarded():
    root = typer.main.get_command(app)
    for name, command in root.commands.items():
        _guard(command, name)
    leaves = dict(kv for name, cmd in root.commands.items() for kv in _leaves(cmd, name))
    assert {"serve", "ingest", "worker", "db upgrade", "users create"} <= set(leaves)
    for path, command in leaves.items():
        is_open = any(path == o or path.startswith(f"{o} ") for o in OPEN_COMMANDS)
        guarded = getattr(command.callback, "refuses_default_secret", False)
        assert guarded is not is_open, path


def test_demo_makes_a_per_installation_secret_readable_by_its_owner_only(tmp_path):
    settings = demo_settings(Settings(data_dir=tmp_path), Console(quiet=True))
    key_file = tmp_path / SECRET_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert not settings.is_default_secret
    assert settings.secret_key.get_secret_value() != DEFAULT_SECRET
    # Every later command on this data directory reads the same key.
    again = Settings(data_dir=tmp_path)
    assert again.secret_key == settings.secret_key
    require_secret_key(again)
    # A second demo run keeps the key its data was hashed with.
    assert demo_settings(again, Console(quiet=True)).secret_key == settings.secret_key


def test_an_explicit_secret_wins_over_the_demo_key(tmp_path):
    demo_settings(Settings(data_dir=tmp_path), Console(quiet=True))
    explicit = Settings(data_dir=tmp_path, secret_key="from-the-environment")
    assert explicit.secret_key.get_secret_value() == "from-the-environment"


def test_demo_data_seeded_with_the_shipped_secret_keeps_it(tmp_path):
    (tmp_path / "xinyong.db").touch()
    settings = demo_settings(Settings(data_dir=tmp_path), Console(quiet=True))
    assert settings.is_default_secret
    assert not (tmp_path / SECRET_KEY_FILE).exists()
    with pytest.raises(typer.Exit) as exc:
        require_secret_key(settings)
    assert exc.value.exit_code == EXIT_DEFAULT_SECRET
