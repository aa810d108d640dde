"""Calendar-month arithmetic (民法典 Arts 201–202) and tolerant parsing of dates in source data."""

from __future__ import annotations

import calendar
import re
from datetime import MAXYEAR, MINYEAR, date

from xinyong.kit.identifiers import mask_text_ids


class DateParseError(ValueError):
    """A date that could not be read: ``code`` is ``date.invalid`` (no such day) or
    ``date.format`` (not a recognised layout); ``message`` is Chinese."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


def add_months(d: date, months: int) -> date:
    """The last day of a period of ``months`` calendar months that starts after ``d``.

    民法典 Art 201: the day of the event is not counted, so the period begins the next day;
    Art 202: a period in months ends on the corresponding day of the last month, or on that
    month's last day when it has no such day. Hence 2026-04-10 + 3 → 2026-07-10 and
    2024-11-30 + 3 → 2025-02-28. Negative ``months`` count backwards the same way.

    A period that would end after 9999-12-31 ends on ``date.max``, one that would start before
    0001-01-01 on ``date.min``: no stored or requested date lies beyond them, so comparisons
    are unchanged and far-off dates (有效期 9999-12-31, ``as_of`` 0001-01-01) stay answerable.
    """
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    if year > MAXYEAR:
        return date.max
    if year < MINYEAR:
        return date.min
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def add_years(d: date, years: int) -> date:
    """``add_months(d, 12 * years)``: 2024-02-29 + 1 year → 2025-02-28."""
    return add_months(d, 12 * years)


_TIME = r"(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?)?"
_DATE_LAYOUTS = re.compile(
    r"(?:(\d{4})([-/.])(\d{1,2})\2(\d{1,2})"  # 2024-02-03, 2024/2/3, 2024.02.03
    r"|(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"  # 2024年2月3日
    r"|(\d{4})(\d{2})(\d{2}))" + _TIME  # 20240203
)
_MAX_ECHO = 40


def _echo(raw: str) -> str:
    """The input as shown in a message: ID numbers masked (a misplaced column must not leak
    them into logs and error reports), long values cut."""
    shown = mask_text_ids(raw)
    return shown if len(shown) <= _MAX_ECHO else shown[:_MAX_ECHO] + "…"


def parse_date(raw: str) -> date:
    """Read a date written as ``2024-02-03``, ``2024/2/3``, ``2024.02.03``, ``20240203`` or
    ``2024年2月3日``, optionally followed by a time (``2024-02-03 10:00:00``,
    ``2024-02-03T10:00:00``), which is dropped.

    Raises :class:`DateParseError`. The ISO form, the common case on ingest, takes one C call.
    """
    if len(raw) == 10 and raw[4] == "-" and raw[7] == "-":
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass  # e.g. 2024-02-30 or 2024-2-3x: the regex below says which error
    text = raw.strip()
    m = _DATE_LAYOUTS.fullmatch(text)
    if m is None:
        raise DateParseError("date.format", f"无法识别的日期格式：{_echo(text)}")
    g = m.groups()
    if g[0] is not None:
        year, month, day = int(g[0]), int(g[2]), int(g[3])
    elif g[4] is not None:
        year, month, day = int(g[4]), int(g[5]), int(g[6])
    else:
        year, month, day = int(g[7]), int(g[8]), int(g[9])
    hour, minute, second = g[10], g[11], g[12]
    if hour is not None and (
        int(hour) > 23 or int(minute) > 59 or (second is not None and int(second) > 59)
    ):
        raise DateParseError("date.format", f"无法识别的日期格式：{_echo(text)}")
    try:
        return date(year, month, day)
    except ValueError:
        raise DateParseError(
            "date.invalid", f"日期不存在：{year:04d}-{month:02d}-{day:02d}"
        ) from None
