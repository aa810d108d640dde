"""What one import may hold. Past a limit the import is refused with a stable code and a
Chinese message: before anything is stored when the file shows it up front (size, unpacked
size, header width), or by stopping the batch when it shows mid-file (rows, rejects), keeping
the chunks already stored and the rejects already quarantined. A cell past its field's limit
rejects its row only, and no megabyte of text is stored anywhere."""

from __future__ import annotations

import dataclasses
import zipfile
from typing import Any

import pytest
from sqlalchemy import select

from factories.accounts import make_department
from factories.ingest import penalty_row, run_file, titled, write_csv, write_xlsx
from factories.records import batches_of, make_source, push, quarantined, records_of
from xinyong.db import unit_of_work
from xinyong.ingest.errors import (
    FileTooLarge,
    TooManyColumns,
    TooManyFileRows,
    TooManyRejects,
)
from xinyong.ingest.limits import DEFAULT_LIMITS, IngestLimits, too_many_rejects
from xinyong.ingest.models import Batch, BatchStatus
from xinyong.records.models import Record

MEGABYTE_OF_TEXT = "当事人销售过期食品。" * 100_000


def limits(**overrides: Any) -> IngestLimits:
    return dataclasses.replace(DEFAULT_LIMITS, **overrides)


def bad(**overrides: str) -> dict[str, str]:
    return penalty_row(CF_JDRQ="2024-02-30", **overrides)


class TestRefusedBeforeAnyWrite:
    def test_file_past_the_size_limit_stores_nothing(self, file_engine, tmp_path):
        source = make_source(file_engine)
        path = write_csv(tmp_path / "p.csv", [penalty_row() for _ in range(20)])
        with pytest.raises(FileTooLarge) as exc:
            run_file(file_engine, path, source, limits=limits(max_file_bytes=2048))
        assert (exc.value.status, exc.value.code) == (413, "ingest.file_too_large")
        assert (
            exc.value.title
            == "文件超过 0.00195312 MB 的上限，整个文件未导入：请拆分为多个文件后分别导入"
        )
        assert batches_of(file_engine, source) == []

    def test_xlsx_that_unpacks_past_the_size_limit_stores_nothing(self, file_engine, tmp_path):
        source = make_source(file_engine)
        rows = [titled(penalty_row()) for _ in range(300)]
        path = write_xlsx(tmp_path / "p.xlsx", [list(rows[0]), *[list(r.values()) for r in rows]])
        packed = path.stat().st_size
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(i.file_size for i in archive.infolist())
        assert unpacked > 2 * packed
        with pytest.raises(FileTooLarge) as exc:
            run_file(file_engine, path, source, limits=limits(max_file_bytes=packed + 1))
        assert exc.value.code == "ingest.file_too_large"
        assert exc.value.title.startswith("XLSX 文件解压后的内容超过")
        assert batches_of(file_engine, source) == []

    def test_header_past_the_column_limit_stores_nothing(self, file_engine, tmp_path):
        source = make_source(file_engine)
        row = {**penalty_row(), **{f"备用列{i}": "" for i in range(30)}}
        path = write_csv(tmp_path / "p.csv", [row])
        with pytest.raises(TooManyColumns) as exc:
            run_file(file_engine, path, source, limits=limits(max_columns=40))
        assert exc.value.code == "ingest.too_many_columns"
        assert exc.value.title == f"表头有 {len(row)} 列，超过 40 列的上限，整个文件未导入"
        assert batches_of(file_engine, source) == []

    def test_trailing_empty_header_cells_are_not_columns(self, file_engine, tmp_path):
        source = make_source(file_engine)
        row = penalty_row()
        header = [*row, *[""] * 50]
        path = write_xlsx(tmp_path / "p.xlsx", [header, list(row.values())])
        report = run_file(file_engine, path, source, limits=limits(max_columns=len(row)))
        assert (report["status"], report["accepted"]) == ("completed", 1)


def assert_stopped(engine, source: str, code: str) -> Batch:
    [batch] = batches_of(engine, source)
    assert batch.status is BatchStatus.STOPPED
    assert batch.finished_at is not None
    assert batch.stats["stop"]["code"] == code
    return batch


class TestStoppedMidFile:
    def test_rows_past_the_row_limit_stop_the_batch_keeping_those_within(
        self, file_engine, tmp_path
    ):
        source = make_source(file_engine)
        rows = [penalty_row() for _ in range(400)]
        path = write_csv(tmp_path / "p.csv", rows)
        with pytest.raises(TooManyFileRows) as exc:
            run_file(file_engine, path, source, chunk_rows=100, limits=limits(max_rows=250))
        batch = assert_stopped(file_engine, source, "ingest.too_many_file_rows")
        assert exc.value.title.startswith(
            f"文件（工作表）超过 250 行的上限，已停止导入（批次 {batch.id}）"
        )
        assert batch.stats["stop"]["message"] == exc.value.title
        assert (batch.rows_done, batch.accepted) == (250, 250)
        assert {r.source_key for r in records_of(file_engine, source)} == {
            r["CF_ID"] for r in rows[:250]
        }

    def test_blank_rows_count_towards_the_row_limit(self, file_engine, tmp_path):
        source = make_source(file_engine)
        row = penalty_row()
        lines = [list(row), *[[]] * 300, list(row.values())]
        path = write_xlsx(tmp_path / "p.xlsx", lines)
        with pytest.raises(TooManyFileRows):
            run_file(file_engine, path, source, limits=limits(max_rows=100))
        batch = assert_stopped(file_engine, source, "ingest.too_many_file_rows")
        assert batch.accepted == 0

    def test_too_many_rejects_stop_the_batch_keeping_good_rows_and_rejects(
        self, file_engine, tmp_path
    ):
        source = make_source(file_engine)
        good = [penalty_row() for _ in range(100)]
        rows = [*good, *[bad() for _ in range(300)], *[penalty_row() for _ in range(100)]]
        path = write_csv(tmp_path / "p.csv", rows)
        with pytest.raises(TooManyRejects) as exc:
            run_file(file_engine, path, source, chunk_rows=100, limits=limits(max_rejects=150))
        batch = assert_stopped(file_engine, source, "ingest.too_many_rejects")
        assert (exc.value.status, exc.value.code) == (422, "ingest.too_many_rejects")
        assert exc.value.title.startswith(
            f"超过 150 行被拒收，已停止导入（批次 {batch.id}）：已处理的 300 行中"
        )
        # whole chunks: the one that passed the limit is stored with its checkpoint
        assert (batch.rows_done, batch.accepted, batch.rejected) == (300, 100, 200)
        assert len(quarantined(file_engine, batch.id)) == 200
        assert {r.source_key for r in records_of(file_engine, source)} == {r["CF_ID"] for r in good}

    def test_a_stopped_batch_is_not_resumed(self, file_engine, tmp_path):
        source = make_source(file_engine)
        path = write_csv(tmp_path / "p.csv", [bad() for _ in range(30)])
        options: dict[str, Any] = {"chunk_rows": 10, "limits": limits(max_rejects=5)}
        with pytest.raises(TooManyRejects):
            run_file(file_engine, path, source, **options)
        with pytest.raises(TooManyRejects):
            run_file(file_engine, path, source, **options)
        first, second = batches_of(file_engine, source)
        assert (first.status, second.status) == (BatchStatus.STOPPED, BatchStatus.STOPPED)
        assert (first.rows_done, second.rows_done) == (10, 10)

    def test_reject_limit_is_passed_only_beyond_it(self):
        assert not too_many_rejects(150, limits(max_rejects=150))
        assert too_many_rejects(151, limits(max_rejects=150))

    @pytest.mark.slow
    def test_default_reject_limit_stops_an_xlsx_row_bomb(self, file_engine, tmp_path):
        source = make_source(file_engine)
        row = titled(bad())
        path = write_xlsx(tmp_path / "bomb.xlsx", [list(row), *[list(row.values())] * 12_000])
        assert path.stat().st_size < 1 << 20
        with pytest.raises(TooManyRejects):
            run_file(file_engine, path, source, chunk_rows=1000)
        batch = assert_stopped(file_engine, source, "ingest.too_many_rejects")
        assert (batch.rows_done, batch.rejected) == (11_000, 11_000)  # not the 12 000


def stored_text(engine) -> str:
    with unit_of_work(engine) as session:
        return "".join(str(f) for f in session.scalars(select(Record.fields)))


class TestCells:
    def test_a_megabyte_in_a_public_field_rejects_its_row_only(self, file_engine, tmp_path):
        source = make_source(file_engine)
        good = penalty_row()
        path = write_csv(tmp_path / "p.csv", [good, penalty_row(CF_SY=MEGABYTE_OF_TEXT)])
        report = run_file(file_engine, path, source)
        assert report["rejects"] == [
            {
                "row": 3,
                "field": "violation_facts",
                "code": "value.too_long",
                "message": "违法事实超过4000个字符",
            }
        ]
        assert [r.source_key for r in records_of(file_engine, source)] == [good["CF_ID"]]
        [kept] = quarantined(file_engine, report["batch_id"])
        shown = kept.raw["violation_facts"]
        assert shown.startswith(MEGABYTE_OF_TEXT[:500])
        assert shown.endswith(f"…（共 {len(MEGABYTE_OF_TEXT)} 个字符，此处只保留前 500 个）")
        assert MEGABYTE_OF_TEXT[:4001] not in stored_text(file_engine)

    def test_the_catalogs_max_length_comes_before_the_default(self, file_engine, tmp_path):
        source = make_source(file_engine)
        path = write_csv(tmp_path / "p.csv", [penalty_row(CF_WSH="杭" * 201)])
        [reject] = run_file(file_engine, path, source)["rejects"]
        assert (reject["field"], reject["message"]) == (
            "decision_number",
            "行政处罚决定书文号超过200个字符",
        )

    def test_the_default_cell_limit_is_a_setting(self, file_engine, tmp_path):
        source = make_source(file_engine)
        path = write_csv(tmp_path / "p.csv", [penalty_row(CF_NR="罚款" * 40)])
        [reject] = run_file(file_engine, path, source, limits=limits(max_field_chars=50))["rejects"]
        assert (reject["field"], reject["message"]) == ("penalty_content", "处罚内容超过50个字符")

    def test_unknown_column_names_are_kept_short(self, file_engine, tmp_path):
        source = make_source(file_engine)
        path = write_csv(tmp_path / "p.csv", [{**penalty_row(), "备注" * 5_000: "x"}])
        report = run_file(file_engine, path, source)
        assert report["unknown_columns"] == ["备注" * 50]


class TestApiRows:
    def test_a_megabyte_in_a_public_field_is_refused_through_the_api(self, session):
        source = make_department(session).code
        report = push(session, source, [penalty_row(), penalty_row(CF_SY=MEGABYTE_OF_TEXT)])
        assert (report["accepted"], report["status"]) == (1, "completed")
        assert [(r["row"], r["code"]) for r in report["rejects"]] == [(2, "value.too_long")]

    def test_a_call_past_the_reject_limit_is_refused_whole(self, session):
        source = make_department(session).code
        rows = [penalty_row(), *[penalty_row(CF_JDRQ="2024-02-30") for _ in range(3)]]
        with pytest.raises(TooManyRejects) as exc:
            push(session, source, rows, limits=limits(max_rejects=2))
        assert (exc.value.code, exc.value.errors[0].field) == ("ingest.too_many_rejects", "rows")
        assert exc.value.title == (
            "超过 2 行被拒收，已停止导入，本次提交未保存任何数据。请按拒收原因修正后重新导入"
        )
        # refused whole, even inside a transaction that goes on
        assert session.scalars(select(Batch)).all() == []
        assert session.scalars(select(Record)).all() == []
