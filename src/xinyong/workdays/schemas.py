"""Requests and responses of the holiday table and the deadline helper."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

DaySource = Literal["chinesecalendar", "override", "weekday_rule"]


class HolidaySet(BaseModel):
    """One day of the State Council notice: a holiday, or a make-up workday (调休上班)."""

    is_workday: bool = Field(description="true：调休上班；false：放假")
    name: str = Field(min_length=1, max_length=64, description="节日名称，如 春节")
    note: str | None = Field(
        default=None, max_length=500, description="依据，如 国办发明电〔2026〕X号"
    )


class HolidayCreate(HolidaySet):
    day: date


class HolidayDayRead(BaseModel):
    """A day whose status differs from the plain Mon–Fri rule, or that an admin set."""

    day: date
    weekday: int = Field(description="1=星期一 … 7=星期日")
    is_workday: bool
    name: str | None
    source: DaySource
    override: bool
    note: str | None = None
    set_by: str | None = None
    set_at: datetime | None = None


class HolidayYearRead(BaseModel):
    year: int
    known: bool = Field(description="该年日历已知（chinesecalendar 收录或管理员已标记完整录入）")
    in_chinesecalendar: bool
    completed: bool = Field(description="管理员已标记该年完整录入")
    completed_by: str | None = None
    completed_at: datetime | None = None
    days: list[HolidayDayRead]


class YearComplete(BaseModel):
    note: str | None = Field(
        default=None, max_length=500, description="依据，如国务院办公厅通知文号"
    )


class DeadlineRead(BaseModel):
    start: date = Field(description="触发日（不计入期限）")
    days: int
    due: date = Field(description="第 N 个工作日")
    provisional: bool = Field(description="暂定：期间含尚未公布节假日安排的日期，按周一至周五计算")
