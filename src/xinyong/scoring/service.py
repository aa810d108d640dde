"""Evaluating subjects with a compiled scorecard: online for one subject, in batch for all.

Both paths run the same compiled select (``rules.compiler``); results are stamped with the
model version, the definition hash and ``as_of``. A batch run writes chunk by chunk, deleting
and inserting the rows of the chunk's subjects in one transaction, so running it again gives
the same rows. Services flush; the batch runner commits per chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Generator, Iterable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import and_, delete, func, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from xinyong.audit import service as audit
from xinyong.catalog.loader import Catalog
from xinyong.db import unit_of_work
from xinyong.freshness.service import mark_stale
from xinyong.kit import clock
from xinyong.rules.compiler import CompiledScorecard, compile_scorecard, compiled_for
from xinyong.rules.duck import duckdb_engine, load_facts
from xinyong.rules.facts import Scope
from xinyong.rules.loader import LoadedScorecard
from xinyong.rules.scorecard import Scorecard
from xinyong.scoring.models import GradeChange, Score, ScoreRun
from xinyong.subjects import service as subjects
from xinyong.subjects.models import Subject

CENT = Decimal("0.01")
Progress = Callable[[int], None]


def _number(value: Any) -> Decimal | None:
    """``value`` to the cent; None for no value and for a category (a ``latest`` fact over a
    text field, e.g. the tax credit grade ``B`` or the environmental colour ``绿色``)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number.quantize(CENT) if number.is_finite() else None


@dataclass(frozen=True)
class ScoreRow:
    """One subject's result: total, grade and every part as the select returned them."""

    subject_id: int
    total: Decimal
    grade: str
    parts: dict[str, dict[str, Any]]

    def points(self, item_id: str) -> Decimal:
        return Decimal(self.parts[item_id]["points"])


def read_row(compiled: CompiledScorecard, row: Any) -> ScoreRow:
    """The typed form of a row of the compiled select (numbers to the cent)."""
    m = row._mapping
    parts: dict[str, dict[str, Any]] = {}
    for item_id in (*compiled.indicator_ids, *compiled.bonus_ids):
        value = m[f"{item_id}__value"]
        number = _number(value)
        parts[item_id] = {
            "value": str(number) if number is not None else (None if value is None else str(value)),
            "points": str(_number(m[f"{item_id}__points"]) or Decimal("0.00")),
        }
    for veto_id in compiled.veto_ids:
        parts[veto_id] = {"veto": bool(m[f"{veto_id}__veto"])}
    return ScoreRow(m["subject_id"], _number(m["total"]) or Decimal("0.00"), m["grade"], parts)


def evaluate_subject(
    session: Session, loaded: LoadedScorecard, catalog: Catalog, *, subject_id: int, as_of: date
) -> ScoreRow | None:
    """The online path: the compiled select for one subject, in the caller's transaction.
    None when the subject is not of a kind the model scores."""
    compiled = compiled_for(
        loaded, catalog, dialect=session.get_bind().dialect.name, scope=Scope.ONE
    )
    row = session.execute(compiled.select, compiled.params(as_of, subject_id)).first()
    return None if row is None else read_row(compiled, row)


def evaluate_subjects(
    session: Session,
    loaded: LoadedScorecard,
    catalog: Catalog,
    *,
    subject_ids: Collection[int],
    as_of: date,
) -> dict[int, ScoreRow]:
    """The online path for several subjects at once (a bidder list): the same compiled select
    with ``subject_id IN …``, in the caller's transaction. Subjects the model does not score
    (another kind, or no consent where it needs one) are absent."""
    if not subject_ids:
        return {}
    compiled = compiled_for(
        loaded, catalog, dialect=session.get_bind().dialect.name, scope=Scope.SOME
    )
    rows = session.execute(compiled.select, compiled.params(as_of, subject_ids=sorted(subject_ids)))
    return {r.subject_id: r for r in (read_row(compiled, row) for row in rows)}


def _reason(card: Scorecard, before: dict[str, Any], after: ScoreRow) -> str:
    """Which items moved, by how many points, in Chinese (the grade change's reason)."""
    names = {i.id: i.name for d in card.dimensions for i in d.indicators}
    names.update({b.id: b.name for b in card.bonus})
    moves = []
    for item_id, name in names.items():
        old = Decimal(before.get(item_id, {}).get("points", "0"))
        new = after.points(item_id)
        if old != new:
            moves.append((abs(new - old), f"{name} {old}→{new}"))
    vetoes = [
        v.name
        for v in card.veto
        if after.parts[v.id]["veto"] and not before.get(v.id, {}).get("veto")
    ]
    text = "；".join(m for _, m in sorted(moves, reverse=True)[:5])
    if vetoes:
        text = f"触发一票否决：{'、'.join(vetoes)}" + (f"；{text}" if text else "")
    return (text or "模型版本或等级区间变化")[:1000]


@dataclass
class ChunkResult:
    subjects: int = 0
    grade_changes: int = 0


def store_chunk(
    session: Session,
    loaded: LoadedScorecard,
    rows: Sequence[ScoreRow],
    *,
    as_of: date,
    run_id: int | None,
    now: datetime,
) -> ChunkResult:
    """Replace this chunk's scores for (model version, as_of) and record grade changes against
    each subject's previous evaluation (the latest before ``as_of``)."""
    card = loaded.scorecard
    ids = [r.subject_id for r in rows]
    if not ids:
        return ChunkResult()
    same = and_(Score.model_id == card.id, Score.as_of == as_of, Score.subject_id.in_(ids))
    session.execute(delete(Score).where(same, Score.model_version == card.version))
    session.execute(
        delete(GradeChange).where(
            GradeChange.model_id == card.id,
            GradeChange.as_of == as_of,
            GradeChange.subject_id.in_(ids),
        )
    )
    previous = _previous(session, card.id, ids, as_of)
    session.execute(
        insert(Score),
        [
            {
                "subject_id": r.subject_id,
                "model_id": card.id,
                "model_version": card.version,
                "definition_hash": loaded.definition_hash,
                "as_of": as_of,
                "total": r.total,
                "grade": r.grade,
                "parts": r.parts,
                "run_id": run_id,
                "computed_at": now,
            }
            for r in rows
        ],
    )
    changes = _grade_changes(card, rows, previous, as_of=as_of, run_id=run_id, now=now)
    if changes:
        session.execute(insert(GradeChange), changes)
    return ChunkResult(len(rows), len(changes))


def _grade_changes(
    card: Scorecard,
    rows: Sequence[ScoreRow],
    previous: Mapping[int, Score],
    *,
    as_of: date,
    run_id: int | None,
    now: datetime,
) -> list[dict[str, Any]]:
    """A grade change for each subject first evaluated or graded otherwise than before."""
    changes = []
    for r in rows:
        before = previous.get(r.subject_id)
        if before is None or before.grade != r.grade:
            changes.append(
                {
                    "subject_id": r.subject_id,
                    "model_id": card.id,
                    "from_grade": before.grade if before else None,
                    "to_grade": r.grade,
                    "from_as_of": before.as_of if before else None,
                    "as_of": as_of,
                    "reason": "首次评价" if before is None else _reason(card, before.parts, r),
                    "run_id": run_id,
                    "recorded_at": now,
                }
            )
    return changes


def _previous(session: Session, model_id: str, ids: list[int], as_of: date) -> dict[int, Score]:
    latest = (
        select(Score.subject_id, func.max(Score.as_of).label("as_of"))
        .where(Score.model_id == model_id, Score.as_of < as_of, Score.subject_id.in_(ids))
        .group_by(Score.subject_id)
        .subquery()
    )
    stmt = (
        select(Score)
        .join(latest, and_(Score.subject_id == latest.c.subject_id, Score.as_of == latest.c.as_of))
        .where(Score.model_id == model_id)
        .order_by(Score.model_version)
    )
    return {s.subject_id: s for s in session.scalars(stmt)}


@dataclass
class RunReport:
    run_id: int
    model_id: str
    model_version: int
    definition_hash: str
    as_of: date
    engine: str
    subjects: int = 0
    grade_changes: int = 0
    grades: dict[str, int] = field(default_factory=dict)


def _chunks(rows: Iterable[ScoreRow], size: int) -> Iterable[list[ScoreRow]]:
    chunk: list[ScoreRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _open_run(engine: Engine, loaded: LoadedScorecard, *, as_of: date, on: str, actor: str) -> int:
    """The run's row (status running) and its start in the audit log, committed at once."""
    card = loaded.scorecard
    with unit_of_work(engine) as session:
        run = ScoreRun(
            model_id=card.id,
            model_version=card.version,
            definition_hash=loaded.definition_hash,
            as_of=as_of,
            engine=on,
            status="running",
            subjects=0,
            grade_changes=0,
            actor=actor,
            started_at=clock.now(),
        )
        session.add(run)
        session.flush()
        audit.record(
            session,
            actor=actor,
            actor_role=None,
            action="scoring.run_start",
            object_type="score_run",
            object_id=run.id,
            detail={
                "model": card.id,
                "version": card.version,
                "as_of": as_of.isoformat(),
                "engine": on,
            },
            now=clock.now(),
        )
        return run.id


def _evaluated_rows(
    engine: Engine,
    card: Scorecard,
    catalog: Catalog,
    *,
    as_of: date,
    on: str,
    chunk_rows: int,
) -> Generator[ScoreRow]:
    """Every subject's row of the compiled select, streamed from the database or from DuckDB
    (the facts copied into it first)."""
    if on == "duckdb":
        compiled = compile_scorecard(card, catalog, dialect="duckdb")
        with duckdb_engine() as duck:
            with unit_of_work(engine) as session:
                load_facts(session, duck)
            with duck.connect() as conn:
                result = conn.execute(compiled.select, compiled.params(as_of))
                yield from (read_row(compiled, r) for r in result)
        return
    compiled = compile_scorecard(card, catalog, dialect=engine.dialect.name)
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=chunk_rows).execute(
            compiled.select, compiled.params(as_of)
        )
        yield from (read_row(compiled, r) for r in result)


def _store_rows(
    engine: Engine,
    loaded: LoadedScorecard,
    rows: Iterable[ScoreRow],
    report: RunReport,
    *,
    chunk_rows: int,
    progress: Progress | None,
) -> None:
    """Each chunk of rows in its own transaction, counted into ``report``."""
    for chunk in _chunks(rows, chunk_rows):
        with unit_of_work(engine) as session:
            done = store_chunk(
                session, loaded, chunk, as_of=report.as_of, run_id=report.run_id, now=clock.now()
            )
        report.subjects += done.subjects
        report.grade_changes += done.grade_changes
        for r in chunk:
            report.grades[r.grade] = report.grades.get(r.grade, 0) + 1
        if progress is not None:
            progress(report.subjects)


def _close_run(engine: Engine, report: RunReport, *, actor: str) -> None:
    """The run completed, with its counts, and its end in the audit log."""
    with unit_of_work(engine) as session:
        run = session.get_one(ScoreRun, report.run_id)
        run.status, run.subjects, run.grade_changes = (
            "completed",
            report.subjects,
            report.grade_changes,
        )
        run.finished_at = clock.now()
        audit.record(
            session,
            actor=actor,
            actor_role=None,
            action="scoring.run_finish",
            object_type="score_run",
            object_id=report.run_id,
            detail={
                "subjects": report.subjects,
                "grade_changes": report.grade_changes,
                "grades": report.grades,
            },
            now=clock.now(),
        )


def run_batch(
    engine: Engine,
    loaded: LoadedScorecard,
    catalog: Catalog,
    *,
    as_of: date,
    on: str = "database",
    actor: str = "cli",
    chunk_rows: int = 10_000,
    progress: Progress | None = None,
) -> RunReport:
    """Evaluate every subject of the model's kinds as of ``as_of`` on ``on`` (``database`` or
    ``duckdb``) and store the results chunk by chunk; running it twice gives the same rows."""
    card = loaded.scorecard
    run_id = _open_run(engine, loaded, as_of=as_of, on=on, actor=actor)
    report = RunReport(run_id, card.id, card.version, loaded.definition_hash, as_of, on)
    # Closed even when storing fails: the select's connection (or DuckDB) is released at once.
    with closing(
        _evaluated_rows(engine, card, catalog, as_of=as_of, on=on, chunk_rows=chunk_rows)
    ) as rows:
        _store_rows(engine, loaded, rows, report, chunk_rows=chunk_rows, progress=progress)
    _close_run(engine, report, actor=actor)
    return report


def reevaluate_subject(
    session: Session,
    scorecards: Mapping[str, LoadedScorecard],
    catalog: Catalog,
    *,
    subject_id: int,
    subject_kind: str,
    as_of: date,
    now: datetime,
) -> list[ScoreRow]:
    """Evaluate one subject online under every model of its kind and store the results as of
    ``as_of`` (with grade changes), in the caller's transaction: after a repair or a corrected
    record, what checks and the subject's file read is already the new grade. Models that need
    consent run only while the subject's consent to personal scoring is in force."""
    consented = (
        subjects.active_consent(session, subject_id, purpose=subjects.PERSONAL_SCORE) is not None
    )
    stored = []
    for loaded in scorecards.values():
        card = loaded.scorecard
        if subject_kind not in card.subject_kinds or (card.consent_required and not consented):
            continue
        row = evaluate_subject(session, loaded, catalog, subject_id=subject_id, as_of=as_of)
        if row is not None:
            store_chunk(session, loaded, [row], as_of=as_of, run_id=None, now=now)
            stored.append(row)
    return stored


def rescore_changed_subject(
    session: Session,
    scorecards: Mapping[str, LoadedScorecard],
    catalog: Catalog,
    subject: Subject,
    *,
    reason: str,
    as_of: date,
    now: datetime,
) -> None:
    """A subject whose records changed (a repair, a corrected or withdrawn record): evaluated
    again at once under the models given, and marked stale for ``reason`` so that the worker
    re-scores it under the models in force for every process (``xinyong.freshness``)."""
    reevaluate_subject(
        session,
        scorecards,
        catalog,
        subject_id=subject.id,
        subject_kind=subject.kind.value,
        as_of=as_of,
        now=now,
    )
    mark_stale(session, [subject.id], reason=reason, now=now)
