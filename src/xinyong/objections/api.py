"""HTTP routes of objections: file, read, the providing department's queue and decision."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from xinyong.http.deps import CatalogDep, PrincipalDep, SessionDep, provide
from xinyong.http.params import RowId
from xinyong.http.problems import problem_responses
from xinyong.kit import clock
from xinyong.objections import acceptance, decision, read, service
from xinyong.objections.schemas import (
    ObjectionAcceptance,
    ObjectionCreate,
    ObjectionDecision,
    ObjectionRead,
)
from xinyong.objections.setup import ObjectionSetup

router = APIRouter(tags=["信用异议"])


ObjectionSetupDep = Annotated[ObjectionSetup, Depends(provide(ObjectionSetup))]


@router.post(
    "/objections",
    response_model=ObjectionRead,
    status_code=201,
    summary="提出信用异议（信息主体本人提出的当即标注“异议处理中”；第三方提出的经数据来源部门受理后标注）",
    responses=problem_responses(401, 403, 404, 409, 413, 422),
)
def file_objection(
    body: ObjectionCreate,
    session: SessionDep,
    principal: PrincipalDep,
    setup: ObjectionSetupDep,
) -> ObjectionRead:
    return service.file_objection(session, setup, principal=principal, data=body, now=clock.now())


@router.get(
    "/objections",
    response_model=list[ObjectionRead],
    summary="本部门待处理的异议（审核员）；本人提出的异议（其他用户）",
    responses=problem_responses(401, 403),
)
def list_objections(
    session: SessionDep,
    principal: PrincipalDep,
    catalog: CatalogDep,
    status: Annotated[
        Literal["pending", "received", "open", "corrected", "withdrawn", "upheld", "dismissed"]
        | None,
        Query(description="pending 为待受理和处理中的全部异议"),
    ] = None,
    overdue: Annotated[
        bool | None, Query(description="只看已超过当前环节期限（受理或处理）的异议")
    ] = None,
) -> list[ObjectionRead]:
    return decision.list_objections(
        session, catalog, principal=principal, status=status, overdue=overdue, now=clock.now()
    )


@router.get(
    "/objections/{objection_id}",
    response_model=ObjectionRead,
    summary="异议的处理进度、结果和理由",
    responses=problem_responses(401, 404),
)
def read_objection(
    objection_id: RowId, session: SessionDep, principal: PrincipalDep, catalog: CatalogDep
) -> ObjectionRead:
    return read.read_objection(
        session, catalog, principal=principal, objection_id=objection_id, now=clock.now()
    )


@router.post(
    "/objections/{objection_id}/decision",
    response_model=ObjectionRead,
    summary="处理异议：更正、删除（撤销公示）或不予更正（须说明理由）",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def decide(
    objection_id: RowId,
    body: ObjectionDecision,
    session: SessionDep,
    principal: PrincipalDep,
    setup: ObjectionSetupDep,
) -> ObjectionRead:
    return decision.decide(
        session,
        setup,
        principal=principal,
        objection_id=objection_id,
        data=body,
        now=clock.now(),
    )


@router.post(
    "/objections/{objection_id}/acceptance",
    response_model=ObjectionRead,
    summary="受理第三方异议（认定有据，当即标注“异议处理中”）或不予受理（须说明理由）",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def review(
    objection_id: RowId,
    body: ObjectionAcceptance,
    session: SessionDep,
    principal: PrincipalDep,
    setup: ObjectionSetupDep,
) -> ObjectionRead:
    return acceptance.review(
        session,
        setup,
        principal=principal,
        objection_id=objection_id,
        data=body,
        now=clock.now(),
    )
