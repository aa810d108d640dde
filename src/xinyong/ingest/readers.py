"""Streaming readers for CSV (UTF-8, UTF-8 with BOM, GB18030), XLSX and Parquet.

Rows are yielded one at a time so memory stays flat whatever the file size. The header row is
found among the first rows as the one naming the most catalog fields; cells left empty by a
vertically merged header take the name written above them.
"""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow.parquet as pq

from xinyong.errors import FieldProblem
from xinyong.ingest.errors import FileTooLarge

HEADER_SCAN_ROWS = 10
SNIFF_BYTES = 1 << 20
csv.field_size_limit(1 << 24)


class UnreadableFile(FieldProblem):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, "file", message)


@dataclass
class Table:
    """A header and the data rows after it, numbered as a person sees them in the file."""

    header: list[str]
    header_row: int
    rows: Iterator[tuple[int, list[str]]]
    encoding: str | None
    format: str


def detect_encoding(sample: bytes) -> str:
    """``utf-8-sig`` with a BOM, ``utf-8`` when the sample decodes, else ``gb18030``."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def cell_text(value: Any) -> str:
    """A cell as text: dates in ISO form, integral floats without ``.0``."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            value.date().isoformat()
            if value.time() == datetime.min.time()
            else value.isoformat(" ")
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


HeaderScore = Callable[[Sequence[str]], int]


def _pick_header(head: list[list[str]], score: HeaderScore) -> tuple[int, list[str]]:
    best_index, best_names, best_score = 0, head[0] if head else [], -1
    # Rows end at their last written cell: a header row whose titles are merged from above
    # may be shorter than the row above it.
    width = max((len(row) for row in head), default=0)
    for i, row in enumerate(head):
        names = list(row) + [""] * (width - len(row))
        for col, name in enumerate(names):
            if name.strip():
                continue
            for above in reversed(head[:i]):  # vertically merged header cell
                if col < len(above) and above[col].strip():
                    names[col] = above[col]
                    break
        s = score(names)
        if s > best_score:
            best_index, best_names, best_score = i, names, s
    return best_index, best_names


def _framed(
    raw_rows: Iterator[list[str]], score: HeaderScore, fmt: str, encoding: str | None
) -> Table:
    head: list[list[str]] = []
    for row in raw_rows:
        head.append(row)
        if len(head) >= HEADER_SCAN_ROWS:
            break
    head_nonempty = [r for r in head if any(c.strip() for c in r)]
    if not head_nonempty:
        raise UnreadableFile("ingest.empty_file", "文件为空，没有表头和数据行")
    index, header = _pick_header(head, score)

    def rows() -> Iterator[tuple[int, list[str]]]:
        number = index + 1
        for row in head[index + 1 :]:
            number += 1
            yield number, row
        for row in raw_rows:
            number += 1
            yield number, row

    return Table(header=header, header_row=index + 1, rows=rows(), encoding=encoding, format=fmt)


def require_file(path: Path) -> None:
    """Refuse a path that is not a readable regular file, before anything else touches it."""
    if not path.is_file():
        raise UnreadableFile("ingest.file_not_found", f"找不到文件：{path.name}")


@contextmanager
def open_table(path: Path, score: HeaderScore, *, max_bytes: int | None = None) -> Iterator[Table]:
    """Open ``path`` by its extension (.csv/.txt, .xlsx, .parquet) as a streaming table. An
    XLSX whose parts unpack to more than ``max_bytes`` is refused before it is read."""
    require_file(path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        with _open_xlsx(path, score, max_bytes) as table:
            yield table
    elif suffix == ".parquet":
        yield _open_parquet(path, score)
    elif suffix in (".csv", ".txt", ".tsv", ""):
        with _open_csv(path, score) as table:
            yield table
    else:
        raise UnreadableFile(
            "ingest.unsupported_format", f"不支持的文件格式：{suffix}（支持 CSV、XLSX、Parquet）"
        )


def _check_decodes(path: Path, encoding: str) -> None:
    """Decode the whole file once before any row is stored: the encoding is guessed from the
    first megabyte, and a file that fails later must be refused whole, not half imported."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                position = offset + exc.start
                raise UnreadableFile(
                    "ingest.encoding",
                    f"文件编码不一致：按 {encoding} 读取到第 {position} 字节处失败，"
                    "请将整个文件另存为 UTF-8 或 GB18030 后重新导入",
                ) from None
            offset += len(block)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise UnreadableFile(
                "ingest.encoding",
                f"文件结尾的字符不完整（按 {encoding} 读取），请检查文件是否被截断",
            ) from None


@contextmanager
def _open_csv(path: Path, score: HeaderScore) -> Iterator[Table]:
    with path.open("rb") as fh:
        sample = fh.read(SNIFF_BYTES)
    if not sample.strip():
        raise UnreadableFile("ingest.empty_file", "文件为空，没有表头和数据行")
    encoding = detect_encoding(sample)
    _check_decodes(path, encoding)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    with open(path, encoding=encoding, newline="", errors="strict") as text:
        reader = csv.reader(text, delimiter=delimiter)
        try:
            yield _framed(_csv_rows(reader), score, "csv", encoding)
        except UnicodeDecodeError:
            raise UnreadableFile(
                "ingest.encoding",
                f"文件编码无法识别（按 {encoding} 读取失败），请另存为 UTF-8 或 GB18030",
            ) from None


def _csv_rows(reader: Any) -> Iterator[list[str]]:
    """The parser's rows; a line it cannot parse (a cell over the parser's 16 MB) is a file
    problem with its line number, not a crash."""
    try:
        yield from reader
    except csv.Error:
        raise UnreadableFile(
            "ingest.bad_csv",
            f"CSV 文件第 {reader.line_num} 行无法解析（单元格过大或引号不成对），已停止读取",
        ) from None


def _unpacked_bytes(path: Path) -> int:
    # zipfile stops each part at its declared size, so the sum bounds what can be inflated.
    with zipfile.ZipFile(path) as archive:
        return sum(info.file_size for info in archive.infolist())


def _bad_xlsx(exc: Exception) -> UnreadableFile:
    return UnreadableFile("ingest.bad_xlsx", f"无法读取 XLSX 文件：{type(exc).__name__}")


def _load_workbook(path: Path, max_bytes: int | None) -> Any:
    try:
        unpacked = _unpacked_bytes(path)
    except Exception as exc:  # not a zip archive, or a damaged one
        raise _bad_xlsx(exc) from None
    if max_bytes is not None and unpacked > max_bytes:
        raise FileTooLarge(max_bytes, unpacked=True)
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise _bad_xlsx(exc) from None


@contextmanager
def _open_xlsx(path: Path, score: HeaderScore, max_bytes: int | None) -> Iterator[Table]:
    wb = _load_workbook(path, max_bytes)
    try:
        ws = wb.worksheets[0]
        # Read-only mode trusts the sheet's <dimension>, which many exporters leave stale
        # (A1:B3 over thousands of rows): rows and columns past it were silently dropped.
        ws.reset_dimensions()
        raw = ([cell_text(v) for v in row] for row in ws.iter_rows(values_only=True))
        yield _framed(raw, score, "xlsx", None)
    finally:
        wb.close()


def _open_parquet(path: Path, score: HeaderScore) -> Table:
    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:
        raise UnreadableFile(
            "ingest.bad_parquet", f"无法读取 Parquet 文件：{type(exc).__name__}"
        ) from None
    names = pf.schema_arrow.names

    def raw_rows() -> Iterator[list[str]]:
        yield list(names)
        for batch in pf.iter_batches(batch_size=10_000):
            columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
            for values in zip(*columns, strict=True):
                yield [cell_text(v) for v in values]

    return _framed(raw_rows(), score, "parquet", None)
