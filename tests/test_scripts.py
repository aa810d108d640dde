"""``scripts/test`` on machines this one is not: its functions run against stand-ins for apt-get
and PostgreSQL's Debian tools, which record what they were asked and keep a pretend machine's
state in a directory. Nothing here installs, starts or changes the real PostgreSQL."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "test"
TRUST_LINE = "host all postgres 127.0.0.1/32 trust"
DEFAULT_HBA = "local all postgres peer\nhost all all 127.0.0.1/32 scram-sha-256\n"

# Each stand-in logs its command line, then acts on the pretend machine in $FAKE.
STAND_INS = {
    "id": "echo 0\n",
    "apt-get": """
case " $* " in *" install "*" postgresql "*)
  echo 15 >"$FAKE/versions"
  if [ -f "$FAKE/creates-main-cluster" ]; then
    echo "15 main 5432 down postgres /var/lib/postgresql/15/main x" >>"$FAKE/clusters"
    mkdir -p "$FAKE/etc/15/main" && printf '%s' "$DEFAULT_HBA" >"$FAKE/etc/15/main/pg_hba.conf"
  fi;;
esac
""",
    "pg_lsclusters": 'cat "$FAKE/clusters" 2>/dev/null || true\n',
    "pg_createcluster": """
echo "$1 $2 $4 down postgres /var/lib/postgresql/$1/$2 x" >>"$FAKE/clusters"
mkdir -p "$FAKE/etc/$1/$2" && printf '%s' "$DEFAULT_HBA" >"$FAKE/etc/$1/$2/pg_hba.conf"
""",
    "pg_ctlcluster": """
if [ "$4" = start ]; then
  sed -i "s/^$2 $3 \\([0-9]*\\) down/$2 $3 \\1 online/" "$FAKE/clusters"
  touch "$FAKE/online"
fi
""",
    # Lets postgres in only where a pg_hba.conf trusts it from loopback.
    "psql": '[ -f "$FAKE/online" ] && grep -qsx "$TRUST_LINE" "$FAKE"/etc/*/*/pg_hba.conf\n',
}
# The script's seams for what it reads of the machine, pointed at the pretend one.
SEAMS = """
port_open() { [ -f "$FAKE/online" ]; }
os_ids() { cat "$FAKE/os"; }
server_versions() { cat "$FAKE/versions" 2>/dev/null || true; }
hba_file() { echo "$FAKE/etc/$1/$2/pg_hba.conf"; }
browser_installed() { [ -f "$FAKE/chromium" ]; }
"""


@dataclass
class Machine:
    """A pretend machine: what ``scripts/test``'s functions see and do there."""

    root: Path

    @property
    def state(self) -> Path:
        return self.root / "state"

    def calls(self) -> list[str]:
        log = self.state / "calls"
        return log.read_text().splitlines() if log.exists() else []

    def hba(self, version: str = "15", name: str = "main") -> str:
        return (self.state / "etc" / version / name / "pg_hba.conf").read_text()

    def has_cluster(self, line: str, *, hba: str = DEFAULT_HBA, online: bool = False) -> None:
        version, name = line.split()[:2]
        with (self.state / "clusters").open("a") as f:
            f.write(f"{line} postgres /var/lib/postgresql/{version}/{name} x\n")
        (self.state / "versions").write_text(f"{version}\n")
        conf = self.state / "etc" / version / name
        conf.mkdir(parents=True, exist_ok=True)
        (conf / "pg_hba.conf").write_text(hba)
        if online:
            (self.state / "online").touch()

    def run(self, *commands: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
        script = f". {SCRIPT}\n{SEAMS}\n" + "\n".join(commands)
        return subprocess.run(
            ["bash", "-c", script],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=60,
            env={
                "PATH": f"{self.root / 'bin'}:/usr/bin:/bin",
                "FAKE": str(self.state),
                "DEFAULT_HBA": DEFAULT_HBA,
                "TRUST_LINE": TRUST_LINE,
            },
        )


def _machine(tmp_path: Path, os_ids: str) -> Machine:
    machine = Machine(tmp_path)
    machine.state.mkdir()
    (machine.state / "os").write_text(os_ids)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in STAND_INS.items():
        tool = bin_dir / name
        tool.write_text(f'#!/bin/bash\necho "{name} $*" >>"$FAKE/calls"\n{body}')
        tool.chmod(0o755)
    return machine


@pytest.fixture
def debian(tmp_path: Path) -> Machine:
    """A Debian machine without PostgreSQL whose package creates the main cluster, as Debian's
    postgresql-common does by default."""
    machine = _machine(tmp_path, "debian\n")
    (machine.state / "creates-main-cluster").touch()
    return machine


class TestPostgresOnAFreshMachine:
    def test_debian_without_postgresql_installs_it_trusts_the_tests_user_and_starts_it(
        self, debian: Machine
    ) -> None:
        result = debian.run("ensure_postgres")

        assert result.returncode == 0, result.stdout + result.stderr
        calls = debian.calls()
        apt = [c for c in calls if c.startswith("apt-get")]
        assert apt[0] == "apt-get update -q"
        assert apt[1] == "apt-get install -y -q --no-install-recommends postgresql"
        assert "pg_ctlcluster --skip-systemctl-redirect 15 main start" in calls
        hba = debian.hba().splitlines()
        assert hba[1:3] == [TRUST_LINE, "host all postgres ::1/128 trust"], "before the rest"
        assert not any(c.startswith("pg_createcluster") for c in calls)

    def test_without_a_cluster_on_5432_one_is_created_there(self, debian: Machine) -> None:
        (debian.state / "creates-main-cluster").unlink()

        result = debian.run("ensure_postgres")

        assert result.returncode == 0, result.stdout + result.stderr
        assert "pg_createcluster 15 main --port 5432" in debian.calls()
        assert TRUST_LINE in debian.hba()

    def test_the_trust_lines_are_added_once(self, debian: Machine) -> None:
        debian.has_cluster("15 main 5432 down")

        debian.run("trust_tests_user 15 main", "trust_tests_user 15 main")

        assert debian.hba().count(TRUST_LINE) == 1

    def test_a_stopped_cluster_is_started_and_its_authentication_left_alone(
        self, tmp_path: Path
    ) -> None:
        machine = _machine(tmp_path, "ubuntu\ndebian\n")
        trusting = f"{TRUST_LINE}\nhost all all 127.0.0.1/32 scram-sha-256\n"
        machine.has_cluster("16 main 5432 down", hba=trusting)

        result = machine.run("ensure_postgres")

        assert result.returncode == 0, result.stdout + result.stderr
        assert machine.calls() == [
            "pg_lsclusters --no-header",
            "id -u",
            "pg_ctlcluster --skip-systemctl-redirect 16 main start",
            "psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -w -Atqc select 1",
        ]
        assert machine.hba("16") == trusting

    def test_a_server_refusing_the_tests_user_is_explained_not_changed(
        self, tmp_path: Path
    ) -> None:
        machine = _machine(tmp_path, "debian\n")
        machine.has_cluster("15 main 5432 online", online=True)

        result = machine.run("ensure_postgres")

        assert result.returncode == 1
        assert "refuses user postgres without a password" in result.stdout
        assert f"{machine.state}/etc/15/main/pg_hba.conf" in result.stdout
        assert TRUST_LINE in result.stdout
        assert "XINYONG_TEST_PG_ADMIN_URL=" in result.stdout
        assert machine.hba() == DEFAULT_HBA
        assert not any(c.startswith(("apt-get", "pg_ctlcluster")) for c in machine.calls())

    def test_elsewhere_it_prints_the_one_command_to_run(self, tmp_path: Path) -> None:
        machine = _machine(tmp_path, "fedora\n")

        result = machine.run("ensure_postgres")

        assert result.returncode == 1
        assert "not Debian or Ubuntu" in result.stdout
        assert "docker run -d --name xinyong-pg -p 127.0.0.1:5432:5432" in result.stdout
        assert "POSTGRES_HOST_AUTH_METHOD=trust" in result.stdout
        assert machine.calls() == []

    def test_with_its_own_server_url_the_tests_leave_postgresql_alone(
        self, debian: Machine
    ) -> None:
        result = debian.run("XINYONG_TEST_PG_ADMIN_URL=postgresql+psycopg://u@h/p ensure_postgres")

        assert result.returncode == 0
        assert debian.calls() == []

    def test_dry_run_says_what_it_would_do_and_does_nothing(self, debian: Machine) -> None:
        result = debian.run("DRY_RUN=1", "ensure_postgres")

        assert result.returncode == 0, result.stdout + result.stderr
        assert "would run: env DEBIAN_FRONTEND=noninteractive apt-get install" in result.stdout
        assert "would run: pg_createcluster VERSION main --port 5432" in result.stdout
        changing = ("apt-get", "pg_createcluster", "pg_ctlcluster", "sed")
        assert not any(c.startswith(changing) for c in debian.calls())
        assert not (debian.state / "versions").exists()


class TestVenvAndBrowsers:
    def test_the_tests_get_their_own_venv_not_the_demos(self, debian: Machine) -> None:
        result = debian.run("DRY_RUN=1", "ensure_venv")

        assert "would run: .venv-test/bin/python -m pip install -q -e .[test]" in result.stdout
        assert ".venv/" not in result.stdout

    def test_browser_tools_only_once_a_test_imports_playwright(
        self, debian: Machine, tmp_path: Path
    ) -> None:
        project = tmp_path / "project"
        (project / "tests").mkdir(parents=True)
        (project / "tests" / "test_api.py").write_text("import httpx\n")

        assert debian.run("browser_tests_exist", cwd=project).returncode == 1
        assert debian.run("browser_tests_exist").returncode == 1, "none in xinyong yet"

        (project / "tests" / "browser").mkdir()
        (project / "tests" / "browser" / "test_search.py").write_text(
            "from playwright.sync_api import Page\n"
        )
        assert debian.run("browser_tests_exist", cwd=project).returncode == 0
        result = debian.run("DRY_RUN=1", "ensure_browser", cwd=project)
        assert "apt-get install -y -q chromium" in result.stdout


def test_the_code_is_linted_formatted_and_type_checked_before_the_tests(debian: Machine) -> None:
    result = debian.run("DRY_RUN=1", "check_code")

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        "scripts/test: would run: .venv-test/bin/ruff check src tests bench",
        "scripts/test: would run: .venv-test/bin/ruff format --check src tests bench",
        "scripts/test: would run: .venv-test/bin/mypy",
    ]


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_scripts_are_shellcheck_clean() -> None:
    result = subprocess.run(
        ["shellcheck", str(SCRIPT), str(ROOT / ".ci" / "run")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout
