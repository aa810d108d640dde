"""HTTP routes of scores and evaluation runs."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from xinyong.access.deps import ScopesDep
from xinyong.errors import Forbidden
from xinyong.http.deps import (
    CatalogDep,
    EngineDep,
    PrincipalDep,
    SessionDep,
    SettingsDep,
    count_person_lookup,
)
from xinyong.http.params import PersonName
from xinyong.http.problems import problem_responses
from xinyong.kit import clock
from xinyong.scoring import service
from xinyong.scoring.errors import UnknownEngine, UnknownModel
from xinyong.scoring.in_force import ScorecardsDep
from xinyong.scoring.read import check_as_of, subject_scores
from xinyong.scoring.schemas import SubjectScores

router = APIRouter(tags=["信用评价"])
ENGINES = ("database", "duckdb")


@router.get(
    "/subjects/{code}/scores",
    response_model=SubjectScores,
    summary="信用评价结果及解释（本主体和政府部门可见）",
    responses=problem_responses(401, 403, 404, 422),
)
def get_scores(
    code: str,
    request: Request,
    scorecards: ScorecardsDep,
    scopes: ScopesDep,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    catalog: CatalogDep,
    as_of: Annotated[
        date | None, Query(description="评价日期，默认今天；授权查询只能是今天")
    ] = None,
    name: PersonName = None,
) -> SubjectScores:
    count_person_lookup(request, principal, code)
    today = clock.today()
    return subject_scores(
        session,
        catalog,
        scorecards,
        code=code,
        principal=principal,
        scope_definitions=scopes,
        secret=settings.hmac_key,
        as_of=as_of or today,
        today=today,
        now=clock.now(),
        name=name,
    )


class EvaluationIn(BaseModel):
    model_id: str = Field(max_length=64)
    as_of: date | None = None
    engine: str = Field(default="database", max_length=16)


class EvaluationOut(BaseModel):
    run_id: int
    model_id: str
    model_version: int
    definition_hash: str
    as_of: date
    engine: str
    subjects: int
    grade_changes: int
    grades: dict[str, int]


@router.post(
    "/evaluations",
    response_model=EvaluationOut,
    summary="对一个模型的全部主体运行评价（管理员）",
    responses=problem_responses(401, 403, 404, 422),
)
def post_evaluation(
    body: EvaluationIn,
    engine: EngineDep,
    scorecards: ScorecardsDep,
    principal: PrincipalDep,
    catalog: CatalogDep,
) -> Any:
    principal.require_admin(Forbidden("scoring.admin_only", "只有信用办管理员可以运行评价"))
    loaded = scorecards.get(body.model_id)
    if loaded is None:
        raise UnknownModel(body.model_id)
    if body.engine not in ENGINES:
        raise UnknownEngine(body.engine)
    today = clock.today()
    as_of = body.as_of or today
    check_as_of(as_of, today)
    return service.run_batch(
        engine,
        loaded,
        catalog,
        as_of=as_of,
        on=body.engine,
        actor=principal.actor,
    )
