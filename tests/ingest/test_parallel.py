"""Preparing chunks in a worker process stores exactly what preparing them in-process does."""

from __future__ import annotations

from factories.ingest import penalty_row, person_penalty_row, run_file, write_csv
from factories.records import make_source, quarantined, records_of


def _snapshot(engine, source):
    return sorted(
        (
            r.source_key,
            r.version,
            r.status,
            r.severity,
            r.publicised,
            r.publicity_ends_on,
            r.repair_possible_from,
            r.content_hash,
        )
        for r in records_of(engine, source)
    )


def test_worker_process_gives_the_same_records_and_rejects(file_engine, tmp_path):
    rows = [penalty_row() for _ in range(120)]
    rows += [person_penalty_row(CF_WSH=f"人罚〔2024〕{i}号") for i in range(5)]
    rows += [penalty_row(CF_JDRQ="2024-02-30"), rows[3]]  # a bad date and a duplicate
    path = write_csv(tmp_path / "penalties.csv", rows)
    inline_source = make_source(file_engine)
    parallel_source = make_source(file_engine)

    inline = run_file(file_engine, path, inline_source, chunk_rows=20)
    parallel = run_file(
        file_engine, path, parallel_source, chunk_rows=20, workers=1, parallel_min_bytes=0
    )

    assert {k: inline[k] for k in ("accepted", "rejected")} == {
        k: parallel[k] for k in ("accepted", "rejected")
    }
    assert inline["rejects"] == parallel["rejects"]
    assert {r["code"] for r in parallel["rejects"]} == {"date.invalid", "row.duplicate"}
    assert _snapshot(file_engine, inline_source) == _snapshot(file_engine, parallel_source)
    assert len(quarantined(file_engine, parallel["batch_id"])) == 2
