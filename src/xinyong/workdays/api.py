"""HTTP routes of workdays: the holiday table (admin) and the public deadline helper."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from xinyong.http.deps import PrincipalDep, SessionDep
from xinyong.http.problems import problem_responses
from xinyong.kit import clock
from xinyong.workdays import service
from xinyong.workdays.models import HolidayOverride
from xinyong.workdays.schemas import (
    DeadlineRead,
    HolidayCreate,
    HolidayDayRead,
    HolidaySet,
    HolidayYearRead,
    YearComplete,
)

router = APIRouter(tags=["节假日"])

Year = Annotated[int, Path(ge=service.MIN_YEAR, le=service.MAX_YEAR)]


def _read(row: HolidayOverride) -> HolidayDayRead:
    return HolidayDayRead(
        day=row.day,
        weekday=row.day.isoweekday(),
        is_workday=row.is_workday,
        name=row.name,
        source="override",
        override=True,
        note=row.note,
        set_by=row.set_by,
        set_at=row.set_at,
    )


@router.get(
    "/holidays",
    response_model=HolidayYearRead,
    summary="某年的节假日与调休（含管理员录入的日期）",
    responses=problem_responses(401, 403, 422),
)
def list_holidays(
    session: SessionDep,
    principal: PrincipalDep,
    year: Annotated[int | None, Query(ge=service.MIN_YEAR, le=service.MAX_YEAR)] = None,
) -> HolidayYearRead:
    return service.list_year(session, principal=principal, year=year or clock.today().year)


def _set(
    session: SessionDep, principal: PrincipalDep, day: date, body: HolidaySet
) -> HolidayDayRead:
    row = service.set_day(
        session,
        principal=principal,
        day=day,
        is_workday=body.is_workday,
        name=body.name,
        note=body.note,
        now=clock.now(),
    )
    return _read(row)


@router.put(
    "/holidays/{day}",
    response_model=HolidayDayRead,
    summary="录入或修改某日（放假或调休上班），优先于 chinesecalendar",
    responses=problem_responses(401, 403, 422),
)
def put_holiday(
    day: date, body: HolidaySet, session: SessionDep, principal: PrincipalDep
) -> HolidayDayRead:
    return _set(session, principal, day, body)


@router.post(
    "/holidays",
    response_model=HolidayDayRead,
    status_code=201,
    summary="录入某日（放假或调休上班）",
    responses=problem_responses(401, 403, 422),
)
def post_holiday(
    body: HolidayCreate, session: SessionDep, principal: PrincipalDep
) -> HolidayDayRead:
    return _set(session, principal, body.day, body)


@router.delete(
    "/holidays/{day}",
    status_code=204,
    summary="删除管理员录入的某日",
    responses=problem_responses(401, 403, 404),
)
def delete_holiday(day: date, session: SessionDep, principal: PrincipalDep) -> Response:
    service.remove_day(session, principal=principal, day=day, now=clock.now())
    return Response(status_code=204)


@router.post(
    "/holidays/years/{year}/complete",
    response_model=HolidayYearRead,
    summary="标记某年节假日已完整录入（该年期限不再为暂定）",
    responses=problem_responses(401, 403, 422),
)
def complete_year(
    year: Year, session: SessionDep, principal: PrincipalDep, body: YearComplete | None = None
) -> HolidayYearRead:
    service.complete_year(
        session, principal=principal, year=year, note=body.note if body else None, now=clock.now()
    )
    return service.list_year(session, principal=principal, year=year)


@router.delete(
    "/holidays/years/{year}/complete",
    status_code=204,
    summary="撤销某年的完整录入标记",
    responses=problem_responses(401, 403, 404),
)
def reopen_year(year: Year, session: SessionDep, principal: PrincipalDep) -> Response:
    service.reopen_year(session, principal=principal, year=year, now=clock.now())
    return Response(status_code=204)


@router.get(
    "/workdays/deadline",
    response_model=DeadlineRead,
    summary="N 个工作日后的到期日（公开；触发日不计入，暂定标记见 provisional）",
    responses=problem_responses(422),
)
def workday_deadline(
    session: SessionDep,
    start: Annotated[date, Query(alias="from", description="触发日")],
    days: Annotated[int, Query(ge=0, le=service.MAX_DAYS)],
) -> DeadlineRead:
    result = service.deadline(session, start=start, days=days)
    return DeadlineRead(start=start, days=days, due=result.due, provisional=result.provisional)
