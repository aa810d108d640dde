"""HTTP routes of sync: deliveries to the credit platforms (read: internal roles; retry: admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from xinyong.http.deps import PrincipalDep, SessionDep, provide
from xinyong.http.params import RowId
from xinyong.http.problems import problem_responses
from xinyong.kit import clock
from xinyong.sync import service
from xinyong.sync.platforms import Platforms
from xinyong.sync.schemas import DeliveryDetail, DeliveryRead, PlatformRead
from xinyong.sync.workflow import DeliveryStatus

router = APIRouter(tags=["平台同步"])

PlatformsDep = Annotated[Platforms, Depends(provide(Platforms))]


@router.get(
    "/sync/deliveries",
    response_model=list[DeliveryRead],
    summary="推送到各信用平台的任务（可按状态、平台、是否超期筛选）",
    responses=problem_responses(401, 403, 422),
)
def list_deliveries(
    platforms: PlatformsDep,
    session: SessionDep,
    principal: PrincipalDep,
    status: Annotated[DeliveryStatus | None, Query()] = None,
    platform: Annotated[str | None, Query(max_length=32)] = None,
    overdue: Annotated[bool | None, Query(description="只看超过 3 个工作日仍未确认的")] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIST)] = 100,
) -> list[DeliveryRead]:
    return service.list_deliveries(
        session,
        platforms,
        principal=principal,
        status=status,
        platform=platform,
        overdue=overdue,
        now=clock.now(),
        limit=limit,
    )


@router.get(
    "/sync/deliveries/{delivery_id}",
    response_model=DeliveryDetail,
    summary="一个推送任务：内容、平台回执和每次尝试",
    responses=problem_responses(401, 403, 404),
)
def read_delivery(
    delivery_id: RowId, platforms: PlatformsDep, session: SessionDep, principal: PrincipalDep
) -> DeliveryDetail:
    return service.read_delivery(
        session, platforms, principal=principal, delivery_id=delivery_id, now=clock.now()
    )


@router.post(
    "/sync/deliveries/{delivery_id}/retry",
    response_model=DeliveryDetail,
    summary="立即重新推送（管理员）",
    responses=problem_responses(401, 403, 404, 409),
)
def retry(
    delivery_id: RowId, platforms: PlatformsDep, session: SessionDep, principal: PrincipalDep
) -> DeliveryDetail:
    return service.retry(
        session, platforms, principal=principal, delivery_id=delivery_id, now=clock.now()
    )


@router.get(
    "/sync/platforms",
    response_model=list[PlatformRead],
    summary="已配置的信用平台及其未确认、超期任务数",
    responses=problem_responses(401, 403),
)
def list_platforms(
    platforms: PlatformsDep, session: SessionDep, principal: PrincipalDep
) -> list[PlatformRead]:
    return service.list_platforms(session, platforms, principal=principal, now=clock.now())
