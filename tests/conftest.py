"""Test harness: schema built once per engine by the Alembic migrations; each test runs in a
connection-level transaction rolled back at the end, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from xinyong.config import Settings
from xinyong.db import make_engine
from xinyong.migrations import upgrade

PG_ADMIN_URL = os.environ.get(
    "XINYONG_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ["sqlite", "postgresql"]


def _create_pg_database(name: str) -> str:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _drop_pg_database(name: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class Databases:
    """Creates migrated databases on demand and drops them at the end of the session."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.pg_names: list[str] = []
        self.engines: list[Engine] = []

    def fresh_url(self, backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{(self.tmp / f'{uuid.uuid4().hex}.db').as_posix()}"
        name = f"xinyong_test_{os.getpid()}_{len(self.pg_names)}"
        self.pg_names.append(name)
        return _create_pg_database(name)

    def migrated_engine(self, backend: str) -> Engine:
        engine = make_engine(self.fresh_url(backend))
        upgrade(engine)
        self.engines.append(engine)
        return engine

    def close(self) -> None:
        for engine in self.engines:
            engine.dispose()
        for name in self.pg_names:
            _drop_pg_database(name)


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    dbs = Databases(tmp_path_factory.mktemp("db"))
    yield dbs
    dbs.close()


@pytest.fixture(scope="session", params=BACKENDS)
def engine(request: pytest.FixtureRequest, databases: Databases) -> Engine:
    """A migrated database shared by the tests of one backend."""
    return databases.migrated_engine(request.param)


@contextmanager
def rolled_back_session(engine: Engine) -> Iterator[Session]:
    """A session on ``engine`` whose every change (commits included) is rolled back at the end."""
    with engine.connect() as conn:
        outer = conn.begin()
        s = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
        try:
            yield s
        finally:
            s.close()
            outer.rollback()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose every change (commits included) is rolled back after the test."""
    with rolled_back_session(engine) as s:
        yield s


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, secret_key="test-secret")
