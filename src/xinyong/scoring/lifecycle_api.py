"""HTTP routes of the model lifecycle: drafts, dry runs, publishing (administrators only)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from xinyong.accounts.principal import Principal
from xinyong.catalog.loader import Catalog
from xinyong.errors import Forbidden, Unauthorized
from xinyong.http.deps import CatalogDep, PrincipalDep, SessionDep, WiringDep
from xinyong.http.problems import problem_responses
from xinyong.kit import clock
from xinyong.kit.storable import MAX_ROW_ID, StorableStr
from xinyong.rules.loader import LoadedScorecard
from xinyong.scoring import lifecycle
from xinyong.scoring.in_force import ScorecardsDep
from xinyong.scoring.models import ModelVersion
from xinyong.scoring.read import check_as_of
from xinyong.scoring.workflow import MODEL_VERSION, STATUS_LABELS

router = APIRouter(tags=["评价模型管理"])

ModelId = Annotated[StorableStr, Path(max_length=64)]
Version = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]


def _admin(principal: Principal) -> None:
    principal.require_admin(Forbidden("scoring.admin_only", "只有信用办管理员可以管理评价模型"))


class DraftIn(BaseModel):
    yaml: str = Field(min_length=1, max_length=200_000, description="评价模型定义（YAML）")


class DryRunIn(BaseModel):
    as_of: date | None = None


class ModelVersionRead(BaseModel):
    model_id: str
    name: str
    version: int
    effective_from: date
    effective_to: date | None
    status: str
    status_label: str
    in_force: bool = Field(description="是否为现行版本（核查和评价结果所用的版本）")
    source: str = Field(description="shipped：随平台发布的模型文件；database：管理员提交的版本")
    definition_hash: str
    created_by: str | None
    created_at: datetime | None
    published_by: str | None
    published_at: datetime | None
    allowed_actions: list[str]
    dry_run: dict[str, Any] | None


def _read_entry(entry: lifecycle.ModelEntry) -> ModelVersionRead:
    row = entry.row
    return ModelVersionRead(
        model_id=entry.model_id,
        name=entry.name,
        version=entry.version,
        effective_from=entry.effective_from,
        effective_to=entry.effective_to,
        status=entry.status.value,
        status_label=STATUS_LABELS[entry.status],
        in_force=entry.in_force,
        source=entry.source,
        definition_hash=entry.definition_hash,
        created_by=row.created_by if row else None,
        created_at=row.created_at if row else None,
        published_by=row.published_by if row else None,
        published_at=row.published_at if row else None,
        # A shipped file is replaced by publishing a newer version, not moved by the API.
        allowed_actions=[a.value for a in MODEL_VERSION.allowed_actions(entry.status)]
        if row
        else [],
        dry_run=row.dry_run if row else None,
    )


def _read(
    row: ModelVersion, catalog: Catalog, in_force: dict[str, LoadedScorecard]
) -> ModelVersionRead:
    return _read_entry(lifecycle.entry_of(row, catalog, in_force))


@router.post(
    "/models/drafts",
    response_model=ModelVersionRead,
    status_code=201,
    summary="提交评价模型草稿（管理员）",
    responses=problem_responses(401, 403, 409, 422),
)
def post_draft(
    body: DraftIn,
    in_force: ScorecardsDep,
    session: SessionDep,
    principal: PrincipalDep,
    catalog: CatalogDep,
) -> ModelVersionRead:
    _admin(principal)
    row = lifecycle.create_draft(
        session,
        yaml_text=body.yaml,
        catalog=catalog,
        actor=principal.actor,
        actor_role=principal.role,
        now=clock.now(),
        shipped=in_force,
    )
    return _read(row, catalog, in_force)


@router.post(
    "/models/{model_id}/versions/{version}/dry-run",
    response_model=ModelVersionRead,
    summary="试算模型草稿：等级分布及与已发布版本相比等级变化的主体（管理员）",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def post_dry_run(
    model_id: ModelId,
    version: Version,
    in_force: ScorecardsDep,
    session: SessionDep,
    principal: PrincipalDep,
    catalog: CatalogDep,
    body: DryRunIn | None = None,
) -> ModelVersionRead:
    _admin(principal)
    today = clock.today()
    as_of = (body.as_of if body else None) or today
    check_as_of(as_of, today)
    row = lifecycle.get_version(session, model_id, version)
    published = in_force.get(model_id)
    lifecycle.dry_run(
        session,
        row,
        catalog=catalog,
        published=published,
        as_of=as_of,
        actor=principal.actor,
        actor_role=principal.role,
        now=clock.now(),
    )
    return _read(row, catalog, in_force)


@router.post(
    "/models/{model_id}/versions/{version}/publish",
    response_model=ModelVersionRead,
    summary="发布已试算的模型版本，并停用此前发布的版本（管理员）",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def post_publish(
    model_id: ModelId,
    version: Version,
    in_force: ScorecardsDep,
    wiring: WiringDep,
    session: SessionDep,
    principal: PrincipalDep,
    catalog: CatalogDep,
) -> ModelVersionRead:
    if principal.is_anonymous:
        raise Unauthorized()
    row = lifecycle.get_version(session, model_id, version)
    lifecycle.publish(
        session,
        row,
        actor_role=principal.role,
        actor=principal.actor,
        now=clock.now(),
        definitions_hold=lambda: wiring.validate(session),
    )
    # Nothing is changed in this process: once the transaction commits, every process sees
    # the new stamp of what is published on its next request and rebuilds (xinyong.wiring).
    return _read(row, catalog, lifecycle.published_scorecards(session, catalog, in_force))


@router.get(
    "/models",
    response_model=list[ModelVersionRead],
    summary="评价模型：现行的全部模型（随平台发布的和管理员发布的），以及各版本的状态和试算结果（管理员）",
    responses=problem_responses(401, 403),
)
def get_models(
    in_force: ScorecardsDep, session: SessionDep, principal: PrincipalDep, catalog: CatalogDep
) -> list[ModelVersionRead]:
    _admin(principal)
    return [_read_entry(e) for e in lifecycle.model_entries(session, catalog, in_force)]
