"""HTTP routes of ingestion and data quality."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from xinyong.accounts.models import Role
from xinyong.accounts.principal import Principal
from xinyong.audit import service as audit
from xinyong.errors import Forbidden, Unauthorized
from xinyong.http.deps import CatalogDep, PrincipalDep, SessionDep, SettingsDep
from xinyong.http.params import RowId
from xinyong.http.problems import problem_responses
from xinyong.ingest import service
from xinyong.ingest.limits import IngestLimits
from xinyong.ingest.service import Actor
from xinyong.kit import clock
from xinyong.kit.storable import StorableStr

router = APIRouter(tags=["归集"])


class RecordBatchIn(BaseModel):
    type: str = Field(description="信息类型代码，如 administrative_penalty", max_length=48)
    source: StorableStr | None = Field(
        default=None,
        description="数据来源单位代码；部门账号默认本部门，只有管理员可代报",
        max_length=32,
    )
    rows: list[dict[str, Any]] = Field(
        description="记录行，键可为字段名、中文列名或双公示代码（如 CF_WSH）",
        max_length=service.MAX_API_ROWS,
    )


class RejectOut(BaseModel):
    row: int
    field: str
    code: str
    message: str


class StopOut(BaseModel):
    code: str
    message: str


class BatchReport(BaseModel):
    batch_id: int
    status: str = Field(description="running（导入中）、completed（已完成）或 stopped（已停止）")
    stop: StopOut | None = Field(default=None, description="批次提前停止时的原因")
    accepted: int
    updated: int
    unchanged: int
    revoked: int
    rejected: int
    rejects: list[RejectOut]
    unknown_columns: list[str]


def _visible_source(principal: Principal) -> str | None:
    """Admins see every source (None); a department or its systems only their own."""
    if principal.is_anonymous:
        raise Unauthorized()
    if principal.role is Role.ADMIN:
        return None
    if principal.role in (Role.DEPARTMENT, Role.SYSTEM) and principal.department_code:
        return principal.department_code
    raise Forbidden("ingest.not_a_source", "该账号不是数据来源部门，无权查看归集批次和数据质量")


def _source_for(principal: Principal, requested: str | None) -> str:
    if principal.is_anonymous:
        raise Unauthorized()
    if principal.role is Role.ADMIN and requested:
        return requested
    if principal.role in (Role.DEPARTMENT, Role.SYSTEM) and principal.department_code:
        if requested and requested != principal.department_code:
            raise Forbidden("ingest.foreign_source", "只能报送本部门的数据")
        return principal.department_code
    raise Forbidden("ingest.not_a_source", "该账号不是数据来源部门，不能报送数据")


@router.post(
    "/records:batch",
    response_model=BatchReport,
    summary="部门批量报送信用记录（校验、幂等、更正与撤销）",
    responses=problem_responses(401, 403, 413, 422),
)
def post_records(
    body: RecordBatchIn,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    catalog: CatalogDep,
) -> dict[str, Any]:
    source = _source_for(principal, body.source)
    return service.ingest_rows(
        session,
        catalog,
        record_type=body.type,
        source=source,
        rows=body.rows,
        actor=Actor.of(principal),
        secret=settings.hmac_key,
        strict_org_code=settings.strict_org_code,
        now=clock.now(),
        limits=IngestLimits.from_settings(settings),
    )


class BatchPage(BaseModel):
    items: list[service.BatchSummary]
    total: int
    page: int
    size: int


@router.get(
    "/ingest/batches",
    response_model=BatchPage,
    summary="导入批次列表（部门只看到本部门的批次）",
    responses=problem_responses(401, 403),
)
def batches(
    session: SessionDep,
    principal: PrincipalDep,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    items, total = service.list_batches(
        session, department_code=_visible_source(principal), page=page, size=size
    )
    return {"items": items, "total": total, "page": page, "size": size}


@router.get(
    "/ingest/batches/{batch_id}",
    response_model=BatchReport,
    summary="一个导入批次的结果：计数和每条拒收原因",
    responses=problem_responses(401, 403, 404, 422),
)
def batch(
    batch_id: RowId,
    session: SessionDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    return service.read_batch_report(
        session,
        batch_id,
        principal=principal,
        department_code=_visible_source(principal),
        now=clock.now(),
    )


class FieldQualityOut(BaseModel):
    field: str
    label: str
    filled: int
    missing_rate: float


class SourceQualityOut(BaseModel):
    source: str
    source_name: str
    record_type: str
    batches: int
    rows: int
    valid_rows: int
    rejected: int
    reject_rate: float
    reject_reasons: dict[str, int]
    fields: list[FieldQualityOut]


@router.get(
    "/quality",
    response_model=list[SourceQualityOut],
    summary="数据质量报告：按来源单位统计拒收原因和字段缺失率",
    responses=problem_responses(401, 403, 422),
)
def quality(
    session: SessionDep,
    principal: PrincipalDep,
    catalog: CatalogDep,
    source: Annotated[StorableStr | None, Query(max_length=32)] = None,
) -> list[service.SourceQuality]:
    source = _visible_source(principal) or source
    report = service.quality_report(session, catalog, source=source)
    audit.record(
        session,
        actor=principal.actor,
        actor_role=principal.role_name,
        action="quality.read",
        object_type="department",
        object_id=source,
        detail={"sources": len(report)},
        now=clock.now(),
    )
    return report
