"""The grade of a subject under a model in force, as checks and the credit file read it.

A grade is the one ``/subjects/{code}/scores`` gives for the model version in force: the latest
stored result of that very version (definition hash and all), else the model's compiled select
run online for the subjects that lack one. A result of an earlier version never counts, so a
read right after a publish already answers with the new version; nor does a stored result of a
subject marked stale (``xinyong.freshness``: records ingested, repaired or corrected since, or
the model published anew), so a penalty ingested a moment ago already weighs on the grade
before the worker has re-scored the subject.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Date, bindparam, select, tuple_
from sqlalchemy.orm import Session

from xinyong.catalog.loader import Catalog
from xinyong.freshness.service import is_stale, stale_pairs
from xinyong.rules.loader import LoadedScorecard
from xinyong.scoring.models import Score
from xinyong.scoring.service import evaluate_subjects


@dataclass(frozen=True)
class GradeFact:
    """A grade and where it comes from: the model version, the evaluation date, and whether it
    was computed online for this read (no fresh stored result of the version in force)."""

    model_id: str
    model_name: str
    model_version: int
    grade: str
    total: Decimal
    as_of: date
    online: bool = False


# Built once, with the subjects, versions and date bound at execution: a check's hot path only
# looks up SQLAlchemy's compiled form.
_STORED_GRADES = (
    select(
        Score.subject_id,
        Score.model_id,
        Score.model_version,
        Score.grade,
        Score.total,
        Score.as_of,
    )
    .where(
        Score.subject_id.in_(bindparam("subject_ids", expanding=True)),
        # Only results of the versions in force: (model, version, definition hash).
        tuple_(Score.model_id, Score.model_version, Score.definition_hash).in_(
            bindparam("versions", expanding=True)
        ),
        Score.as_of <= bindparam("as_of", type_=Date),
    )
    .order_by(Score.as_of.desc(), Score.id.desc())
)


def _stored(
    session: Session,
    models: Mapping[str, LoadedScorecard],
    subject_ids: list[int],
    as_of: date,
) -> dict[int, dict[str, GradeFact]]:
    """The latest stored result of each model's version in force per subject, unless the
    subject is marked stale under that model."""
    versions = [(m, c.scorecard.version, c.definition_hash) for m, c in sorted(models.items())]
    rows = session.execute(
        _STORED_GRADES, {"subject_ids": subject_ids, "versions": versions, "as_of": as_of}
    )
    marks = stale_pairs(session, subject_ids)
    out: dict[int, dict[str, GradeFact]] = {}
    for subject_id, model_id, version, grade, total, scored_on in rows:
        per_subject = out.setdefault(subject_id, {})
        if model_id in per_subject or is_stale(marks, subject_id, model_id):
            continue
        name = models[model_id].scorecard.name
        per_subject[model_id] = GradeFact(model_id, name, version, grade, total, scored_on)
    return out


def grades_of(
    session: Session,
    catalog: Catalog,
    models: Mapping[str, LoadedScorecard],
    subjects: Mapping[int, str],
    *,
    as_of: date,
) -> dict[int, dict[str, GradeFact]]:
    """Each subject's (id → kind) grade under every one of ``models`` of its kind: stored when
    fresh, else online as of ``as_of`` (one select per model for all the subjects lacking one).
    Subjects a model does not score (no consent where it needs one) have no grade under it."""
    if not models or not subjects:
        return {}
    out = _stored(session, models, list(subjects), as_of)
    for model_id, loaded in models.items():
        card = loaded.scorecard
        missing = [
            sid
            for sid, kind in subjects.items()
            if kind in card.subject_kinds and model_id not in out.get(sid, {})
        ]
        computed = evaluate_subjects(session, loaded, catalog, subject_ids=missing, as_of=as_of)
        for sid, row in computed.items():
            out.setdefault(sid, {})[model_id] = GradeFact(
                model_id, card.name, card.version, row.grade, row.total, as_of, online=True
            )
    # In the models' order, whichever way each grade was found.
    return {sid: {m: g[m] for m in models if m in g} for sid, g in out.items()}
