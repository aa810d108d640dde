"""HTTP routes of credit repair: guide, eligibility, applications, review tasks, metrics."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response

from xinyong.errors import Forbidden, NotFound
from xinyong.http.deps import CatalogDep, PrincipalDep, SessionDep, provide
from xinyong.http.downloads import CSV_RESPONSE, csv_download
from xinyong.http.params import RowId
from xinyong.http.problems import problem_responses
from xinyong.kit import clock
from xinyong.repair import read, review, service
from xinyong.repair.guide import build_guide
from xinyong.repair.metrics import metrics_csv, repair_metrics
from xinyong.repair.rules import RepairRules
from xinyong.repair.schemas import (
    ApplicationCreate,
    ApplicationRead,
    Eligibility,
    Guide,
    Metrics,
    SupplementIn,
    SupplementRequest,
    TaskDecision,
    TaskRead,
)
from xinyong.repair.setup import RepairSetup

router = APIRouter(tags=["信用修复"])


RepairSetupDep = Annotated[RepairSetup, Depends(provide(RepairSetup))]
RulesDep = Annotated[RepairRules, Depends(provide(RepairRules))]


@router.get(
    "/repair/guide", response_model=Guide, summary="信用修复办事指南（公开，由修复规则生成）"
)
def guide(rules: RulesDep, catalog: CatalogDep) -> Guide:
    return build_guide(rules, catalog)


@router.get(
    "/repair/guide/{record_type}",
    response_model=Guide,
    summary="某一信息类型的修复指南",
    responses=problem_responses(404),
)
def guide_for_type(
    record_type: Annotated[str, Path(max_length=48)], rules: RulesDep, catalog: CatalogDep
) -> Guide:
    if catalog.get(record_type) is None:
        raise NotFound(
            "repair.unknown_record_type", f"未知的信息类型：{record_type}", field_name="record_type"
        )
    return build_guide(rules, catalog, record_type)


@router.get(
    "/repair/eligibility",
    response_model=Eligibility,
    summary="本企业每条失信信息能否修复、为何不能、何时可以",
    responses=problem_responses(401, 403, 404, 422),
)
def eligibility(
    session: SessionDep,
    principal: PrincipalDep,
    setup: RepairSetupDep,
    subject_code: Annotated[
        str | None, Query(max_length=40, description="统一社会信用代码；企业账号省略时为本企业")
    ] = None,
) -> Eligibility:
    return read.eligibility_of(
        session,
        setup,
        principal=principal,
        code=subject_code,
        now=clock.now(),
    )


@router.post(
    "/repair/applications",
    response_model=ApplicationRead,
    status_code=201,
    summary="一次申请，全平台修复（免费）",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def submit(
    body: ApplicationCreate,
    session: SessionDep,
    principal: PrincipalDep,
    setup: RepairSetupDep,
) -> ApplicationRead:
    return service.submit(
        session,
        setup,
        principal=principal,
        data=body,
        now=clock.now(),
    )


@router.get(
    "/repair/applications",
    response_model=list[ApplicationRead],
    summary="本企业的修复申请",
    responses=problem_responses(401, 403),
)
def list_applications(
    session: SessionDep, principal: PrincipalDep, catalog: CatalogDep
) -> list[ApplicationRead]:
    return read.list_applications(session, catalog, principal=principal, now=clock.now())


@router.get(
    "/repair/applications/{application_id}",
    response_model=ApplicationRead,
    summary="修复申请的进度、材料、各部门任务和办理记录",
    responses=problem_responses(401, 404),
)
def read_application(
    application_id: RowId, session: SessionDep, principal: PrincipalDep, catalog: CatalogDep
) -> ApplicationRead:
    return read.read_application(
        session, catalog, application_id=application_id, principal=principal, now=clock.now()
    )


@router.post(
    "/repair/applications/{application_id}/supplement",
    response_model=ApplicationRead,
    summary="补正材料（各部门恢复计时）",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def supplement(
    application_id: RowId,
    body: SupplementIn,
    session: SessionDep,
    principal: PrincipalDep,
    setup: RepairSetupDep,
) -> ApplicationRead:
    return review.supplement(
        session,
        setup,
        principal=principal,
        application_id=application_id,
        data=body,
        now=clock.now(),
    )


@router.get(
    "/repair/tasks",
    response_model=list[TaskRead],
    summary="本部门的修复审核任务",
    responses=problem_responses(401, 403),
)
def list_tasks(
    session: SessionDep,
    principal: PrincipalDep,
    catalog: CatalogDep,
    status: Annotated[
        Literal["pending", "supplement_requested", "decided", "expired"] | None, Query()
    ] = None,
    overdue: Annotated[bool | None, Query(description="只看已超期的待审核任务")] = None,
) -> list[TaskRead]:
    return review.list_tasks(
        session, catalog, principal=principal, status=status, overdue=overdue, now=clock.now()
    )


@router.post(
    "/repair/tasks/{task_id}/decision",
    response_model=TaskRead,
    summary="逐条决定：准予修复，或不予修复并说明理由",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def decide(
    task_id: RowId,
    body: TaskDecision,
    session: SessionDep,
    principal: PrincipalDep,
    setup: RepairSetupDep,
) -> TaskRead:
    return review.decide(
        session,
        setup,
        principal=principal,
        task_id=task_id,
        data=body,
        now=clock.now(),
    )


@router.post(
    "/repair/tasks/{task_id}/supplement-request",
    response_model=TaskRead,
    summary="要求补正材料（本部门暂停计时）",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def request_supplement(
    task_id: RowId,
    body: SupplementRequest,
    session: SessionDep,
    principal: PrincipalDep,
    setup: RepairSetupDep,
) -> TaskRead:
    return review.request_supplement(
        session,
        setup,
        principal=principal,
        task_id=task_id,
        reason=body.reason,
        now=clock.now(),
    )


@router.get(
    "/repair/metrics",
    response_model=Metrics,
    summary="修复办理用时（工作日中位数、平均数）、网上办理占比、按部门和信息类型统计（format=csv 导出）",
    responses={**problem_responses(401, 403, 422), 200: CSV_RESPONSE},
)
def metrics(
    session: SessionDep,
    principal: PrincipalDep,
    catalog: CatalogDep,
    from_date: Annotated[date | None, Query(alias="from")] = None,
    to_date: Annotated[date | None, Query(alias="to")] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Metrics | Response:
    result = repair_metrics(
        session, catalog, principal=principal, from_date=from_date, to_date=to_date
    )
    if format == "csv":
        return csv_download(metrics_csv(result), "repair-metrics.csv")
    return result


@router.post(
    "/repair/sweep",
    summary="终止逾期未补正的申请项（管理员；worker 也会定时执行）",
    responses=problem_responses(401, 403),
)
def sweep(session: SessionDep, principal: PrincipalDep) -> dict[str, int]:
    principal.require_admin(Forbidden("repair.admin_only", "仅限信用办管理员"))
    return {"expired_tasks": review.expire_supplements(session, now=clock.now())}
