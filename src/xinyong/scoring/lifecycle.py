"""The life of a scoring model: draft → dry run (tested) → published → retired.

A model version is YAML text submitted by an administrator and validated exactly as a shipped
file is (schema, then the catalog). A dry run evaluates the draft and the published version over
every subject with the same compiled select as batch runs and stores the distribution of grades
and the subjects whose grade would change. Only a tested version can be published, only by an
administrator; publishing retires the previously published version of the model. Every move
follows ``workflow.MODEL_VERSION`` through :func:`xinyong.workflow.move` (compare-and-set on the
status), appends an event row and an audit row, in the caller's transaction (services flush,
never commit).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.accounts.models import Role
from xinyong.audit import service as audit
from xinyong.catalog.definition_files import validate
from xinyong.catalog.loader import Catalog
from xinyong.errors import FieldError, Forbidden, NotFound, XinyongError
from xinyong.freshness.service import PUBLICATION, mark_model
from xinyong.rules.compiler import compile_scorecard
from xinyong.rules.loader import LoadedScorecard, ScorecardDefinitionError, catalog_problems
from xinyong.rules.scorecard import Scorecard
from xinyong.scoring.in_force import refuse_breaking_publication
from xinyong.scoring.models import ModelVersion, ModelVersionEvent
from xinyong.scoring.service import ScoreRow, read_row
from xinyong.scoring.workflow import MODEL_VERSION, Action, ConcurrentUpdate, ModelStatus
from xinyong.workflow import Moved, append_event, move

DRAFT_PATH: Final = Path("模型草稿.yaml")
MAX_EXAMPLES: Final = 10
# A draft comes into being: its first event has no status before.
CREATED: Final = Moved(Action.CREATE, None, ModelStatus.DRAFT)


# The listing of versions (lifecycle_api) offers the actions the table allows.


class VersionNotNewer(XinyongError):
    def __init__(self, model_id: str, version: int, published: int) -> None:
        super().__init__(
            code="scoring.version_not_newer",
            title=f"模型 {model_id} 的版本号 {version} 应大于已发布的版本 {published}",
            status=409,
            errors=[FieldError("version", "scoring.version_not_newer", "版本号应大于已发布版本")],
        )


class VersionExists(XinyongError):
    def __init__(self, model_id: str, version: int) -> None:
        super().__init__(
            code="scoring.version_exists",
            title=f"模型 {model_id} 第 {version} 版已存在",
            status=409,
            errors=[FieldError("version", "scoring.version_exists", "该版本号已存在")],
        )


class UnknownVersion(NotFound):
    def __init__(self, model_id: str, version: int) -> None:
        super().__init__("scoring.unknown_version", f"没有模型 {model_id} 第 {version} 版")


class AdminOnly(Forbidden):
    def __init__(self) -> None:
        super().__init__("scoring.admin_only", "只有信用办管理员可以发布评价模型")


def _label(row: ModelVersion) -> str:
    return f"{row.model_id}@{row.version}"


def apply(
    session: Session,
    version: ModelVersion,
    action: Action,
    *,
    actor: str,
    now: datetime,
    actor_role: str | None = None,
    changes: Mapping[str, Any] | None = None,
    detail: Mapping[str, Any] | None = None,
) -> ModelVersionEvent:
    """Move ``version`` by ``action`` along ``MODEL_VERSION`` (compare-and-set on the status,
    ``changes`` written in the same UPDATE); append an event row and an audit row."""
    current, label = version.status, _label(version)  # read first: the move expires the row
    try:
        moved = move(session, MODEL_VERSION, version, action, values=changes)
    except ConcurrentUpdate:
        raise ConcurrentUpdate(version.model_id, version.version) from None
    event = append_event(
        session,
        ModelVersionEvent,
        moved,
        actor=actor,
        at=now,
        model_version_id=version.id,
        detail=dict(detail) if detail else None,
    )
    audit.record(
        session,
        actor=actor,
        actor_role=actor_role,
        action=f"scoring.model_{action.value}",
        object_type="model_version",
        object_id=label,
        detail={"from": current, "to": moved.to_status.value, **dict(detail or {})},
        now=now,
    )
    return event


def parse_definition(yaml_text: str, catalog: Catalog) -> Scorecard:
    """The scorecard in ``yaml_text``, checked like a shipped file (schema, then catalog);
    raises :class:`ScorecardDefinitionError` (422) naming every bad item."""
    try:
        data = yaml.safe_load(yaml_text)
    except yaml.YAMLError as exc:
        raise ScorecardDefinitionError(
            DRAFT_PATH, [FieldError("(文件)", "rules.yaml_syntax", f"YAML 语法错误：{exc}")]
        ) from None
    card = validate(data, Scorecard, DRAFT_PATH, prefix="rules", error=ScorecardDefinitionError)
    problems = catalog_problems(card, catalog)
    if problems:
        raise ScorecardDefinitionError(DRAFT_PATH, problems)
    return card


def definition_hash(yaml_text: str) -> str:
    """The same hash ``load_scorecard`` gives the same bytes in a file."""
    return hashlib.sha256(yaml_text.encode("utf-8")).hexdigest()


def loaded(row: ModelVersion, catalog: Catalog) -> LoadedScorecard:
    """A stored version as the engine uses it."""
    return LoadedScorecard(
        parse_definition(row.yaml_text, catalog),
        row.definition_hash,
        Path("model_versions") / f"{row.model_id}-v{row.version}.yaml",
    )


def get_version(session: Session, model_id: str, version: int) -> ModelVersion:
    row = session.scalar(
        select(ModelVersion).where(
            ModelVersion.model_id == model_id, ModelVersion.version == version
        )
    )
    if row is None:
        raise UnknownVersion(model_id, version)
    return row


def list_versions(session: Session) -> list[ModelVersion]:
    return list(
        session.scalars(
            select(ModelVersion).order_by(ModelVersion.model_id, ModelVersion.version.desc())
        )
    )


@dataclass(frozen=True)
class ModelEntry:
    """One version of a model as an administrator sees it: a shipped model in force (no row)
    or a stored version in any status, saying whether it is the one checks and scores use."""

    model_id: str
    name: str
    version: int
    effective_from: date
    effective_to: date | None
    status: ModelStatus
    in_force: bool
    definition_hash: str
    row: ModelVersion | None = None

    @property
    def source(self) -> str:
        return "shipped" if self.row is None else "database"


def model_entries(
    session: Session, catalog: Catalog, in_force: Mapping[str, LoadedScorecard]
) -> list[ModelEntry]:
    """Every live model and every stored version: the models in force (``in_force``: shipped
    files, or the published version that replaced one) and the drafts, tested and retired
    versions, by model id then newest version first."""
    entries = [entry_of(row, catalog, in_force) for row in list_versions(session)]
    stored = {(e.model_id, e.definition_hash) for e in entries}
    for model_id, loaded in in_force.items():
        if (model_id, loaded.definition_hash) not in stored:
            card = loaded.scorecard
            entries.append(_entry(card, ModelStatus.PUBLISHED, True, loaded.definition_hash))
    return sorted(entries, key=lambda e: (e.model_id, -e.version))


def entry_of(
    row: ModelVersion, catalog: Catalog, in_force: Mapping[str, LoadedScorecard]
) -> ModelEntry:
    """A stored version, in force when it is the very definition the models in force use."""
    card = parse_definition(row.yaml_text, catalog)
    current = in_force.get(row.model_id)
    live = current is not None and current.definition_hash == row.definition_hash
    return _entry(card, ModelStatus(row.status), live, row.definition_hash, row)


def _entry(
    card: Scorecard,
    status: ModelStatus,
    in_force: bool,
    definition_hash: str,
    row: ModelVersion | None = None,
) -> ModelEntry:
    return ModelEntry(
        model_id=card.id,
        name=card.name,
        version=card.version,
        effective_from=card.effective_from,
        effective_to=card.effective_to,
        status=status,
        in_force=in_force,
        definition_hash=definition_hash,
        row=row,
    )


def _published_rows(session: Session, model_id: str | None = None) -> list[ModelVersion]:
    stmt = select(ModelVersion).where(ModelVersion.status == ModelStatus.PUBLISHED.value)
    if model_id is not None:
        stmt = stmt.where(ModelVersion.model_id == model_id)
    return list(session.scalars(stmt.order_by(ModelVersion.model_id, ModelVersion.version)))


def create_draft(
    session: Session,
    *,
    yaml_text: str,
    catalog: Catalog,
    actor: str,
    now: datetime,
    actor_role: str | None = None,
    shipped: Mapping[str, LoadedScorecard] | None = None,
) -> ModelVersion:
    """Store a validated definition as a draft. Its version must be greater than the published
    one of the same model (in the database, and the shipped file when ``shipped`` is given)."""
    card = parse_definition(yaml_text, catalog)
    published = [r.version for r in _published_rows(session, card.id)]
    if shipped and card.id in shipped:
        published.append(shipped[card.id].scorecard.version)
    if published and card.version <= max(published):
        raise VersionNotNewer(card.id, card.version, max(published))
    exists = session.scalar(
        select(ModelVersion.id).where(
            ModelVersion.model_id == card.id, ModelVersion.version == card.version
        )
    )
    if exists is not None:
        raise VersionExists(card.id, card.version)
    row = ModelVersion(
        model_id=card.id,
        version=card.version,
        yaml_text=yaml_text,
        definition_hash=definition_hash(yaml_text),
        status=ModelStatus.DRAFT.value,
        created_by=actor,
        created_at=now,
    )
    session.add(row)
    session.flush()
    append_event(
        session,
        ModelVersionEvent,
        CREATED,
        actor=actor,
        at=now,
        model_version_id=row.id,
        detail={"definition_hash": row.definition_hash},
    )
    audit.record(
        session,
        actor=actor,
        actor_role=actor_role,
        action="scoring.model_draft",
        object_type="model_version",
        object_id=_label(row),
        detail={"to": ModelStatus.DRAFT.value, "definition_hash": row.definition_hash},
        now=now,
    )
    return row


def _evaluate_all(
    session: Session, model: LoadedScorecard, catalog: Catalog, as_of: date
) -> dict[int, ScoreRow]:
    compiled = compile_scorecard(model.scorecard, catalog, dialect=session.get_bind().dialect.name)
    rows = session.execute(compiled.select, compiled.params(as_of))
    return {r.subject_id: r for r in (read_row(compiled, row) for row in rows)}


def compare(
    draft: Mapping[int, ScoreRow], published: Mapping[int, ScoreRow] | None, as_of: date
) -> dict[str, Any]:
    """The dry-run summary: grade distributions and the subjects whose grade would change."""
    changed: list[dict[str, Any]] = []
    if published is not None:
        for subject_id in sorted(draft):
            after, before = draft[subject_id], published.get(subject_id)
            if before is None or before.grade != after.grade:
                changed.append(
                    {
                        "subject_id": subject_id,
                        "from": None if before is None else before.grade,
                        "to": after.grade,
                        "total_from": None if before is None else str(before.total),
                        "total_to": str(after.total),
                    }
                )
    return {
        "as_of": as_of.isoformat(),
        "subjects": len(draft),
        "grades": dict(Counter(r.grade for r in draft.values())),
        "published_grades": dict(Counter(r.grade for r in (published or {}).values())),
        "changed": len(changed),
        "examples": changed[:MAX_EXAMPLES],
    }


def dry_run(
    session: Session,
    version_row: ModelVersion,
    *,
    catalog: Catalog,
    published: LoadedScorecard | None,
    as_of: date,
    actor: str,
    now: datetime,
    actor_role: str | None = None,
) -> dict[str, Any]:
    """Evaluate the draft and ``published`` over every subject, store the comparison on the
    version and move it to tested. Nothing is written to the score tables."""
    MODEL_VERSION.require(version_row.status, Action.DRY_RUN)  # before the costly evaluation
    draft_rows = _evaluate_all(session, loaded(version_row, catalog), catalog, as_of)
    published_rows = (
        None if published is None else _evaluate_all(session, published, catalog, as_of)
    )
    summary = compare(draft_rows, published_rows, as_of)
    summary["published_version"] = None if published is None else published.scorecard.version
    apply(
        session,
        version_row,
        Action.DRY_RUN,
        actor=actor,
        actor_role=actor_role,
        now=now,
        changes={"dry_run": summary},
        detail={
            key: summary[key]
            for key in ("as_of", "subjects", "grades", "changed", "published_version")
        },
    )
    return summary


def publish(
    session: Session,
    version_row: ModelVersion,
    *,
    actor_role: str | None,
    actor: str,
    now: datetime,
    definitions_hold: Callable[[], None],
) -> ModelVersion:
    """Publish a tested version (admins only) and retire the model's previously published one.

    ``definitions_hold`` builds the definitions in force over this transaction (the caller's
    wiring); a publication they cannot rest on is refused (409) before it commits, so that one
    bad version never stops every process from loading its definitions."""
    if actor_role != Role.ADMIN:
        raise AdminOnly()
    previous = [r for r in _published_rows(session, version_row.model_id) if r.id != version_row.id]
    newest = max((r.version for r in previous), default=0)
    if version_row.version <= newest:
        raise VersionNotNewer(version_row.model_id, version_row.version, newest)
    apply(
        session,
        version_row,
        Action.PUBLISH,
        actor=actor,
        actor_role=actor_role,
        now=now,
        changes={"published_by": actor, "published_at": now},
        detail={"definition_hash": version_row.definition_hash},
    )
    for row in previous:
        apply(
            session,
            row,
            Action.RETIRE,
            actor=actor,
            actor_role=actor_role,
            now=now,
            detail={"replaced_by": version_row.version},
        )
    mark_model(session, version_row.model_id, reason=PUBLICATION, now=now)
    session.flush()
    refuse_breaking_publication(
        definitions_hold, model_id=version_row.model_id, version=version_row.version
    )
    return version_row


def published_scorecards(
    session: Session, catalog: Catalog, shipped: Mapping[str, LoadedScorecard]
) -> dict[str, LoadedScorecard]:
    """The shipped models, each replaced by a published database version of the same id when
    that version is higher."""
    models = dict(shipped)
    for row in _published_rows(session):
        current = models.get(row.model_id)
        if current is None or row.version > current.scorecard.version:
            models[row.model_id] = loaded(row, catalog)
    return models
