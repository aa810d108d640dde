from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from xinyong.accounts.models import Department
from xinyong.catalog.loader import default_catalog
from xinyong.ingest.runner import FileIngestOptions, ingest_file
from xinyong.records.models import Record
from xinyong.subjects.models import Subject
from xinyong.synth import SynthManifest, load_into, read_manifest
from xinyong.synth.cli import synth_app
from xinyong.synth.load import SYNTH_ACTOR

from .conftest import ENTERPRISES, RECORDS

SECRET = b"synth-test-secret"


def test_generated_files_ingest_with_zero_rejects(
    synth_set: tuple[Path, SynthManifest], databases: Any
) -> None:
    out, manifest = synth_set
    engine = databases.migrated_engine("sqlite")
    steps: list[tuple[str, int, int]] = []
    reports = load_into(engine, out, secret=SECRET, progress=lambda *a: steps.append(a))

    assert len(reports) == len(manifest.files)
    assert reports[0]["record_type"] == "registration"
    for report in reports:
        assert report["rejected"] == 0, (report["file"], report["rejects"][:5])
        assert report["unknown_columns"] == [], report["file"]
    assert sum(r["accepted"] for r in reports) == ENTERPRISES + RECORDS
    assert steps[-1] == ("done", ENTERPRISES + RECORDS, ENTERPRISES + RECORDS)

    with engine.connect() as conn:
        per_type = {
            code: n
            for code, n in conn.execute(
                select(Record.record_type, func.count()).group_by(Record.record_type)
            )
        }
        assert per_type == manifest.counts
        organisations = conn.scalar(
            select(func.count()).select_from(Subject).where(Subject.uscc.is_not(None))
        )
        assert organisations == ENTERPRISES
        regimes = set(
            conn.scalars(select(Record.regime_id).where(Record.regime_id.is_not(None)).distinct())
        )
        assert regimes == {r.id for r in default_catalog().regimes}
        assert conn.scalar(select(func.count()).select_from(Department)) == len(
            {f.department for f in manifest.files}
        )


def test_loading_again_changes_nothing_and_parquet_matches_csv(
    synth_set: tuple[Path, SynthManifest], databases: Any
) -> None:
    out, manifest = synth_set
    engine = databases.migrated_engine("sqlite")
    load_into(engine, out, secret=SECRET)
    catalog = default_catalog()
    for item in manifest.files:
        report = ingest_file(
            engine,
            catalog,
            out / item.files["parquet"],
            FileIngestOptions(record_type=item.record_type, source=item.department, secret=SECRET),
            actor=SYNTH_ACTOR,
        )
        assert report["rejected"] == 0
        assert report["unchanged"] == item.rows, item


def test_cli_writes_a_data_set_when_mounted_like_the_root_app(tmp_path: Path) -> None:
    app = typer.Typer()
    app.add_typer(synth_app, name="synth")

    @app.command()
    def other() -> None:  # the root app has several commands
        pass

    out = tmp_path / "data"
    result = CliRunner().invoke(
        app,
        ["synth", "--enterprises", "20", "--records", "100", "--out", str(out), "--format", "csv"],
    )
    assert result.exit_code == 0, result.output
    manifest = read_manifest(out)
    assert manifest.persons == 10
    assert manifest.formats == ["csv"]
    assert sum(manifest.counts.values()) == 120


def test_cli_refuses_an_unknown_format(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        synth_app,
        ["--enterprises", "2", "--records", "1", "--out", str(tmp_path), "--format", "xls"],
    )
    assert result.exit_code != 0
