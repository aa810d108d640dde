"""Ingest benchmark: a synthetic 双公示 penalty CSV through validation alone, then through
``ingest_file`` into a fresh SQLite file and a fresh PostgreSQL database.

    .venv/bin/python bench/ingest.py [--rows 1000000] [--db sqlite|postgresql|both]

Each phase runs in its own process so its peak RSS is its own. The CSV is kept in bench/out/
(git-ignored) and reused when present. PostgreSQL: a new database on
postgresql+psycopg://postgres@127.0.0.1:5432 (override with --pg-admin-url), dropped afterwards.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from xinyong.accounts import service as accounts
from xinyong.catalog.loader import default_catalog
from xinyong.catalog.validation import RowValidator, map_header
from xinyong.db import make_engine, unit_of_work
from xinyong.ingest.readers import open_table
from xinyong.ingest.runner import FileIngestOptions, ingest_file
from xinyong.ingest.service import Actor
from xinyong.kit import clock
from xinyong.migrations import upgrade
from xinyong.synth import penalty_rows
from xinyong.synth.subjects import DEPARTMENTS

OUT = Path(__file__).parent / "out"
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SECRET = b"bench-secret"
DEPARTMENT = DEPARTMENTS["SCJG"]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def ensure_csv(rows: int) -> Path:
    path = OUT / f"penalty_{rows}.csv"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    _, header, body = penalty_rows(
        rows_wanted=rows, enterprises=max(1000, rows // 20), persons=max(100, rows // 40)
    )
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(body)
    partial.rename(path)
    size = path.stat().st_size / 2**20
    print(f"generated {path} ({rows} rows, {size:.0f} MiB) in {time.perf_counter() - started:.1f}s")
    return path


def phase_validate(path: Path) -> dict[str, Any]:
    """Read, map and validate every row without a database: the parse/validate cost."""
    rt = default_catalog().types["administrative_penalty"]
    validator = RowValidator(rt)
    started = time.perf_counter()
    count = errors = 0
    with open_table(path, lambda h: len(map_header(rt, h).columns)) as table:
        columns = map_header(rt, table.header).columns
        for _, cells in table.rows:
            raw = {name: cells[i] for i, name in columns if i < len(cells)}
            errors += bool(validator.validate(raw).errors)
            count += 1
    wall = time.perf_counter() - started
    return {"rows": count, "rejected": errors, "wall_s": wall}


def _fresh_database(backend: str, admin_url: str) -> tuple[str, str | None]:
    if backend == "sqlite":
        db = OUT / f"bench_{uuid.uuid4().hex[:8]}.db"
        return f"sqlite:///{db.as_posix()}", str(db)
    name = f"xinyong_bench_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}", name


def _drop_database(backend: str, handle: str | None, admin_url: str) -> None:
    if backend == "sqlite" and handle:
        for suffix in ("", "-wal", "-shm"):
            Path(handle + suffix).unlink(missing_ok=True)
    elif handle:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{handle}" WITH (FORCE)'))
        admin.dispose()


def phase_ingest(
    path: Path, backend: str, admin_url: str, chunk_rows: int, workers: int
) -> dict[str, Any]:
    url, handle = _fresh_database(backend, admin_url)
    engine = make_engine(url)
    try:
        upgrade(engine)
        with unit_of_work(engine) as session:
            accounts.create_department(
                session,
                code=DEPARTMENT.code,
                name=DEPARTMENT.name,
                uscc=DEPARTMENT.uscc,
                sector=DEPARTMENT.sector,
                now=clock.now(),
            )
        chunks = 0

        def step(_rows: int, _size: int) -> None:
            nonlocal chunks
            chunks += 1

        started = time.perf_counter()
        report = ingest_file(
            engine,
            default_catalog(),
            path,
            FileIngestOptions(
                record_type="administrative_penalty",
                source=DEPARTMENT.code,
                secret=SECRET,
                chunk_rows=chunk_rows,
                workers=workers,
            ),
            actor=Actor(actor="bench", role="system"),
            progress=step,
        )
        wall = time.perf_counter() - started
    finally:
        engine.dispose()
        _drop_database(backend, handle, admin_url)
    keys = ("accepted", "updated", "unchanged", "revoked", "rejected")
    return {"wall_s": wall, "chunks": chunks, **{k: report[k] for k in keys}}


def run_phase(args: argparse.Namespace) -> None:
    path = Path(args.csv)
    if args.phase == "validate":
        result = phase_validate(path)
    else:
        result = phase_ingest(path, args.phase, args.pg_admin_url, args.chunk_rows, args.workers)
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--chunk-rows", type=int, default=5000)
    parser.add_argument(
        "--workers", type=int, default=0, help="processes preparing chunks (0: all in-process)"
    )
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL)
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--csv", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        run_phase(args)
        return
    path = ensure_csv(args.rows)
    phases = ["validate"]
    phases += ["sqlite"] if args.db in ("sqlite", "both") else []
    phases += ["postgresql"] if args.db in ("postgresql", "both") else []
    print(f"{'phase':<12}{'rows/s':>10}{'wall s':>9}{'peak MiB':>10}  batch counts")
    for phase in phases:
        command = [sys.executable, __file__, "--phase", phase, "--csv", str(path)]
        command += ["--chunk-rows", str(args.chunk_rows), "--pg-admin-url", args.pg_admin_url]
        command += ["--workers", str(args.workers)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"{phase:<12} failed: {done.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        rate = args.rows / r["wall_s"]
        counts = {k: r[k] for k in ("chunks", "accepted", "unchanged", "rejected") if k in r}
        print(f"{phase:<12}{rate:>10,.0f}{r['wall_s']:>9.1f}{r['peak_rss_mb']:>10.0f}  {counts}")


if __name__ == "__main__":
    main()
