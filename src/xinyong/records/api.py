"""HTTP routes of subjects and credit files."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from xinyong.http.deps import CatalogDep, PrincipalDep, SessionDep, SettingsDep
from xinyong.http.problems import problem_responses
from xinyong.kit import clock
from xinyong.records import service
from xinyong.records.schemas import CreditFile, SubjectPage

router = APIRouter(tags=["信用档案"])


@router.get(
    "/subjects",
    response_model=SubjectPage,
    summary="按名称或统一社会信用代码查询信用主体",
    responses=problem_responses(422),
)
def search_subjects(
    session: SessionDep,
    principal: PrincipalDep,
    q: Annotated[str, Query(max_length=100, description="名称关键字或统一社会信用代码")] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SubjectPage:
    return service.search_subjects(
        session, q=q, page=page, size=size, principal=principal, now=clock.now()
    )


@router.get(
    "/subjects/{code}/file",
    response_model=CreditFile,
    summary="信用档案（按调用者权限返回公开、本主体或内部视图）",
    responses=problem_responses(401, 404, 422),
)
def credit_file(
    code: str,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    catalog: CatalogDep,
    as_of: Annotated[date | None, Query(description="查询日期，默认今天")] = None,
) -> CreditFile:
    return service.read_file(
        session,
        catalog,
        code=code,
        principal=principal,
        secret=settings.secret_key.get_secret_value().encode(),
        as_of=as_of or clock.today(),
        now=clock.now(),
    )
