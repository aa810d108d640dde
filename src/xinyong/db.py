"""Database plumbing: declarative Base, engines, sessions and the unit of work.

One transaction per request, CLI command or batch chunk: ``unit_of_work()`` commits when the
block ends and rolls back on any exception. Services only ``flush()``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar, cast

from sqlalchemy import (
    JSON,
    ColumnElement,
    DateTime,
    MetaData,
    Table,
    Update,
    any_,
    bindparam,
    create_engine,
    event,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.engine import Engine, Result
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapper, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    import psycopg

from xinyong.config import Settings, get_settings
from xinyong.kit.clock import local

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSONB on PostgreSQL, JSON text elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware timestamps on every engine, stored in UTC (SQLite keeps naive UTC text)
    and read back at Asia/Shanghai time (SPEC: one time zone), so that what the API answers
    for a row is the same ``+08:00`` form whether the row was just written or read again."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; pass an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return local(value if value.tzinfo is not None else value.replace(tzinfo=UTC))


def _local_on_set(_target: Any, value: Any, _old: Any, _initiator: Any) -> Any:
    return local(value) if isinstance(value, datetime) and value.tzinfo is not None else value


@event.listens_for(Mapper, "mapper_configured")
def _localise_timestamps(mapper: Mapper[Any], class_: type) -> None:
    """A timestamp set on a row takes the Shanghai form at once, so the reply of the request
    that wrote it shows what a later read of the row shows (a naive value still fails on
    flush, in ``process_bind_param``)."""
    for prop in mapper.column_attrs:
        if any(isinstance(c.type, UTCDateTime) for c in prop.columns):
            event.listen(prop.class_attribute, "set", _local_on_set, retval=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    if TYPE_CHECKING:
        # SQLAlchemy types it as any FromClause; every model here is declared with a
        # __tablename__, so it maps a Table (what take_write_lock and bulk_insert take).
        __table__: ClassVar[Table]


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Autocommit off at the driver level; SQLAlchemy emits BEGIN itself (see _sqlite_begin),
    # which is what makes SAVEPOINT-based test isolation and real atomic chunks work.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN")


def _json_dumps(value: Any) -> str:
    # Chinese stays readable (and half the size) in stored JSON on every engine.
    return json.dumps(value, ensure_ascii=False)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` with xinyong's per-dialect settings."""
    kwargs.setdefault("json_serializer", _json_dumps)
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


_engines: dict[str, Engine] = {}


def get_engine(settings: Settings | None = None) -> Engine:
    """The process-wide engine for the configured database (created on first use)."""
    settings = settings or get_settings()
    url = settings.resolved_database_url
    if url not in _engines:
        if url.startswith("sqlite:///"):
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        _engines[url] = make_engine(url)
    return _engines[url]


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


@contextmanager
def unit_of_work(engine: Engine | None = None) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any exception."""
    session = session_factory(engine or get_engine())()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


class JsonText(str):
    """JSON already serialised (e.g. to hash it): COPY sends the text as is, instead of
    serialising the value a second time. ``value`` is kept for the other engines."""

    value: Any

    def __new__(cls, text: str, value: Any) -> JsonText:
        obj = super().__new__(cls, text)
        obj.value = value
        return obj


def take_write_lock(session: Session, table: Table) -> None:
    """On SQLite, take the database's write lock now, before the transaction reads: a deferred
    transaction that read before another writer committed cannot write afterwards ("database
    is locked" at once, whatever the busy timeout), while one that writes first waits its turn
    (up to busy_timeout). SQLite ignores ``FOR UPDATE``; PostgreSQL needs nothing here. The
    write is a no-op on ``table``."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text(f'UPDATE "{table.name}" SET id = id WHERE 0'))


def bulk_insert(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """Insert many rows (tuples in ``columns`` order) in the session's transaction: ``COPY`` on
    PostgreSQL, one stream instead of the round trip per row that psycopg 3's executemany
    costs; executemany elsewhere. Values must be plain (str, numbers, dates, None, JsonText)."""
    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        conn.execute(
            table.insert(),
            [
                {
                    c: v.value if isinstance(v, JsonText) else v
                    for c, v in zip(columns, row, strict=True)
                }
                for row in rows
            ],
        )
        return
    quoted = ", ".join(f'"{c}"' for c in columns)
    statement = f'COPY "{table.name}" ({quoted}) FROM STDIN'
    # Only PostgreSQL gets here, and xinyong reaches it through psycopg 3.
    dbapi = cast("psycopg.Connection[Any]", conn.connection.dbapi_connection)
    try:
        with dbapi.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except conn.dialect.loaded_dbapi.IntegrityError as exc:
        # COPY runs on the raw driver connection: report a clash as SQLAlchemy does for any
        # other statement, so callers handle one kind of error.
        raise IntegrityError(statement, None, exc) from exc


def one_of(session: Session, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN values`` as one array parameter on PostgreSQL (``= ANY(:values)``): thousands
    of values cost one bind instead of thousands of placeholders to compile and parse."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))


class _Keyed(Protocol):
    id: Any


K = TypeVar("K", bound=_Keyed)


def rows_by_id(session: Session, model: type[K], ids: Iterable[int]) -> dict[int, K]:
    """The rows of ``model`` with these ids, keyed by id, in one query whatever their number
    (so that reading a page of things costs a query per kind, not per thing); ids that name
    no row are absent."""
    wanted = set(ids)
    if not wanted:
        return {}
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(wanted)))}


def compare_and_set(session: Session, statement: Update) -> bool:
    """Run a guarded ``UPDATE … WHERE id = :id AND version = :seen`` and say whether it moved
    exactly one row, i.e. whether this caller won the move (STYLE.md, workflow state machines).

    PostgreSQL makes a concurrent mover wait for the row lock and then match no row. SQLite
    in WAL mode cannot wait: a transaction that read before another writer committed gets
    SQLITE_BUSY_SNAPSHOT ("database is locked") on its first write. That other writer is the
    one who won, so on SQLite that error means the same as matching no row.
    """
    try:
        result = session.execute(statement.execution_options(synchronize_session=False))
    except OperationalError as exc:
        if session.get_bind().dialect.name == "sqlite" and "locked" in str(exc.orig):
            return False
        raise
    return updated_rows(result) == 1


def updated_rows(result: Result[Any]) -> int:
    """How many rows an ``UPDATE`` or ``DELETE`` matched (the one place that reads the driver's
    row count, so a guarded write is checked the same way everywhere)."""
    return int(result.rowcount)  # type: ignore[attr-defined]
