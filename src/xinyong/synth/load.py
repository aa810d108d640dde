"""Loading a generated data set: register its departments, then ingest every file of the
manifest (registration first, so subjects carry their registered details) through the same
file runner departments use."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from sqlalchemy.engine import Engine

from xinyong.accounts import service as accounts
from xinyong.audit import service as audit
from xinyong.catalog.loader import Catalog, default_catalog
from xinyong.db import unit_of_work
from xinyong.ingest.runner import FileIngestOptions, ingest_file
from xinyong.ingest.service import Actor
from xinyong.kit import clock
from xinyong.synth.generate import DEPARTMENTS_FILE, REGISTRATION, SynthFile, read_manifest

SYNTH_ACTOR: Final = Actor(actor="synth", role="system")

# (stage, rows done, rows total)
Progress = Callable[[str, int, int], None]


def ensure_departments(engine: Engine, out_dir: Path) -> list[str]:
    """Create the departments of ``departments.csv`` that do not exist yet; their codes."""
    created: list[str] = []
    with (out_dir / DEPARTMENTS_FILE).open(encoding="utf-8", newline="") as fh:
        wanted = list(csv.DictReader(fh))
    with unit_of_work(engine) as session:
        now = clock.now()
        for row in wanted:
            if accounts.get_department(session, row["code"]) is not None:
                continue
            dept = accounts.create_department(
                session,
                code=row["code"],
                name=row["name"],
                uscc=row["uscc"] or None,
                sector=row["sector"] or None,
                now=now,
            )
            audit.record(
                session,
                actor=SYNTH_ACTOR.actor,
                actor_role=SYNTH_ACTOR.role,
                action="department.create",
                object_type="department",
                object_id=str(dept.id),
                detail={
                    "code": dept.code,
                    "name": dept.name,
                    "sector": dept.sector,
                    "via": "synth",
                },
                now=now,
            )
            created.append(dept.code)
    return created


def _ordered(files: list[SynthFile]) -> list[SynthFile]:
    return sorted(files, key=lambda f: f.record_type != REGISTRATION)  # stable otherwise


def load_into(
    engine: Engine,
    out_dir: Path,
    *,
    secret: bytes,
    progress: Progress | None = None,
    catalog: Catalog | None = None,
    strict_org_code: bool = False,
    chunk_rows: int = 5000,
) -> list[dict[str, Any]]:
    """Ingest every file of ``out_dir``'s manifest; one batch report per file, each with the
    ``record_type``, ``department`` and ``file`` it came from. Re-running skips nothing but
    changes nothing: identical rows come back as ``unchanged``."""
    catalog = catalog or default_catalog()
    manifest = read_manifest(out_dir)
    ensure_departments(engine, out_dir)
    fmt = "csv" if "csv" in manifest.formats else manifest.formats[0]
    total = sum(f.rows for f in manifest.files)
    done = 0
    reports: list[dict[str, Any]] = []
    for item in _ordered(manifest.files):
        path = out_dir / item.files[fmt]
        before = done

        def step(rows_done: int, _size: int, *, stage: str = item.record_type, base=before) -> None:
            if progress is not None:
                progress(stage, base + rows_done, total)

        report = ingest_file(
            engine,
            catalog,
            path,
            FileIngestOptions(
                record_type=item.record_type,
                source=item.department,
                secret=secret,
                strict_org_code=strict_org_code,
                chunk_rows=chunk_rows,
            ),
            actor=SYNTH_ACTOR,
            progress=step,
        )
        done += item.rows
        reports.append(
            {"record_type": item.record_type, "department": item.department, "file": path.name}
            | report
        )
    if progress is not None:
        progress("done", total, total)
    return reports
