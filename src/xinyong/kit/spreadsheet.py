"""CSV for spreadsheet programs: UTF-8 with a BOM, so that Excel reads the Chinese."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence


def csv_text(header: Sequence[object], rows: Iterable[Sequence[object]]) -> str:
    """``header`` then ``rows`` as CSV text starting with a BOM."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return "\ufeff" + out.getvalue()
