"""The Alembic migrations: numbered files in one chain, reversible, and in step with the models."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from xinyong.db import make_engine
from xinyong.migrations import HERE, alembic_config, current, downgrade, upgrade
from xinyong.models import metadata

VERSIONS = HERE / "versions"
FILE_NAME = re.compile(r"^(?P<number>\d{4})_[a-z0-9_]+\.py$")
BACKENDS = ["sqlite", "postgresql"]


def _number(path: Path) -> str:
    match = FILE_NAME.match(path.name)
    assert match, f"migration files must be named NNNN_name.py: {path.name}"
    return match["number"]


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def _migration_files() -> list[Path]:
    return sorted(p for p in VERSIONS.glob("*.py") if p.name != "__init__.py")


def _schema(engine: Engine) -> dict[str, dict[str, Any]]:
    """Tables with their columns, indexes and unique constraints (alembic_version excluded)."""
    insp = inspect(engine)
    return {
        table: {
            "columns": sorted(
                (c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns(table)
            ),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in insp.get_indexes(table)
            ),
            "uniques": sorted(
                (u["name"] or "", tuple(u["column_names"]))
                for u in insp.get_unique_constraints(table)
            ),
        }
        for table in insp.get_table_names()
        if table != "alembic_version"
    }


@pytest.fixture(params=BACKENDS)
def fresh_engine(request: pytest.FixtureRequest, databases: Any) -> Iterator[Engine]:
    """An engine on an empty database of its own."""
    engine = make_engine(databases.fresh_url(request.param))
    yield engine
    engine.dispose()


class TestRevisionFiles:
    def test_every_file_is_numbered(self) -> None:
        files = _migration_files()
        assert files, "no migration files found"
        bad = [p.name for p in files if not FILE_NAME.match(p.name)]
        assert bad == [], f"migration files must be named NNNN_name.py: {bad}"

    def test_numbers_are_consecutive_from_0001(self) -> None:
        numbers = [int(_number(p)) for p in _migration_files()]
        assert numbers == list(range(1, len(numbers) + 1))

    def test_revision_equals_file_number_and_chains_to_previous(self) -> None:
        by_path = {Path(s.path).name: s for s in _scripts().walk_revisions()}
        files = _migration_files()
        assert sorted(by_path) == [p.name for p in files], "every file is a loaded revision"
        previous: str | None = None
        for path in files:
            script = by_path[path.name]
            number = _number(path)
            assert script.revision == number, path.name
            assert script.down_revision == previous, path.name
            assert not script.branch_labels, path.name
            previous = number

    def test_exactly_one_head(self) -> None:
        scripts = _scripts()
        heads = scripts.get_heads()
        assert len(heads) == 1, heads
        assert heads[0] == _number(_migration_files()[-1])
        assert len(scripts.get_bases()) == 1


class TestUpgradeDowngrade:
    def test_upgrade_downgrade_to_base_upgrade_leaves_same_schema(
        self, fresh_engine: Engine
    ) -> None:
        head = _scripts().get_current_head()
        assert current(fresh_engine) is None

        upgrade(fresh_engine)
        assert current(fresh_engine) == head
        first = _schema(fresh_engine)
        assert set(first) == set(metadata.tables)

        downgrade(fresh_engine, "base")
        assert current(fresh_engine) is None
        assert _schema(fresh_engine) == {}, "downgrade to base leaves no table behind"

        upgrade(fresh_engine)
        assert current(fresh_engine) == head
        assert _schema(fresh_engine) == first

    def test_each_revision_steps_up_and_down_one_at_a_time(self, fresh_engine: Engine) -> None:
        # Stairway: revision N's downgrade must undo exactly revision N's upgrade, so that
        # after up(N) → down(N-1) → up(N) the schema is the one up(N) first produced.
        revisions = [s.revision for s in reversed(list(_scripts().walk_revisions()))]
        for rev in revisions:
            before = _schema(fresh_engine)
            upgrade(fresh_engine, rev)
            after = _schema(fresh_engine)
            downgrade(fresh_engine, "-1")
            assert _schema(fresh_engine) == before, f"downgrade of {rev}"
            upgrade(fresh_engine, rev)
            assert current(fresh_engine) == rev
            assert _schema(fresh_engine) == after, f"re-upgrade of {rev}"


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    """Autogenerate against the migrated database finds nothing to do: tables, columns, types,
    nullability, server defaults, indexes, unique and foreign-key constraints all agree. Checked
    unfiltered on both backends: JSON/JSONB and UTCDateTime render identically because the
    migrations use the same with_variant / TypeDecorator types as the models."""
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        diffs = compare_metadata(context, metadata)
    assert diffs == []
