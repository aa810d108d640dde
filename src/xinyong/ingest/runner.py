"""Importing a file chunk by chunk: one transaction per chunk with its checkpoint, so a killed
import never leaves half a chunk, and running the same command again finishes it."""

from __future__ import annotations

import hashlib
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from xinyong.catalog.loader import Catalog
from xinyong.catalog.validation import map_header
from xinyong.db import unit_of_work
from xinyong.ingest.errors import MissingColumns, NoHeader
from xinyong.ingest.models import Batch
from xinyong.ingest.pipeline import (
    IngestContext,
    Prepared,
    make_context,
    prepare_chunk,
    store_chunk,
)
from xinyong.ingest.readers import open_table, require_file
from xinyong.ingest.service import (
    Actor,
    apply_outcome,
    batch_report,
    find_resumable,
    finish_batch,
    resolve_target,
    start_batch,
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


_worker_context: IngestContext | None = None


def _start_worker(
    catalog: Catalog,
    record_type: str,
    department_id: int,
    sector: str | None,
    batch_id: int,
    secret: bytes,
    strict_org_code: bool,
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
        ),
    ) as pool:
        yield lambda rows: pool.submit(_prepare_in_worker, rows)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _chunks(
    rows: Iterator[tuple[int, list[str]]],
    columns: tuple[tuple[int, str], ...],
    size: int,
    skip: int,
) -> Iterator[tuple[int, list[tuple[int, dict[str, str]]]]]:
    """(rows consumed so far, chunk) with the first ``skip`` data rows passed over."""
    chunk: list[tuple[int, dict[str, str]]] = []
    consumed = 0
    for number, cells in rows:
        if not any(c.strip() for c in cells):
            continue  # blank line
        consumed += 1
        if consumed <= skip:
            continue
        n = len(cells)
        fields: dict[str, str] = {}
        for i, name in columns:
            if i < n:
                value = cells[i]
                if name in fields and fields[name] and value:
                    fields[name] = f"{fields[name]};{value}"  # 处罚类别1 + 处罚类别2
                elif value or name not in fields:
                    fields[name] = value
        chunk.append((number, fields))
        if len(chunk) >= size:
            yield consumed, chunk
            chunk = []
    if chunk:
        yield consumed, chunk


def ingest_file(
    engine: Engine,
    catalog: Catalog,
    path: Path,
    options: FileIngestOptions,
    *,
    actor: Actor,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Import ``path``; returns the batch report. File-level problems raise before any write."""
    require_file(path)
    with unit_of_work(engine) as session:
        rt, department = resolve_target(
            session, catalog, record_type=options.record_type, source=options.source
        )
        department_id, sector = department.id, department.sector
    sha = file_sha256(path)
    size = path.stat().st_size

    def score(header: list[str] | tuple[str, ...]) -> int:
        return len(map_header(rt, header).columns)

    with open_table(path, score) as table:
        mapping = map_header(rt, table.header)
        if not mapping.columns:
            raise NoHeader()
        if mapping.missing_required:
            raise MissingColumns(list(mapping.missing_required))
        with unit_of_work(engine) as session:
            department = session.get_one(type(department), department_id)
            batch = find_resumable(
                session, department_id=department_id, record_type=rt.code, file_sha256=sha
            )
            if batch is None:
                batch = start_batch(
                    session,
                    department=department,
                    record_type=rt,
                    channel="file",
                    actor=actor,
                    now=clock.now(),
                    filename=path.name,
                    file_sha256=sha,
                    file_size=size,
                    unknown_columns=mapping.unknown_columns,
                )
            batch_id, skip = batch.id, batch.rows_done
        ctx = make_context(
            catalog,
            rt,
            department_id=department_id,
            department_sector=sector,
            batch_id=batch_id,
            secret=options.secret,
            strict_org_code=options.strict_org_code,
        )
        workers = options.workers if size >= options.parallel_min_bytes else 0

        def store(consumed: int, prepared: Prepared) -> None:
            with unit_of_work(engine) as session:
                now = clock.now()
                outcome = store_chunk(session, ctx, prepared, now=now)
                batch = session.get_one(Batch, batch_id)
                apply_outcome(session, batch, outcome, rows_done=consumed, actor=actor, now=now)
            if progress is not None:
                progress(consumed, size)

        # Chunks are stored strictly in file order, each in its own transaction with its
        # checkpoint; up to ``workers`` later chunks are being prepared meanwhile.
        with _preparer(ctx, catalog, options, workers) as submit:
            in_flight: deque[tuple[int, Future[Prepared]]] = deque()
            for consumed, chunk in _chunks(table.rows, mapping.columns, options.chunk_rows, skip):
                in_flight.append((consumed, submit(chunk)))
                while len(in_flight) > workers:
                    done, future = in_flight.popleft()
                    store(done, future.result())
            while in_flight:
                done, future = in_flight.popleft()
                store(done, future.result())
    with unit_of_work(engine) as session:
        batch = session.get_one(Batch, batch_id)
        finish_batch(session, batch, actor=actor, now=clock.now())
        return batch_report(session, batch)
