"""File ingestion commits per chunk, so these tests share one fresh migrated database per
module and backend; each test isolates itself with its own source department."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def file_engine(request: pytest.FixtureRequest, databases: Any) -> Iterator[Engine]:
    """A fresh migrated database for this module (committed writes are not rolled back)."""
    engine = databases.migrated_engine(request.param)
    yield engine
    engine.dispose()
