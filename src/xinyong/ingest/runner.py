"""Importing a file chunk by chunk: one transaction per chunk with its checkpoint, so a killed
import never leaves half a chunk, and running the same command again finishes it.

One import of a file at a time (``claim.py``): a second one started meanwhile is told so and
writes nothing. A problem found mid-file or too many rejects stops the batch: the chunks
already stored stay, the batch says why, and the error is raised.
"""

from __future__ import annotations

import hashlib
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from xinyong.accounts.models import Department
from xinyong.catalog.loader import Catalog
from xinyong.catalog.schemas import RecordType
from xinyong.catalog.validation import HeaderMapping, map_header
from xinyong.db import take_write_lock, unit_of_work
from xinyong.errors import XinyongError
from xinyong.ingest.claim import claim_file, claim_key
from xinyong.ingest.errors import (
    FileTooLarge,
    IngestAlreadyRunning,
    MissingColumns,
    NoHeader,
    TooManyColumns,
    TooManyFileRows,
    TooManyRejects,
)
from xinyong.ingest.limits import DEFAULT_LIMITS, IngestLimits, header_width, too_many_rejects
from xinyong.ingest.models import Batch, BatchStatus
from xinyong.ingest.pipeline import (
    IngestContext,
    Prepared,
    make_context,
    prepare_chunk,
    store_chunk,
)
from xinyong.ingest.readers import Table, open_table, require_file
from xinyong.ingest.service import (
    Actor,
    apply_outcome,
    batch_report,
    find_resumable,
    finish_batch,
    resolve_target,
    start_batch,
    stop_batch,
)
from xinyong.kit import clock

Progress = Callable[[int, int], None]  # (rows done, file bytes total or 0)


@dataclass(frozen=True)
class FileIngestOptions:
    record_type: str
    source: str
    secret: bytes
    strict_org_code: bool = False
    chunk_rows: int = 5000
    # Worker processes that prepare chunks while the main process stores the previous one;
    # used for files of at least ``parallel_min_bytes`` (starting a worker costs about a second).
    workers: int = 0
    parallel_min_bytes: int = 8 << 20
    limits: IngestLimits = DEFAULT_LIMITS


_worker_context: IngestContext | None = None


def _start_worker(
    catalog: Catalog,
    record_type: str,
    department_id: int,
    sector: str | None,
    batch_id: int,
    secret: bytes,
    strict_org_code: bool,
    max_field_chars: int,
) -> None:
    """Build the worker's own context once (validators hold closures and do not pickle)."""
    global _worker_context  # the state of this worker process
    _worker_context = make_context(
        catalog,
        catalog.types[record_type],
        department_id=department_id,
        department_sector=sector,
        batch_id=batch_id,
        secret=secret,
        strict_org_code=strict_org_code,
        max_field_chars=max_field_chars,
    )


def _prepare_in_worker(rows: list[tuple[int, dict[str, str]]]) -> Prepared:
    if _worker_context is None:
        raise RuntimeError("worker started without its context")
    return prepare_chunk(_worker_context, rows)


class _Inline:
    """The executor of files too small to be worth a worker: prepares in this process."""

    def __init__(self, ctx: IngestContext) -> None:
        self.ctx = ctx

    def submit(self, rows: list[tuple[int, dict[str, str]]]) -> Future[Prepared]:
        future: Future[Prepared] = Future()
        future.set_result(prepare_chunk(self.ctx, rows))
        return future


@contextmanager
def _preparer(
    ctx: IngestContext, catalog: Catalog, options: FileIngestOptions, workers: int
) -> Iterator[Callable[[list[tuple[int, dict[str, str]]]], Future[Prepared]]]:
    if workers <= 0:
        yield _Inline(ctx).submit
        return
    # spawn, not fork: a forked child would share the parent's database sockets.
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(
            catalog,
            ctx.record_type.code,
            ctx.department_id,
            ctx.department_sector,
            ctx.batch_id,
            ctx.secret,
            options.strict_org_code,
            options.limits.max_field_chars,
        ),
    ) as pool:
        yield lambda rows: pool.submit(_prepare_in_worker, rows)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _Chunks:
    """(rows consumed so far, chunk), the first ``skip`` data rows passed over, up to
    ``max_rows`` rows after the header (blank ones count: a sheet of empty rows is a bomb too);
    ``cut`` says whether rows were left past it."""

    def __init__(
        self,
        table: Table,
        columns: tuple[tuple[int, str], ...],
        *,
        size: int,
        skip: int,
        max_rows: int,
    ) -> None:
        self.table, self.columns, self.size, self.skip = table, columns, size, skip
        self.last_row = table.header_row + max_rows
        self.cut = False

    def __iter__(self) -> Iterator[tuple[int, list[tuple[int, dict[str, str]]]]]:
        chunk: list[tuple[int, dict[str, str]]] = []
        consumed = 0
        for number, cells in self.table.rows:
            if number > self.last_row:
                self.cut = True
                break
            if not any(c.strip() for c in cells):
                continue  # blank line
            consumed += 1
            if consumed <= self.skip:
                continue
            chunk.append((number, self._fields(cells)))
            if len(chunk) >= self.size:
                yield consumed, chunk
                chunk = []
        if chunk:
            yield consumed, chunk

    def _fields(self, cells: list[str]) -> dict[str, str]:
        n = len(cells)
        fields: dict[str, str] = {}
        for i, name in self.columns:
            if i < n:
                value = cells[i]
                if name in fields and fields[name] and value:
                    fields[name] = f"{fields[name]};{value}"  # 处罚类别1 + 处罚类别2
                elif value or name not in fields:
                    fields[name] = value
        return fields


@dataclass(frozen=True)
class _Target:
    record_type: RecordType
    department_id: int
    sector: str | None

    def score(self, header: Sequence[str]) -> int:
        return len(map_header(self.record_type, header).columns)


def _resolve(engine: Engine, catalog: Catalog, options: FileIngestOptions) -> _Target:
    with unit_of_work(engine) as session:
        rt, department = resolve_target(
            session, catalog, record_type=options.record_type, source=options.source
        )
        return _Target(rt, department.id, department.sector)


def _map_columns(rt: RecordType, header: list[str], limits: IngestLimits) -> HeaderMapping:
    """The header's columns, or the file-level error refusing the whole file."""
    width = header_width(header)
    if width > limits.max_columns:
        raise TooManyColumns(width, limits.max_columns)
    mapping = map_header(rt, header)
    if not mapping.columns:
        raise NoHeader()
    if mapping.missing_required:
        raise MissingColumns(list(mapping.missing_required))
    return mapping


def _running_batch(engine: Engine, target: _Target, sha: str) -> int | None:
    with unit_of_work(engine) as session:
        batch = find_resumable(
            session,
            department_id=target.department_id,
            record_type=target.record_type.code,
            file_sha256=sha,
        )
        return batch.id if batch is not None else None


@contextmanager
def _writing(engine: Engine) -> Iterator[Session]:
    """A unit of work that writes before it reads on SQLite: a transaction that read before
    another import committed cannot write afterwards ("database is locked" at once, whatever
    the busy timeout), while one that writes first waits its turn. PostgreSQL needs nothing."""
    with unit_of_work(engine) as session:
        take_write_lock(session, Batch.__table__)
        yield session


@dataclass(frozen=True)
class _Run:
    """One claimed import of one file into one batch."""

    engine: Engine
    catalog: Catalog
    options: FileIngestOptions
    actor: Actor
    progress: Progress | None
    size: int

    def open_batch(
        self, target: _Target, path: Path, sha: str, mapping: HeaderMapping
    ) -> tuple[int, int]:
        """(batch id, data rows already stored): the unfinished batch of this file, or a new
        one. Runs under the claim, so no other process can open it meanwhile."""
        with _writing(self.engine) as session:
            batch = find_resumable(
                session,
                department_id=target.department_id,
                record_type=target.record_type.code,
                file_sha256=sha,
            )
            if batch is None:
                batch = start_batch(
                    session,
                    department=session.get_one(Department, target.department_id),
                    record_type=target.record_type,
                    channel="file",
                    actor=self.actor,
                    now=clock.now(),
                    filename=path.name,
                    file_sha256=sha,
                    file_size=self.size,
                    unknown_columns=mapping.unknown_columns,
                )
            return batch.id, batch.rows_done

    def store(self, ctx: IngestContext, consumed: int, prepared: Prepared) -> None:
        """One chunk, its counters and checkpoint in one transaction; past the reject limit
        the batch stops in that same transaction and :class:`TooManyRejects` is raised."""
        limits = self.options.limits
        stop: TooManyRejects | None = None
        with _writing(self.engine) as session:
            now = clock.now()
            outcome = store_chunk(session, ctx, prepared, now=now)
            batch = session.get_one(Batch, ctx.batch_id)
            apply_outcome(session, batch, outcome, rows_done=consumed, actor=self.actor, now=now)
            if too_many_rejects(batch.rejected, limits):
                stop = TooManyRejects(limits.max_rejects, batch_id=batch.id, rows_done=consumed)
                stop_batch(session, batch, stop, actor=self.actor, now=now)
        if stop is not None:
            raise stop
        if self.progress is not None:
            self.progress(consumed, self.size)

    def import_rows(
        self, ctx: IngestContext, table: Table, mapping: HeaderMapping, skip: int
    ) -> None:
        """Chunks are stored strictly in file order, each in its own transaction with its
        checkpoint; up to ``workers`` later chunks are being prepared meanwhile."""
        options = self.options
        workers = options.workers if self.size >= options.parallel_min_bytes else 0
        max_rows = options.limits.max_rows
        chunks = _Chunks(
            table, mapping.columns, size=options.chunk_rows, skip=skip, max_rows=max_rows
        )
        with _preparer(ctx, self.catalog, options, workers) as submit:
            in_flight: deque[tuple[int, Future[Prepared]]] = deque()
            for consumed, chunk in chunks:
                in_flight.append((consumed, submit(chunk)))
                while len(in_flight) > workers:
                    done, future = in_flight.popleft()
                    self.store(ctx, done, future.result())
            while in_flight:
                done, future = in_flight.popleft()
                self.store(ctx, done, future.result())
        if chunks.cut:
            raise TooManyFileRows(max_rows, batch_id=ctx.batch_id)

    def stop(self, batch_id: int, reason: XinyongError) -> None:
        """Record why the batch ended early, unless it was already stopped."""
        with _writing(self.engine) as session:
            batch = session.get_one(Batch, batch_id)
            if batch.status is BatchStatus.RUNNING:
                stop_batch(session, batch, reason, actor=self.actor, now=clock.now())

    def finish(self, batch_id: int) -> dict[str, Any]:
        with _writing(self.engine) as session:
            batch = session.get_one(Batch, batch_id)
            finish_batch(session, batch, actor=self.actor, now=clock.now())
            return batch_report(session, batch)


def ingest_file(
    engine: Engine,
    catalog: Catalog,
    path: Path,
    options: FileIngestOptions,
    *,
    actor: Actor,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Import ``path``; returns the batch report. File-level problems raise before any write,
    as does another import of the same file still running (409). A problem found mid-file
    or too many rejects stops the batch and raises; a crash leaves it running, to resume."""
    limits = options.limits
    require_file(path)
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise FileTooLarge(limits.max_file_bytes)
    target = _resolve(engine, catalog, options)
    sha = file_sha256(path)
    run = _Run(engine, catalog, options, actor, progress, size)
    with open_table(path, target.score, max_bytes=limits.max_file_bytes) as table:
        mapping = _map_columns(target.record_type, table.header, limits)
        with claim_file(
            engine, claim_key(target.department_id, target.record_type.code, sha)
        ) as held:
            if not held:
                raise IngestAlreadyRunning(_running_batch(engine, target, sha))
            batch_id, skip = run.open_batch(target, path, sha, mapping)
            ctx = make_context(
                catalog,
                target.record_type,
                department_id=target.department_id,
                department_sector=target.sector,
                batch_id=batch_id,
                secret=options.secret,
                strict_org_code=options.strict_org_code,
                max_field_chars=limits.max_field_chars,
            )
            try:
                run.import_rows(ctx, table, mapping, skip)
            except XinyongError as exc:
                run.stop(batch_id, exc)
                raise
            return run.finish(batch_id)
