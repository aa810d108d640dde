"""Re-scoring what is marked stale: the worker's chore, run after every pass.

Subject marks are handled a round at a time, each round one transaction: the marked subjects
are evaluated with the online compiled select (``evaluate_subjects``, the path checks use),
stored as a batch stores them (model version, definition hash, as_of today, grade changes), and
the marks read are deleted only at the version read, so a mark made meanwhile survives for the
next pass. A model-wide mark (a publication) is expanded into one batch run of that model rather
than a row per subject: the batch path streams millions of subjects in chunks, which one
transaction of online selects would not. Until it is done, reads compute that model's grades
online (``scoring.grades``), so nothing stale is served meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from xinyong.catalog.loader import Catalog
from xinyong.db import take_write_lock, unit_of_work
from xinyong.freshness.models import EVERY_MODEL, StaleMark
from xinyong.freshness.service import Mark, clear, pending
from xinyong.kit.clock import local_date
from xinyong.rules.loader import LoadedScorecard
from xinyong.scoring.lifecycle import published_scorecards
from xinyong.scoring.service import evaluate_subjects, run_batch, store_chunk
from xinyong.subjects.models import Subject

# The models in force as the session sees them (the wiring's, or shipped ones in tests).
InForce = Callable[[Session], Mapping[str, LoadedScorecard]]

SUBJECTS_PER_ROUND = 500
# A pass ends after this many full rounds even if ingest keeps marking: the next pass goes on.
ROUNDS_PER_PASS = 20
WORKER = "worker"


@dataclass
class RefreshReport:
    subjects: int = 0
    scores: int = 0
    cleared: int = 0
    batch_models: list[str] = field(default_factory=list)

    def line(self) -> str | None:
        """What the pass did, for the worker's console (None: nothing was marked)."""
        parts = []
        if self.subjects:
            parts.append(f"已重新评价 {self.subjects} 个信息变化的主体（{self.scores} 个评价结果）")
        if self.batch_models:
            parts.append(f"已按新发布的模型批量评价：{'、'.join(self.batch_models)}")
        return "；".join(parts) or None


def _kinds(session: Session, subject_ids: Sequence[int]) -> dict[int, str]:
    rows = session.execute(select(Subject.id, Subject.kind).where(Subject.id.in_(subject_ids)))
    return {sid: kind.value for sid, kind in rows}


def rescore_marked(
    session: Session,
    catalog: Catalog,
    scorecards: Mapping[str, LoadedScorecard],
    marks: Sequence[Mark],
    *,
    as_of: date,
    now: datetime,
) -> int:
    """Evaluate the marked subjects online under each model a mark concerns and store the
    results as of ``as_of``, in the caller's transaction; how many results were stored.
    Subjects a model does not score (another kind, no consent where it needs one) are skipped."""
    kinds = _kinds(session, sorted({m.subject_id for m in marks if m.subject_id is not None}))
    stored = 0
    for model_id, loaded in scorecards.items():
        card = loaded.scorecard
        wanted = {
            m.subject_id
            for m in marks
            if m.subject_id in kinds
            and m.model_id in (EVERY_MODEL, model_id)
            and kinds[m.subject_id] in card.subject_kinds
        }
        rows = evaluate_subjects(session, loaded, catalog, subject_ids=wanted, as_of=as_of)
        ordered = [rows[sid] for sid in sorted(rows)]
        store_chunk(session, loaded, ordered, as_of=as_of, run_id=None, now=now)
        stored += len(ordered)
    return stored


def _subject_rounds(
    engine: Engine,
    catalog: Catalog,
    in_force: InForce,
    report: RefreshReport,
    *,
    now: datetime,
    limit: int,
) -> None:
    for _ in range(ROUNDS_PER_PASS):
        with unit_of_work(engine) as session:
            # On SQLite the write lock comes first, so that an ingest committing while this
            # round reads cannot make its writes fail; PostgreSQL needs nothing.
            take_write_lock(session, StaleMark.__table__)
            marks = pending(session, limit=limit, model_wide=False)
            if not marks:
                return
            scorecards = in_force(session)
            report.scores += rescore_marked(
                session, catalog, scorecards, marks, as_of=local_date(now), now=now
            )
            report.subjects += len({m.subject_id for m in marks})
            report.cleared += clear(session, marks)
        if len(marks) < limit:
            return


def _model_batches(
    engine: Engine,
    catalog: Catalog,
    in_force: InForce,
    report: RefreshReport,
    *,
    now: datetime,
) -> None:
    with unit_of_work(engine) as session:
        marks = pending(session, limit=ROUNDS_PER_PASS, model_wide=True)
        scorecards = in_force(session) if marks else {}
    for mark in marks:
        loaded = scorecards.get(mark.model_id)
        if loaded is not None:
            run_batch(engine, loaded, catalog, as_of=local_date(now), actor=WORKER)
            report.batch_models.append(loaded.scorecard.name)
        with unit_of_work(engine) as session:
            report.cleared += clear(session, [mark])


def refresh_stale(
    engine: Engine,
    catalog: Catalog,
    in_force: InForce,
    *,
    now: datetime,
    limit: int = SUBJECTS_PER_ROUND,
) -> RefreshReport:
    """Re-score every subject marked stale with the models ``in_force`` (asked each round, so
    a publication made elsewhere is seen: the worker asks its wiring), then run a batch for
    each model published since the last pass; clear the marks handled."""
    report = RefreshReport()
    _subject_rounds(engine, catalog, in_force, report, now=now, limit=limit)
    _model_batches(engine, catalog, in_force, report, now=now)
    return report


def shipped_and_published(catalog: Catalog, shipped: Mapping[str, LoadedScorecard]) -> InForce:
    """``shipped`` overridden by the versions published in the database, as the wiring reads
    them: for a worker or benchmark that runs without a server's wiring."""
    return lambda session: published_scorecards(session, catalog, shipped)
