"""A killed import (kill -9 mid-file) leaves whole chunks only, and running it again finishes
the same batch from its checkpoint: one record per key, nothing processed twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from factories.ingest import SECRET, penalty_row, run_file, write_csv
from factories.records import batches_of, make_source, quarantined
from xinyong.audit.models import AuditEntry
from xinyong.catalog.loader import default_catalog
from xinyong.db import make_engine, unit_of_work
from xinyong.ingest.models import BatchStatus
from xinyong.records.models import Record

PENALTY = default_catalog().types["administrative_penalty"]
ROWS = 20_000
CHUNK = 500
DUPLICATE_EVERY = 1_000  # row i repeats row i - 700 when i % 1000 == 999

CHILD = """
import sys
from pathlib import Path

from xinyong.catalog.loader import default_catalog
from xinyong.db import make_engine
from xinyong.ingest.runner import FileIngestOptions, ingest_file
from xinyong.ingest.service import Actor

url, path, source, secret, chunk = sys.argv[1:6]
ingest_file(
    make_engine(url),
    default_catalog(),
    Path(path),
    FileIngestOptions(
        record_type="administrative_penalty",
        source=source,
        secret=secret.encode(),
        chunk_rows=int(chunk),
    ),
    actor=Actor("cli", "admin"),
)
"""


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def resume_engine(request: pytest.FixtureRequest, databases) -> Engine:
    return databases.migrated_engine(request.param)


def big_file(path: Path) -> tuple[Path, int]:
    """``ROWS`` rows, some of which repeat an earlier row in another chunk."""
    rows = []
    for i in range(ROWS):
        if i % DUPLICATE_EVERY == DUPLICATE_EVERY - 1:
            rows.append(rows[i - 700])
        else:
            rows.append(penalty_row(CF_XDR_SHXYM=penalty_row()["CF_XDR_SHXYM"]))
    distinct = len({r["CF_ID"] for r in rows})
    return write_csv(path, rows), distinct


def rows_done(engine: Engine, source: str) -> int:
    batches = batches_of(engine, source)
    return batches[0].rows_done if batches else 0


def kill_mid_import(engine: Engine, path: Path, source: str) -> None:
    url = engine.url.render_as_string(hide_password=False)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, url, str(path), source, SECRET.decode(), str(CHUNK)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    probe = make_engine(url)
    try:
        deadline = time.monotonic() + 120
        while rows_done(probe, source) == 0:
            assert child.poll() is None, child.stderr.read().decode() if child.stderr else ""
            assert time.monotonic() < deadline, "the import never committed a chunk"
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        probe.dispose()
    assert child.returncode == -signal.SIGKILL


def test_killed_import_resumes_from_checkpoint(resume_engine, tmp_path):
    engine = resume_engine
    source = make_source(engine)
    path, distinct = big_file(tmp_path / "big.csv")

    kill_mid_import(engine, path, source)

    [killed] = batches_of(engine, source)
    assert killed.status is BatchStatus.RUNNING
    assert 0 < killed.rows_done < ROWS, "the child finished before it was killed"
    assert killed.rows_done % CHUNK == 0
    with unit_of_work(engine) as session:
        stored = session.scalar(
            select(func.count()).select_from(Record).where(Record.batch_id == killed.id)
        )
    # records and checkpoint commit together: whole chunks only, minus the duplicates seen
    assert stored == killed.accepted
    assert killed.accepted + killed.rejected == killed.rows_done

    report = run_file(engine, path, source, chunk_rows=CHUNK)

    assert report["batch_id"] == killed.id
    [batch] = batches_of(engine, source)
    assert (batch.status, batch.rows_done) == (BatchStatus.COMPLETED, ROWS)
    assert batch.finished_at is not None
    with unit_of_work(engine) as session:
        keys = session.execute(
            select(Record.source_key, func.count())
            .where(Record.source_department_id == batch.source_department_id)
            .group_by(Record.source_key)
        ).all()
        stored_fields = session.scalars(
            select(Record.fields).where(Record.source_department_id == batch.source_department_id)
        ).all()
        chunks = session.scalars(
            select(AuditEntry.detail)
            .where(
                AuditEntry.object_type == "ingest_batch",
                AuditEntry.object_id == str(batch.id),
                AuditEntry.action == "ingest.chunk",
            )
            .order_by(AuditEntry.id)
        ).all()
    assert len(keys) == distinct
    assert {n for _, n in keys} == {1}
    required = {f.name for f in PENALTY.fields if f.required is True}
    assert all(required <= fields.keys() for fields in stored_fields)  # none half-written
    assert (report["accepted"], report["rejected"]) == (distinct, ROWS - distinct)
    assert {r["code"] for r in report["rejects"]} == {"row.duplicate"}
    assert len(quarantined(engine, batch.id)) == ROWS - distinct
    # every chunk was processed exactly once, the resumed run starting at the checkpoint
    assert [c["rows_done"] for c in chunks] == list(range(CHUNK, ROWS + 1, CHUNK))
