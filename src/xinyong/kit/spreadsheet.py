"""CSV for spreadsheet programs: UTF-8 with a BOM, so that Excel reads the Chinese, and no cell
a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Final

# OWASP "CSV injection": Excel, WPS and LibreOffice run a cell starting with one of these as a
# formula (=HYPERLINK(…), +cmd|…, -2+3, @SUM(…)); tab and CR are trimmed first, so they start one
# too. The full-width forms are what a Chinese input method types and some versions accept.
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
# A plain number (-5, -0.25) is never a formula: it stays a number in the spreadsheet.
_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def safe_cell(value: object) -> object:
    """``value`` as a spreadsheet shows it without running it: numbers, and text that is a plain
    number, unchanged; other text that could start a formula prefixed with ``'``."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def csv_text(header: Sequence[object], rows: Iterable[Sequence[object]]) -> str:
    """``header`` then ``rows`` as CSV text starting with a BOM, every cell through
    :func:`safe_cell`: the one writer of every CSV the platform exports."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(v) for v in header])
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return "\ufeff" + out.getvalue()
