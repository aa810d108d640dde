"""Streaming readers: encodings, header detection, merged header cells, typed cells."""

from __future__ import annotations

import codecs
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl.utils import get_column_letter

from factories.ingest import (
    penalty_row,
    titled,
    with_stale_dimension,
    write_csv,
    write_table_csv,
    write_xlsx,
)
from xinyong.catalog.loader import default_catalog
from xinyong.catalog.validation import map_header
from xinyong.ingest.readers import UnreadableFile, cell_text, detect_encoding, open_table

PENALTY = default_catalog().types["administrative_penalty"]


def score(header) -> int:
    return len(map_header(PENALTY, header).columns)


def read(path: Path) -> tuple[int, list[str], list[tuple[int, list[str]]], str | None]:
    with open_table(path, score) as table:
        return table.header_row, table.header, list(table.rows), table.encoding


class TestDetectEncoding:
    @pytest.mark.parametrize(
        ("sample", "expected"),
        [
            ("行政处罚".encode(), "utf-8"),
            (codecs.BOM_UTF8 + "行政处罚".encode(), "utf-8-sig"),
            ("行政处罚".encode("gb18030"), "gb18030"),
            (b"CF_ID,CF_WSH", "utf-8"),
            ("行政处罚".encode("utf-16"), "utf-16"),
            # a multi-byte character cut at the end of the sample is still UTF-8
            ("行政处罚".encode()[:-1], "utf-8"),
        ],
    )
    def test_detect(self, sample, expected):
        assert detect_encoding(sample) == expected


class TestCellText:
    @pytest.mark.parametrize(
        ("value", "text"),
        [
            (None, ""),
            (datetime(2024, 6, 1), "2024-06-01"),
            (datetime(2024, 6, 1, 9, 30), "2024-06-01 09:30:00"),
            (date(2024, 6, 1), "2024-06-01"),
            (5.0, "5"),
            (0.5, "0.5"),
            (913301060000000013, "913301060000000013"),
            ("文本", "文本"),
        ],
    )
    def test_cell_text(self, value, text):
        assert cell_text(value) == text


class TestCsv:
    @pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
    def test_chinese_headers_in_every_encoding(self, tmp_path, encoding):
        rows = [titled(penalty_row()), titled(penalty_row())]
        header_row, header, data, detected = read(
            write_csv(tmp_path / "p.csv", rows, encoding=encoding)
        )
        assert detected == encoding
        assert header_row == 1
        assert header == list(rows[0])
        assert [n for n, _ in data] == [2, 3]
        assert data[0][1] == list(rows[0].values())

    def test_title_rows_above_header_are_skipped(self, tmp_path):
        row = penalty_row()
        lines = [
            ["行政处罚信息公示表"],
            ["填报单位：杭州市市场监督管理局", "", "日期：2024-06-30"],
            list(row),
            list(row.values()),
        ]
        header_row, header, data, _ = read(write_table_csv(tmp_path / "p.csv", lines))
        assert header_row == 3
        assert header == list(row)
        assert data == [(4, list(row.values()))]

    def test_tab_separated(self, tmp_path):
        row = penalty_row()
        path = tmp_path / "p.tsv"
        path.write_text("\t".join(row) + "\n" + "\t".join(row.values()) + "\n", encoding="utf-8")
        _, header, data, _ = read(path)
        assert header == list(row)
        assert data[0][1] == list(row.values())

    def test_quoted_cells_with_commas_and_newlines(self, tmp_path):
        row = penalty_row(CF_SY="第一，\n第二, 第三")
        _, _, data, _ = read(write_csv(tmp_path / "p.csv", [row]))
        assert data[0][1][list(row).index("CF_SY")] == "第一，\n第二, 第三"

    @pytest.mark.parametrize("content", [b"", b"   \n\n", b"\xef\xbb\xbf"])
    def test_empty(self, tmp_path, content):
        path = tmp_path / "p.csv"
        path.write_bytes(content)
        with pytest.raises(UnreadableFile) as exc:
            read(path)
        assert exc.value.code == "ingest.empty_file"
        assert exc.value.errors[0].field == "file"

    def test_only_blank_cells(self, tmp_path):
        path = write_table_csv(tmp_path / "p.csv", [["", ""], ["", " "]])
        with pytest.raises(UnreadableFile) as exc:
            read(path)
        assert exc.value.code == "ingest.empty_file"

    def test_missing_file(self, tmp_path):
        with pytest.raises(UnreadableFile) as exc:
            read(tmp_path / "nope.csv")
        assert exc.value.code == "ingest.file_not_found"
        assert exc.value.title == "找不到文件：nope.csv"

    def test_undecodable_bytes(self, tmp_path):
        path = tmp_path / "p.csv"
        path.write_bytes(b"CF_ID,CF_WSH\n" + "行政处罚".encode("utf-16-le") + b"\xff\xfe\n")
        with pytest.raises(UnreadableFile) as exc:
            read(path)
        assert exc.value.code == "ingest.encoding"


class TestXlsx:
    def test_title_row_merged_across_all_columns(self, tmp_path):
        row = titled(penalty_row())
        header = list(row)
        last = get_column_letter(len(header))
        path = write_xlsx(
            tmp_path / "p.xlsx",
            [["行政处罚信息公示表"], header, list(row.values())],
            merges=[f"A1:{last}1"],
        )
        header_row, found, data, encoding = read(path)
        assert (header_row, found, encoding) == (2, header, None)
        assert data == [(3, list(row.values()))]

    def test_two_row_header_with_vertical_merges(self, tmp_path):
        row = titled(penalty_row())
        header = list(row)
        n = len(header)
        # B1:D1 groups three subject columns; every other title spans rows 1–2
        group = [header[0], "行政相对人信息", None, None, *header[4:]]
        sub = [None, *header[1:4], *[None] * (n - 4)]
        merges = [
            "B1:D1",
            *[
                f"{get_column_letter(i + 1)}1:{get_column_letter(i + 1)}2"
                for i in [0, *range(4, n)]
            ],
        ]
        path = write_xlsx(tmp_path / "p.xlsx", [group, sub, list(row.values())], merges=merges)
        header_row, found, data, _ = read(path)
        assert header_row == 2
        assert found == header
        assert data == [(3, list(row.values()))]

    def test_damaged_xlsx(self, tmp_path):
        path = tmp_path / "p.xlsx"
        path.write_bytes(b"this is not a zip file")
        with pytest.raises(UnreadableFile) as exc:
            read(path)
        assert exc.value.code == "ingest.bad_xlsx"
        assert exc.value.title.startswith("无法读取 XLSX 文件")


class TestParquet:
    def test_parquet_columns_and_typed_values(self, tmp_path):
        row = penalty_row()
        columns = {k: [v] for k, v in row.items()}
        columns["CF_JDRQ"] = [date(2024, 6, 1)]
        columns["CF_NR_FK"] = [5.0]
        path = tmp_path / "p.parquet"
        pq.write_table(pa.table(columns), path)
        header_row, header, data, _ = read(path)
        assert (header_row, header) == (1, list(row))
        cells = dict(zip(header, data[0][1], strict=True))
        assert (cells["CF_JDRQ"], cells["CF_NR_FK"]) == ("2024-06-01", "5")

    def test_damaged_parquet(self, tmp_path):
        path = tmp_path / "p.parquet"
        path.write_bytes(b"PAR1 nope")
        with pytest.raises(UnreadableFile) as exc:
            read(path)
        assert exc.value.code == "ingest.bad_parquet"


class TestStaleDimension:
    def test_xlsx_rows_and_columns_past_a_stale_dimension_are_read(self, tmp_path):
        rows = [titled(penalty_row()) for _ in range(10)]
        header = list(rows[0])
        path = write_xlsx(tmp_path / "p.xlsx", [header, *[list(r.values()) for r in rows]])
        with_stale_dimension(path, "A1:B3")
        header_row, found, data, _ = read(path)
        assert (header_row, found) == (1, header)
        assert data == [(i + 2, list(r.values())) for i, r in enumerate(rows)]
