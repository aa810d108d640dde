"""A file's chunks mark the subjects whose records they stored, each in its own transaction, so
that the grades of those subjects are computed afresh (``xinyong.freshness``)."""

from __future__ import annotations

from sqlalchemy import select

from factories.ingest import penalty_row, run_file, write_csv
from factories.records import make_source, records_of
from xinyong.db import unit_of_work
from xinyong.freshness.models import EVERY_MODEL, StaleMark


def test_a_file_marks_the_subjects_of_the_records_it_stored(file_engine, tmp_path):
    source = make_source(file_engine)
    rows = [penalty_row(), penalty_row()]
    report = run_file(file_engine, write_csv(tmp_path / "p.csv", rows), source, chunk_rows=1)

    subjects = {r.subject_id for r in records_of(file_engine, source)}
    with unit_of_work(file_engine) as s:
        marks = s.execute(
            select(StaleMark.subject_id, StaleMark.model_id).where(
                StaleMark.reason == f"ingest:{report['batch_id']}"
            )
        ).all()
    assert len(subjects) == 2
    assert sorted(marks) == sorted((sid, EVERY_MODEL) for sid in subjects)


def test_a_file_pushed_again_unchanged_marks_nothing_new(file_engine, tmp_path):
    source = make_source(file_engine)
    path = write_csv(tmp_path / "p.csv", [penalty_row()])
    run_file(file_engine, path, source)
    with unit_of_work(file_engine) as s:
        s.execute(StaleMark.__table__.delete())
    again = run_file(file_engine, path, source)

    assert again["unchanged"] == 1
    with unit_of_work(file_engine) as s:
        assert s.scalars(select(StaleMark)).all() == []
