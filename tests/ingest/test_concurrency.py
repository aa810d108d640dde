"""One import of a file at a time. A second import of the same file while the first runs is
told so (409, ``ingest.already_running``, the CLI exits 1) and writes nothing; the first
finishes with every good row accepted, none quarantined as a false duplicate. The claim dies
with its process: after ``kill -9`` the rerun resumes at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from factories.ingest import SECRET, PausedImport, penalty_row, run_file, write_csv
from factories.records import batches_of, department_id, make_source, quarantined
from xinyong.db import unit_of_work
from xinyong.ingest.claim import claim_file, claim_key
from xinyong.ingest.errors import IngestAlreadyRunning
from xinyong.ingest.models import BatchStatus
from xinyong.ingest.runner import file_sha256
from xinyong.records.models import Record

ROWS = 600
CHUNK = 100


@pytest.fixture
def penalties(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "penalties.csv", [penalty_row() for _ in range(ROWS)])


@pytest.fixture
def paused(file_engine: Engine, penalties: Path) -> Iterator[tuple[PausedImport, str]]:
    source = make_source(file_engine)
    first = PausedImport(file_engine, penalties, source, chunk_rows=CHUNK)
    try:
        yield first, source
    finally:
        first.close()


def stored(engine: Engine, source: str) -> int:
    with unit_of_work(engine) as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(Record)
                .where(Record.source_department_id == department_id(engine, source))
            )
            or 0
        )


def test_second_ingest_of_the_same_file_is_told_the_first_is_running(
    file_engine, penalties, paused
):
    first, source = paused
    [running] = batches_of(file_engine, source)

    with pytest.raises(IngestAlreadyRunning) as exc:
        run_file(file_engine, penalties, source, chunk_rows=CHUNK)

    assert (exc.value.status, exc.value.code) == (409, "ingest.already_running")
    assert f"批次 {running.id}" in exc.value.title
    assert "正在由另一个导入进程处理" in exc.value.title
    assert [(e.field, e.code) for e in exc.value.errors] == [("file", "ingest.already_running")]
    [still] = batches_of(file_engine, source)
    assert (still.id, still.rows_done, still.rejected) == (running.id, CHUNK, 0)

    first.resume()

    [batch] = batches_of(file_engine, source)
    assert (batch.status, batch.rows_done) == (BatchStatus.COMPLETED, ROWS)
    assert (batch.accepted, batch.rejected) == (ROWS, 0)
    assert quarantined(file_engine, batch.id) == []
    assert stored(file_engine, source) == ROWS


def test_a_killed_import_leaves_no_claim_behind(file_engine, penalties, paused):
    first, source = paused
    first.kill()
    [killed] = batches_of(file_engine, source)
    assert (killed.status, killed.rows_done) == (BatchStatus.RUNNING, CHUNK)

    report = run_file(file_engine, penalties, source, chunk_rows=CHUNK)

    assert (report["batch_id"], report["status"]) == (killed.id, "completed")
    assert (report["accepted"], report["rejected"]) == (ROWS, 0)
    assert stored(file_engine, source) == ROWS


def test_cli_ingest_of_a_file_being_imported_exits_non_zero_with_the_reason(
    file_engine, penalties, tmp_path
):
    source = make_source(file_engine)
    key = claim_key(
        department_id(file_engine, source), "administrative_penalty", file_sha256(penalties)
    )
    env = {
        **os.environ,
        "XINYONG_DATABASE_URL": file_engine.url.render_as_string(hide_password=False),
        "XINYONG_SECRET_KEY": SECRET.decode(),
        "XINYONG_DATA_DIR": str(tmp_path),
    }
    command = [sys.executable, "-c", "from xinyong.cli import app; app()", "ingest"]
    command += [str(penalties), "--type", "administrative_penalty", "--source", source]

    with claim_file(file_engine, key) as held:  # this process imports the file meanwhile
        assert held
        human = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        as_json = subprocess.run(
            [*command, "--json"], env=env, capture_output=True, text=True, timeout=120
        )

    assert human.returncode == 1, human.stderr
    assert "正在由另一个导入进程处理" in human.stderr
    assert "ingest.already_running" in human.stderr
    assert "Traceback" not in human.stderr
    assert as_json.returncode == 1
    problem = json.loads(as_json.stdout)
    assert (problem["status"], problem["code"]) == (409, "ingest.already_running")
    assert batches_of(file_engine, source) == []

    report = run_file(file_engine, penalties, source)  # the claim is free again
    assert (report["status"], report["accepted"]) == ("completed", ROWS)


def test_claim_is_held_by_one_holder_at_a_time(file_engine):
    key = claim_key(1, "administrative_penalty", "0" * 64)
    with claim_file(file_engine, key) as first:
        with claim_file(file_engine, key, wait=0) as second:
            assert (first, second) == (True, False)
        with claim_file(file_engine, claim_key(2, "administrative_penalty", "0" * 64)) as other:
            assert other, "another file's claim is independent"
    with claim_file(file_engine, key, wait=0) as again:
        assert again


_IMPORT = """
import sys
from pathlib import Path

from xinyong.catalog.loader import default_catalog
from xinyong.db import make_engine
from xinyong.ingest.runner import FileIngestOptions, ingest_file
from xinyong.ingest.service import Actor

url, path, source, secret = sys.argv[1:5]
options = FileIngestOptions(
    record_type="administrative_penalty", source=source, secret=secret.encode(), chunk_rows=50
)
ingest_file(make_engine(url), default_catalog(), Path(path), options, actor=Actor("cli", "admin"))
"""


def test_two_files_of_one_source_import_side_by_side(file_engine, tmp_path):
    """On SQLite a chunk that read before the other import committed could not write after
    it ("database is locked" at once); each chunk now takes the write lock first and waits."""
    source = make_source(file_engine)
    files = [
        write_csv(tmp_path / f"{name}.csv", [penalty_row() for _ in range(1500)])
        for name in ("a", "b")
    ]
    url = file_engine.url.render_as_string(hide_password=False)
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _IMPORT, url, str(path), source, SECRET.decode()],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path in files
    ]
    errors = [child.communicate(timeout=300)[1] for child in children]
    assert [child.returncode for child in children] == [0, 0], errors
    batches = batches_of(file_engine, source)
    assert [(b.status, b.accepted, b.rejected) for b in batches] == [
        (BatchStatus.COMPLETED, 1500, 0)
    ] * 2
    assert stored(file_engine, source) == 3000
