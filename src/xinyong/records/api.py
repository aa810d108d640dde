"""HTTP routes of subjects and credit files."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from xinyong.http.deps import PrincipalDep, SessionDep
from xinyong.http.problems import problem_responses
from xinyong.kit import clock
from xinyong.kit.storable import StorableStr
from xinyong.records import service
from xinyong.records.schemas import SubjectPage

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
