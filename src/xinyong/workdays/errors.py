"""Errors of the holiday table."""

from __future__ import annotations

from datetime import date

from xinyong.errors import FieldProblem, Forbidden, NotFound


class AdminOnly(Forbidden):
    def __init__(self) -> None:
        super().__init__("workdays.admin_only", "维护节假日表仅限信用办管理员")


class OverrideNotFound(NotFound):
    def __init__(self, day: date) -> None:
        super().__init__(
            "workdays.override_not_found",
            f"{day.isoformat()} 没有管理员设置的节假日或调休记录",
            field_name="day",
        )


class YearOutOfRange(FieldProblem):
    def __init__(self, year: int) -> None:
        super().__init__(
            "workdays.year_out_of_range", "year", f"年份 {year} 超出支持范围（2004–2100）"
        )


class DaysOutOfRange(FieldProblem):
    def __init__(self, days: int) -> None:
        super().__init__("workdays.days_out_of_range", "days", f"工作日数 {days} 须在 0–366 之间")


class YearNotComplete(NotFound):
    def __init__(self, year: int) -> None:
        super().__init__(
            "workdays.year_not_complete", f"{year} 年尚未标记为已完整录入", field_name="year"
        )
