"""How much one import may hold (files, rows, columns, cells, rejects), and the pure guards.

The values come from ``Settings`` (``XINYONG_INGEST_MAX_*``); :data:`DEFAULT_LIMITS` are the
shipped defaults, for callers that are not given a configuration (tests, the demo loader).
"""

from __future__ import annotations

from dataclasses import dataclass

from xinyong.config import Settings


@dataclass(frozen=True)
class IngestLimits:
    max_file_bytes: int
    max_rows: int
    max_columns: int
    max_field_chars: int
    max_rejects: int

    @classmethod
    def from_settings(cls, settings: Settings) -> IngestLimits:
        return cls(
            max_file_bytes=settings.ingest_max_file_bytes,
            max_rows=settings.ingest_max_rows,
            max_columns=settings.ingest_max_columns,
            max_field_chars=settings.ingest_max_field_chars,
            max_rejects=settings.ingest_max_rejects,
        )


# The defaults of the Settings fields, without reading the environment.
DEFAULT_LIMITS = IngestLimits.from_settings(Settings.model_construct())


def too_many_rejects(rejected: int, limits: IngestLimits) -> bool:
    """A batch stops once its rejected rows pass the limit ("past N rejects")."""
    return rejected > limits.max_rejects


def header_width(header: list[str]) -> int:
    """Columns up to the last titled one: trailing empty cells are formatting, not columns."""
    width = len(header)
    while width and not header[width - 1].strip():
        width -= 1
    return width
