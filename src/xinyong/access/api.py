"""HTTP routes of authorizations (授权) and the query log (查询登记)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from xinyong.access import service
from xinyong.access.deps import ScopesDep
from xinyong.access.models import QueryChannel
from xinyong.access.schemas import GrantCreate, GrantRead, QueryLogPage, ScopeRead
from xinyong.http.deps import PrincipalDep, SessionDep, SettingsDep
from xinyong.http.params import RowId
from xinyong.http.problems import problem_responses
from xinyong.kit import clock

router = APIRouter(tags=["授权与查询登记"])

Page = Annotated[int, Query(ge=1, le=100_000, description="页码")]
Size = Annotated[int, Query(ge=1, le=200, description="每页条数")]


@router.get("/grant-scopes", response_model=list[ScopeRead], summary="可授权的信息范围")
def grant_scopes(scopes: ScopesDep) -> list[ScopeRead]:
    return [
        ScopeRead(id=s.id, name=s.name, record_types=s.record_types, includes=list(s.includes))
        for s in scopes.scopes
    ]


@router.post(
    "/grants",
    response_model=GrantRead,
    status_code=201,
    summary="企业授权金融机构查询本企业信用信息（最长 365 天）",
    responses=problem_responses(401, 403, 404, 422),
)
def create_grant(
    body: GrantCreate,
    scopes: ScopesDep,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> GrantRead:
    return service.create_grant(
        session,
        scopes,
        principal=principal,
        data=body,
        secret=settings.hmac_key,
        now=clock.now(),
    )


@router.get(
    "/grants",
    response_model=list[GrantRead],
    summary="授权列表（企业看本企业的授权，银行看授予本机构的授权，管理员看全部）",
    responses=problem_responses(401, 403),
)
def list_grants(session: SessionDep, principal: PrincipalDep) -> list[GrantRead]:
    return service.list_grants(session, principal=principal, now=clock.now())


@router.post(
    "/grants/{grant_id}/revoke",
    response_model=GrantRead,
    summary="撤销授权（立即生效）",
    responses=problem_responses(401, 403, 404),
)
def revoke_grant(
    grant_id: RowId,
    session: SessionDep,
    principal: PrincipalDep,
) -> GrantRead:
    return service.revoke_grant(session, principal=principal, grant_id=grant_id, now=clock.now())


@router.get(
    "/subjects/{code}/query-log",
    response_model=QueryLogPage,
    summary="本主体被查询记录（查询登记）：谁、哪个机构、为何、查了什么、何时",
    responses=problem_responses(401, 403, 404, 422),
)
def subject_query_log(
    code: str,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    page: Page = 1,
    size: Size = 50,
) -> QueryLogPage:
    return service.subject_query_log(
        session,
        principal=principal,
        code=code,
        secret=settings.hmac_key,
        page=page,
        size=size,
        now=clock.now(),
    )


@router.get(
    "/query-log",
    response_model=QueryLogPage,
    summary="检索查询登记（信用办管理员）",
    responses=problem_responses(401, 403, 404, 422),
)
def search_query_log(
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    subject_code: Annotated[str | None, Query(max_length=40, description="主体代码")] = None,
    organisation_code: Annotated[
        str | None, Query(max_length=32, description="查询机构代码")
    ] = None,
    channel: Annotated[QueryChannel | None, Query(description="查询方式")] = None,
    from_at: Annotated[datetime | None, Query(alias="from", description="起始时间（含）")] = None,
    to_at: Annotated[datetime | None, Query(alias="to", description="截止时间（不含）")] = None,
    page: Page = 1,
    size: Size = 50,
) -> QueryLogPage:
    return service.search_query_log(
        session,
        principal=principal,
        subject_code=subject_code,
        organisation_code=organisation_code,
        channel=channel,
        from_at=from_at,
        to_at=to_at,
        secret=settings.hmac_key,
        page=page,
        size=size,
        now=clock.now(),
    )
