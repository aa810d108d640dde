"""HTTP routes of the credit file and subject search."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request

from xinyong.credit_file import service
from xinyong.credit_file.schemas import CreditFileWithLists, SubjectPage
from xinyong.credit_file.setup import CreditFileSetupDep
from xinyong.http.deps import CatalogDep, PrincipalDep, SessionDep, SettingsDep, count_person_lookup
from xinyong.http.params import PersonName
from xinyong.http.problems import problem_responses
from xinyong.kit import clock
from xinyong.kit.storable import StorableStr

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
    q: Annotated[
        StorableStr, Query(max_length=100, description="名称关键字或统一社会信用代码")
    ] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SubjectPage:
    return service.search_subjects(
        session, q=q, page=page, size=size, principal=principal, now=clock.now()
    )


@router.get(
    "/subjects/{code}/file",
    response_model=CreditFileWithLists,
    summary="信用档案（按调用者权限返回公开、本主体或内部视图，含名单）",
    responses=problem_responses(401, 403, 404, 422),
)
def credit_file(
    code: str,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    catalog: CatalogDep,
    setup: CreditFileSetupDep,
    as_of: Annotated[
        date | None,
        Query(description="查询日期，默认今天；公开查询和授权查询只能是今天"),
    ] = None,
    scopes: Annotated[
        list[StorableStr] | None,
        Query(max_length=20, description="授权查询时只取这些范围（默认全部已授权范围）"),
    ] = None,
    purpose: Annotated[
        StorableStr | None,
        Query(max_length=200, description="政府部门查询的事由（记入查询登记）"),
    ] = None,
    name: PersonName = None,
) -> CreditFileWithLists:
    count_person_lookup(request, principal, code)
    return service.read_file(
        session,
        catalog,
        setup.lists,
        code=code,
        principal=principal,
        scope_definitions=setup.scopes,
        secret=settings.hmac_key,
        as_of=as_of or clock.today(),
        now=clock.now(),
        scopes=scopes,
        purpose=purpose,
        name=name,
        repair_status=setup.repair_status,
        scorecards=setup.scorecards,
    )
