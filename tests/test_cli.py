"""The ``xinyong`` command end to end, on a fresh database selected through the environment."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer.main
from alembic.script import ScriptDirectory
from click.testing import Result
from fastapi.testclient import TestClient
from sqlalchemy import func, make_url, select
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

import xinyong.db
from factories.ingest import penalty_row, write_csv
from xinyong.catalog.loader import default_catalog
from xinyong.cli import app, claim_port
from xinyong.config import Settings, get_settings
from xinyong.db import make_engine, unit_of_work
from xinyong.ingest.models import Batch, QuarantinedRow
from xinyong.migrations import alembic_config
from xinyong.records.models import Record
from xinyong.web.app import create_app

SOURCE = "330100-SCJG"
SOURCE_NAME = "杭州市市场监督管理局"
SECRET = "test"
PENALTY = "administrative_penalty"
REPORT_KEYS = {"batch_id", "accepted", "updated", "unchanged", "revoked", "rejected", "rejects"}
REJECT_KEYS = {"row", "field", "code", "message"}


def _head() -> str:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() or ""


@dataclass
class Cli:
    """``xinyong`` run in-process against one database, with the environment a deployment sets."""

    url: str
    data_dir: Path
    runner: CliRunner

    @property
    def env(self) -> dict[str, str]:
        return {
            "XINYONG_DATABASE_URL": self.url,
            "XINYONG_SECRET_KEY": SECRET,
            "XINYONG_DATA_DIR": str(self.data_dir),
            # Wide enough that rich never wraps a regime name or a label across lines.
            "COLUMNS": "200",
        }

    def __call__(self, *args: str) -> Result:
        # Settings are read once per process; each invocation must see this test's environment.
        get_settings.cache_clear()
        return self.runner.invoke(app, list(args), env=self.env)

    def ok(self, *args: str) -> Result:
        result = self(*args)
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
        return result

    def json_out(self, *args: str) -> Any:
        """Run with ``--json``: exit 0 and stdout is exactly one JSON document."""
        return json.loads(self.ok(*args, "--json").stdout)

    def engine(self) -> Engine:
        """The engine the commands use (cached by ``xinyong.db``), for checking what they stored."""
        return xinyong.db.get_engine(Settings(database_url=self.url, data_dir=self.data_dir))

    def count(self, model: type) -> int:
        with unit_of_work(self.engine()) as s:
            return s.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture(autouse=True)
def _fresh_process_caches() -> Iterator[None]:
    """Forget cached settings and dispose of the engines the commands opened during the test;
    engines cached before the test (other modules' apps) are left alone."""
    get_settings.cache_clear()
    before = set(xinyong.db._engines)
    yield
    get_settings.cache_clear()
    for url in set(xinyong.db._engines) - before:
        xinyong.db._engines.pop(url).dispose()


def _cli(databases: Any, backend: str, tmp_path: Path, *, migrated: bool) -> Cli:
    if migrated:
        engine = databases.migrated_engine(backend)
        engine.dispose()  # the commands open their own; keep no idle connection behind
        url = engine.url.render_as_string(hide_password=False)
    else:
        url = databases.fresh_url(backend)
    return Cli(url=url, data_dir=tmp_path, runner=CliRunner())


@pytest.fixture(params=["sqlite", "postgresql"])
def empty(request: pytest.FixtureRequest, databases: Any, tmp_path: Path) -> Cli:
    """The CLI on an empty (unmigrated) database."""
    return _cli(databases, request.param, tmp_path, migrated=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def cli(request: pytest.FixtureRequest, databases: Any, tmp_path: Path) -> Cli:
    """The CLI on a migrated database where the 市场监管 department is registered (by the CLI)."""
    c = _cli(databases, request.param, tmp_path, migrated=True)
    c.ok("departments", "create", SOURCE, SOURCE_NAME, "--sector", "market_regulation")
    return c


@pytest.fixture
def sqlite_cli(databases: Any, tmp_path: Path) -> Cli:
    """The same on SQLite only, for error paths that do not depend on the backend."""
    c = _cli(databases, "sqlite", tmp_path, migrated=True)
    c.ok("departments", "create", SOURCE, SOURCE_NAME, "--sector", "market_regulation")
    return c


@pytest.fixture
def penalties(tmp_path: Path) -> Path:
    """Two valid 行政处罚 rows and one whose 处罚决定日期 does not exist (CSV row 4)."""
    return write_csv(
        tmp_path / "penalties.csv",
        [penalty_row(), penalty_row(), penalty_row(CF_JDRQ="2024-02-30")],
    )


def _ingest(cli: Cli, path: Path, *extra: str, record_type: str = PENALTY) -> Result:
    return cli("ingest", str(path), "--type", record_type, "--source", SOURCE, *extra)


def _problem(result: Result) -> dict[str, Any]:
    """A failed ``--json`` run: exit 1 and stdout is exactly one problem object."""
    assert result.exit_code == 1, (result.stdout, result.stderr, result.exception)
    # Exit 1 is also what an uncaught exception gives; a problem report is a typer.Exit.
    assert not isinstance(result.exception, Exception), repr(result.exception)
    problem = json.loads(result.stdout)
    assert isinstance(problem, dict)
    return problem


class TestDb:
    def test_upgrade_then_current_prints_the_head_revision(self, empty: Cli) -> None:
        head = _head()
        assert empty.ok("db", "current").stdout.strip() == "（空数据库）"

        upgraded = empty.ok("db", "upgrade")
        assert head in upgraded.stdout

        assert empty.ok("db", "current").stdout.strip() == head

    def test_upgrade_does_not_print_the_database_password(
        self, databases: Any, tmp_path: Path
    ) -> None:
        # The local PostgreSQL trusts 127.0.0.1, so any password connects.
        url = make_url(databases.fresh_url("postgresql")).set(password="s3cret-pw")
        cli = Cli(url.render_as_string(hide_password=False), tmp_path, CliRunner())

        result = cli.ok("db", "upgrade")

        assert "s3cret-pw" not in result.output


class TestIngest:
    def test_json_report_accepts_good_rows_and_explains_the_bad_one(
        self, cli: Cli, penalties: Path
    ) -> None:
        result = _ingest(cli, penalties, "--json")
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
        report = json.loads(result.stdout)  # the whole of stdout is one JSON object

        assert set(report) >= REPORT_KEYS
        assert isinstance(report["batch_id"], int)
        assert (report["accepted"], report["updated"], report["unchanged"]) == (2, 0, 0)
        assert (report["revoked"], report["rejected"]) == (0, 1)
        assert report["rejects"], "a rejected row comes with its reasons"
        for reject in report["rejects"]:
            assert set(reject) == REJECT_KEYS
        assert [(r["row"], r["field"], r["code"]) for r in report["rejects"]] == [
            (4, "decision_date", "date.invalid")
        ]
        assert "处罚决定日期" in report["rejects"][0]["message"]
        assert cli.count(Record) == 2

    def test_same_file_again_is_all_unchanged(self, cli: Cli, penalties: Path) -> None:
        first = json.loads(_ingest(cli, penalties, "--json").stdout)

        again = json.loads(_ingest(cli, penalties, "--json").stdout)

        assert again["batch_id"] != first["batch_id"]
        assert (again["accepted"], again["updated"], again["unchanged"]) == (0, 0, 2)
        assert (again["revoked"], again["rejected"]) == (0, 1)
        assert cli.count(Record) == 2

    def test_human_output_names_the_batch_and_the_reasons_in_chinese(
        self, sqlite_cli: Cli, penalties: Path
    ) -> None:
        result = _ingest(sqlite_cli, penalties)
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
        batch_id = sqlite_cli.count(Batch)

        assert f"批次 {batch_id}" in result.output
        assert "新增 2" in result.output
        assert "拒收 1" in result.output
        assert "第4行" in result.output
        assert "处罚决定日期：日期不存在" in result.output


class TestIngestFileErrors:
    """File-level problems: exit 1, one RFC 9457 object on stdout, and nothing stored."""

    def test_unknown_type(self, sqlite_cli: Cli, penalties: Path) -> None:
        problem = _problem(_ingest(sqlite_cli, penalties, "--json", record_type="nope"))
        assert problem["code"] == "ingest.unknown_type"

    def test_unknown_source(self, sqlite_cli: Cli, penalties: Path) -> None:
        result = sqlite_cli(
            "ingest", str(penalties), "--type", PENALTY, "--source", "999999-NONE", "--json"
        )
        assert _problem(result)["code"] == "ingest.unknown_source"

    def test_missing_file(self, sqlite_cli: Cli, tmp_path: Path) -> None:
        problem = _problem(_ingest(sqlite_cli, tmp_path / "absent.csv", "--json"))
        assert problem["code"] == "ingest.file_not_found"

    def test_empty_file(self, sqlite_cli: Cli, tmp_path: Path) -> None:
        empty = tmp_path / "empty.csv"
        empty.write_bytes(b"")
        assert _problem(_ingest(sqlite_cli, empty, "--json"))["code"] == "ingest.empty_file"

    def test_missing_required_column_names_it_and_stores_nothing(
        self, cli: Cli, tmp_path: Path
    ) -> None:
        rows = [penalty_row(), penalty_row()]
        header = [c for c in rows[0] if c != "CF_JDRQ"]
        path = write_csv(tmp_path / "no-date.csv", rows, header=header)

        problem = _problem(_ingest(cli, path, "--json"))

        assert problem["code"] == "ingest.missing_columns"
        assert "处罚决定日期" in problem["title"]
        assert [e["field"] for e in problem["errors"]] == ["处罚决定日期"]
        assert cli.count(Record) == 0
        assert cli.count(QuarantinedRow) == 0
        assert cli.count(Batch) == 0

    def test_problem_without_json_is_reported_in_chinese(
        self, sqlite_cli: Cli, tmp_path: Path
    ) -> None:
        result = _ingest(sqlite_cli, tmp_path / "absent.csv")
        assert result.exit_code == 1
        assert not isinstance(result.exception, Exception), repr(result.exception)
        assert result.stdout == ""
        assert "找不到文件：absent.csv" in result.stderr
        assert "ingest.file_not_found" in result.stderr


class TestQuality:
    def test_lists_the_source_with_its_reject_reasons(self, cli: Cli, penalties: Path) -> None:
        _ingest(cli, penalties, "--json")

        report = cli.json_out("quality")

        assert [(q["source"], q["record_type"]) for q in report] == [(SOURCE, PENALTY)]
        (quality,) = report
        assert quality["source_name"] == SOURCE_NAME
        assert (quality["rows"], quality["valid_rows"], quality["rejected"]) == (3, 2, 1)
        assert quality["reject_reasons"] == {"date.invalid": 1}


class TestCatalog:
    def test_list_has_every_shipped_type_once(self, sqlite_cli: Cli) -> None:
        types = sqlite_cli.json_out("catalog", "list")
        codes = [t["code"] for t in types]
        assert len(codes) == len(set(codes)) == 17
        assert PENALTY in codes

    def test_show_penalty_has_its_fields_and_regimes(self, sqlite_cli: Cli) -> None:
        out = sqlite_cli.ok("catalog", "show", PENALTY).stdout

        assert "处罚决定日期" in out
        regimes = [r for r in default_catalog().regimes if PENALTY in r.record_types]
        assert regimes
        for regime in regimes:
            assert regime.name in out
        assert "国家发展改革委令第58号" in out

    def test_show_unknown_type_exits_1(self, sqlite_cli: Cli) -> None:
        result = sqlite_cli("catalog", "show", "nope")
        assert result.exit_code == 1
        assert "未知的信息类型：nope" in result.output


class TestKeys:
    def test_created_key_is_printed_once_and_works_against_the_api(
        self, cli: Cli, tmp_path: Path
    ) -> None:
        created = cli.json_out(
            "keys", "create", "--name", "市监局系统", "--role", "system", "--department", SOURCE
        )
        assert set(created) == {"key", "id", "name", "role"}
        assert (created["name"], created["role"]) == ("市监局系统", "system")

        settings = Settings(database_url=cli.url, data_dir=tmp_path, secret_key=SECRET)
        engine = make_engine(cli.url)
        try:
            client = TestClient(create_app(settings, engine=engine))
            body = {"type": PENALTY, "rows": [penalty_row()]}
            resp = client.post(
                "/api/v1/records:batch", json=body, headers={"X-API-Key": created["key"]}
            )
            assert resp.status_code == 200, resp.text
            assert resp.json()["accepted"] == 1

            wrong = client.post(
                "/api/v1/records:batch", json=body, headers={"X-API-Key": created["key"] + "x"}
            )
            assert wrong.status_code == 401, wrong.text
        finally:
            engine.dispose()


class TestAudit:
    def test_verify_passes_after_the_commands(self, cli: Cli, penalties: Path) -> None:
        _ingest(cli, penalties, "--json")
        cli.ok("keys", "create", "--name", "市监局系统", "--role", "system", "--department", SOURCE)

        result = cli.ok("audit", "verify")

        assert "审计日志完整" in result.stdout


class TestSynth:
    def test_writes_a_manifest(self, tmp_path: Path) -> None:
        out = tmp_path / "synth"
        result = CliRunner().invoke(
            app,
            ["synth", "--enterprises", "50", "--records", "300", "--out", str(out)],
            env={"XINYONG_DATA_DIR": str(tmp_path), "COLUMNS": "200"},
        )
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)

        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        assert (manifest["enterprises"], manifest["records"]) == (50, 300)
        counts = manifest["counts"]
        assert counts["registration"] == 50
        assert sum(n for code, n in counts.items() if code != "registration") == 300
        assert manifest["files"]
        for entry in manifest["files"]:
            for name in entry["files"].values():
                assert (out / name).is_file(), name


# What Click and Typer print by themselves, in English, unless told otherwise.
ENGLISH_BOILERPLATE = (
    "Show this message",
    "Missing option",
    "Missing argument",
    "Usage:",
    "Options",
    "Arguments",
    "Commands",
    "[OPTIONS]",
    "COMMAND [ARGS]",
    "[required]",
    "[default:",
    "Install completion",
    "Show completion",
    "for help",
    "Error",
)
CJK = re.compile(r"[\u4e00-\u9fff]")


def _command_paths() -> list[list[str]]:
    """Every group and command under ``xinyong``, as the words that name it."""
    paths: list[list[str]] = []

    def walk(command: Any, path: list[str]) -> None:
        paths.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return paths


def _english(text: str) -> list[str]:
    return [word for word in ENGLISH_BOILERPLATE if word in text]


def _run(*args: str) -> Result:
    # A deployment's own key: usage errors are told whatever the secret, but a command whose
    # value is checked in its body would otherwise stop at the default-secret refusal first.
    env = {"COLUMNS": "200", "XINYONG_SECRET_KEY": SECRET}
    return CliRunner().invoke(app, list(args), env=env, prog_name="xinyong")


class TestChineseHelpAndErrors:
    def test_every_command_says_its_help_in_chinese_without_click_boilerplate(self) -> None:
        paths = _command_paths()
        assert len(paths) > 40, "the walk reached the sub-commands"

        for path in paths:
            result = _run(*path, "--help")
            shown = " ".join(["xinyong", *path])
            assert result.exit_code == 0, (shown, result.output)
            assert f"用法：{shown} [选项]" in result.output, (shown, result.output)
            assert "显示本帮助并退出" in result.output, shown
            assert _english(result.output) == [], (shown, result.output)

    def test_every_option_and_argument_has_a_chinese_help_text(self) -> None:
        unexplained = []

        def walk(command: Any, path: str) -> None:
            for param in command.get_params(command.context_class(command)):
                if not CJK.search(getattr(param, "help", None) or ""):
                    unexplained.append(f"{path} {param.name}")
            for name, sub in getattr(command, "commands", {}).items():
                walk(sub, f"{path} {name}")

        walk(typer.main.get_command(app), "xinyong")
        assert unexplained == []

    def test_missing_option_is_told_in_chinese_with_the_usage_line(self) -> None:
        result = _run("evaluate")

        assert result.exit_code == 2
        assert "缺少选项 '--model'。" in result.output
        assert "用法：xinyong evaluate [选项]" in result.output
        assert "运行 'xinyong evaluate --help' 查看帮助" in result.output
        assert _english(result.output) == [], result.output

    @pytest.mark.parametrize(
        ("args", "told"),
        [
            (["ingest"], "缺少参数 'path'。"),
            (["serve", "--port", "abc"], "'--port' 的值不正确：应为整数（收到 'abc'）"),
            (["serve", "--port"], "选项 '--port' 后面需要一个值。"),
            (
                ["commitments", "list", "--status", "bogus"],
                "'--status' 的值不正确：应为以下之一：'signed'、'fulfilled'、'breached'（收到 'bogus'）",
            ),
            (["serve", "--bogus"], "没有选项 --bogus"),
            (["servee"], "没有命令 'servee'。是不是要用 'serve'？"),
            (["db", "upgrade", "head", "extra"], "多余的参数：extra"),
            (["holidays", "set", "2025-13-01", "--workday", "--name", "春节"], "日期格式应为"),
        ],
    )
    def test_usage_errors_are_told_in_chinese(self, args: list[str], told: str) -> None:
        result = _run(*args)

        assert result.exit_code == 2, result.output
        assert told in result.output
        assert "错误" in result.output
        assert _english(result.output) == [], result.output


class TestServePort:
    """A taken port is refused in Chinese with the way out (``--port``), before any work."""

    def test_serve_on_a_taken_port_says_so_and_names_port(self, busy_port: int) -> None:
        result = _run("serve", "--port", str(busy_port))

        assert result.exit_code == 1, result.output
        assert f"端口 {busy_port} 已被占用" in result.output
        assert f"--port {busy_port + 1}" in result.output
        assert "serve.port_in_use" in result.output
        assert "Errno" not in result.output

    def test_demo_on_a_taken_port_stops_before_preparing_anything(
        self, busy_port: int, tmp_path: Path
    ) -> None:
        result = CliRunner().invoke(
            app,
            ["demo", "--port", str(busy_port), "--enterprises", "5", "--records", "10"],
            env={"XINYONG_DATA_DIR": str(tmp_path), "COLUMNS": "200"},
        )

        assert result.exit_code == 1, result.output
        assert f"端口 {busy_port} 已被占用" in result.output
        assert "--port" in result.output
        assert list(tmp_path.iterdir()) == [], "nothing was prepared"

    def test_claimed_port_is_the_socket_the_server_gets(self) -> None:
        sock = claim_port("127.0.0.1", 0)
        try:
            host, port = sock.getsockname()
            assert (host, port > 0) == ("127.0.0.1", True)
        finally:
            sock.close()


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port another program is listening on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]
