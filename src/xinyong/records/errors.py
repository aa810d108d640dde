"""Errors of reading records and credit files."""

from __future__ import annotations

from xinyong.errors import FieldProblem


class AsOfNotToday(FieldProblem):
    """Public and third-party views exist for today only: a past date would show records whose
    publicity has ended."""

    def __init__(self) -> None:
        super().__init__(
            "as_of.today_only",
            "as_of",
            "公开查询和授权查询只提供当日的公示信息，不能指定其他查询日期",
        )
