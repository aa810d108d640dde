"""The batch engine: the compiled select run by DuckDB over a copy of the facts it reads.

DuckDB cannot attach SQLite or PostgreSQL here without downloading extensions, so the two
tables the select reads are streamed in (Arrow batches, memory bounded by ``batch_rows``). The
same SQLAlchemy select is compiled for DuckDB's dialect: no second query is written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from typing import Any

import pyarrow as pa
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.orm import Session

from xinyong.records.models import Record
from xinyong.subjects.models import Subject, SubjectConsent

RECORD_COLUMNS = (
    ("id", "BIGINT"),
    ("subject_id", "BIGINT"),
    ("record_type", "VARCHAR"),
    ("status", "VARCHAR"),
    ("decided_on", "DATE"),
    ("polarity", "VARCHAR"),
    ("severity", "VARCHAR"),
    ("publicised", "BOOLEAN"),
    ("publicity_starts_on", "DATE"),
    ("publicity_ends_on", "DATE"),
    ("repaired_on", "DATE"),
    ("fields", "JSON"),
)
SUBJECT_COLUMNS = (("id", "BIGINT"), ("kind", "VARCHAR"))
CONSENT_COLUMNS = (
    ("id", "BIGINT"),
    ("subject_id", "BIGINT"),
    ("purpose", "VARCHAR"),
    ("revoked_at", "TIMESTAMPTZ"),
)


@contextmanager
def duckdb_engine() -> Iterator[Engine]:
    """An in-memory DuckDB behind SQLAlchemy (duckdb-engine), closed afterwards."""
    engine = create_engine("duckdb:///:memory:")
    try:
        yield engine
    finally:
        engine.dispose()


def _copy(
    session: Session,
    duck: Any,
    table: str,
    columns: tuple[tuple[str, str], ...],
    stmt: Any,
    batch_rows: int,
) -> int:
    duck.execute(f'CREATE TABLE "{table}" ({", ".join(f"{n} {t}" for n, t in columns)})')
    names = [n for n, _ in columns]
    copied = 0
    result = session.execute(stmt.execution_options(yield_per=batch_rows))
    for rows in result.partitions(batch_rows):
        data = {n: [_plain(r[i]) for r in rows] for i, n in enumerate(names)}
        if "fields" in data:
            data["fields"] = [_json_text(v) for v in data["fields"]]
        batch = pa.table(data)
        duck.register("incoming", batch)
        duck.execute(f'INSERT INTO "{table}" SELECT * FROM incoming')
        duck.unregister("incoming")
        copied += len(rows)
    return copied


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def load_facts(session: Session, duck_engine: Engine, *, batch_rows: int = 100_000) -> int:
    """Copy the records, subjects and consents ``session`` sees into DuckDB; returns records."""
    with duck_engine.connect() as conn:
        duck = conn.connection.dbapi_connection
        record_stmt = select(*(getattr(Record, n) for n, _ in RECORD_COLUMNS))
        copied = _copy(session, duck, "records", RECORD_COLUMNS, record_stmt, batch_rows)
        subject_stmt = select(Subject.id, Subject.kind)
        _copy(session, duck, "subjects", SUBJECT_COLUMNS, subject_stmt, batch_rows)
        consent_stmt = select(*(getattr(SubjectConsent, n) for n, _ in CONSENT_COLUMNS))
        _copy(session, duck, "subject_consents", CONSENT_COLUMNS, consent_stmt, batch_rows)
        conn.commit()
    return copied
