"""File ingestion commits per chunk, so these tests share one fresh migrated database per
module and backend; each test isolates itself with its own source department."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from conftest import BACKENDS, Databases
from factories.ingest import SECRET
from xinyong.catalog.loader import default_catalog
from xinyong.ingest.runner import FileIngestOptions, ingest_file
from xinyong.ingest.service import Actor

CLI_ADMIN = Actor("cli", "admin")


@pytest.fixture(scope="module", params=BACKENDS)
def file_engine(request: pytest.FixtureRequest, databases: Databases) -> Iterator[Engine]:
    engine = databases.migrated_engine(request.param)
    yield engine
    engine.dispose()


def run_file(
    engine: Engine,
    path: Path,
    source: str,
    record_type: str = "administrative_penalty",
    **options: Any,
) -> dict[str, Any]:
    return ingest_file(
        engine,
        default_catalog(),
        path,
        FileIngestOptions(record_type=record_type, source=source, secret=SECRET, **options),
        actor=CLI_ADMIN,
    )
