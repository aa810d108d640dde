"""Tables of workdays: the admin's overrides of single days and the years fully entered.

chinesecalendar (pinned 1.11.0) supplies 2004–2026; a row here wins over it and over the
Mon–Fri fallback (DOMAIN.md decision 3). A year in ``holiday_years`` has had the State
Council's notice entered completely, so deadlines falling in it are no longer provisional.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, UTCDateTime


class HolidayOverride(Base):
    """One day set by an admin: a holiday (is_workday false) or a make-up workday (调休)."""

    __tablename__ = "holiday_overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())


class HolidayYear(Base):
    """A year whose official calendar the admin has entered completely."""

    __tablename__ = "holiday_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    note: Mapped[str | None] = mapped_column(Text)
    completed_by: Mapped[str] = mapped_column(String(64))
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime())
