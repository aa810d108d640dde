"""File downloads over the API: a CSV export answered instead of the JSON of the same route."""

from __future__ import annotations

from typing import Any, Final

from fastapi import Response

CSV_RESPONSE: Final[dict[str, Any]] = {
    "content": {"text/csv": {}},
    "description": "JSON，或 format=csv 时的 CSV 文件",
}


def csv_download(text: str, filename: str) -> Response:
    """``text`` as a CSV attachment named ``filename``. Build ``text`` with
    :func:`xinyong.kit.spreadsheet.csv_text`, which neutralises formula cells; ``filename`` is
    the route's own fixed name, never the caller's."""
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
