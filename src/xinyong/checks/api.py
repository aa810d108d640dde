"""HTTP routes of credit checks, feedback, statistics and the published measures catalog."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel

from xinyong.checks import service, stats
from xinyong.checks.measures import Area, Measure, MeasureCatalog
from xinyong.checks.schemas import (
    BatchCheckRequest,
    BatchCheckResult,
    CheckRequest,
    CheckResult,
    CheckStats,
    FeedbackIn,
    FeedbackRead,
    StatsBy,
)
from xinyong.http.deps import PrincipalDep, SessionDep, provide
from xinyong.http.downloads import CSV_RESPONSE, csv_download
from xinyong.http.problems import problem_responses
from xinyong.kit import clock

router = APIRouter(tags=["信用核查"])

CheckId = Annotated[int, Path(ge=1, le=2**31 - 1, description="核查编号")]


CheckSetupDep = Annotated[service.CheckSetup, Depends(provide(service.CheckSetup))]
MeasuresDep = Annotated[MeasureCatalog, Depends(provide(MeasureCatalog))]


class MeasureList(BaseModel):
    version: int
    effective_from: date
    reference: str
    measures: list[Measure]


@router.get(
    "/measures",
    response_model=MeasureList,
    summary="守信激励与失信惩戒措施清单（公开；未公布的措施不得实施）",
)
def list_measures(
    catalog: MeasuresDep,
    area: Annotated[Area | None, Query(description="只看某一领域")] = None,
) -> MeasureList:
    chosen = [m for m in catalog.measures if area is None or area in m.areas]
    return MeasureList(
        version=catalog.version,
        effective_from=catalog.effective_from,
        reference=catalog.reference,
        measures=chosen,
    )


@router.post(
    "/checks",
    response_model=CheckResult,
    summary="信用核查：返回办理建议（最严适用措施）、措施及依据、评价等级和名单",
    responses=problem_responses(401, 403, 422),
)
def check(
    body: CheckRequest,
    session: SessionDep,
    principal: PrincipalDep,
    setup: CheckSetupDep,
) -> CheckResult:
    return service.check_subject(
        session,
        setup,
        principal=principal,
        request=body,
        now=clock.now(),
    )


@router.post(
    "/checks:batch",
    response_model=BatchCheckResult,
    summary="批量信用核查（如投标人名单，最多 1000 个主体）",
    responses=problem_responses(401, 403, 422),
)
def check_batch(
    body: BatchCheckRequest,
    session: SessionDep,
    principal: PrincipalDep,
    setup: CheckSetupDep,
) -> BatchCheckResult:
    return service.check_batch(
        session,
        setup,
        principal=principal,
        request=body,
        now=clock.now(),
    )


@router.get(
    "/checks/stats",
    response_model=CheckStats,
    summary="核查统计：按领域、部门、结论或措施汇总（format=csv 导出）",
    responses={
        **problem_responses(401, 403, 422),
        200: CSV_RESPONSE,
    },
)
def check_stats(
    measures: MeasuresDep,
    session: SessionDep,
    principal: PrincipalDep,
    from_date: Annotated[date | None, Query(alias="from", description="起始日期（含）")] = None,
    to_date: Annotated[date | None, Query(alias="to", description="截止日期（含）")] = None,
    by: Annotated[
        StatsBy, Query(description="分组：area、department、decision、measure")
    ] = "decision",
    format: Annotated[Literal["json", "csv"], Query(description="json 或 csv")] = "json",
) -> CheckStats | Response:
    result = stats.check_stats(
        session,
        measures,
        principal=principal,
        from_date=from_date,
        to_date=to_date,
        by=by,
        now=clock.now(),
    )
    if format == "csv":
        return csv_download(stats.stats_csv(result), f"checks-by-{by}.csv")
    return result


@router.get(
    "/checks/{check_id}",
    response_model=CheckResult,
    summary="查看一次核查的结论（本部门或管理员）",
    responses=problem_responses(401, 403, 404),
)
def read_check(check_id: CheckId, session: SessionDep, principal: PrincipalDep) -> CheckResult:
    return service.read_check(session, principal=principal, check_id=check_id, now=clock.now())


@router.post(
    "/checks/{check_id}/feedback",
    response_model=FeedbackRead,
    summary="反馈办理结果（每次核查一次；采纳须列入重点监管的措施时主体列入重点监管名单）",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def feedback(
    check_id: CheckId, body: FeedbackIn, session: SessionDep, principal: PrincipalDep
) -> FeedbackRead:
    return service.give_feedback(
        session, principal=principal, check_id=check_id, data=body, now=clock.now()
    )
