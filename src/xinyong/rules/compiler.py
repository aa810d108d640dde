"""One scorecard → one SQL select, the same for every engine and both paths.

The select returns one row per subject with, for each indicator and bonus item, its fact value
(``<id>__value``) and points (``<id>__points``), a flag per veto (``<id>__veto``), the total
and the grade. Batch runs it over every subject (on the database or on DuckDB over an export);
the online path runs the very same select with ``subject_id = :subject_id`` (or, for a bidder
list, ``subject_id IN :subject_ids``) inside the request's transaction. Explanations read the
per-indicator columns, so the "why" is the score.

The facts stage is :func:`xinyong.rules.facts.facts_select` and the points are
:func:`xinyong.rules.points.points`; this module adds the subjects, vetoes, total and grade.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import Select, case, func, literal, select
from sqlalchemy.sql.elements import ColumnElement

from xinyong.catalog.loader import Catalog
from xinyong.rules.facts import (
    Fact,
    Scope,
    date_params,
    facts_select,
    only,
    scope_params,
    value_or_default,
)
from xinyong.rules.loader import LoadedScorecard
from xinyong.rules.points import Points, clamp, points
from xinyong.rules.scorecard import Scorecard
from xinyong.subjects.models import Subject, SubjectConsent
from xinyong.subjects.service import PERSONAL_SCORE


@dataclass(frozen=True)
class CompiledScorecard:
    """The select, the ids of its items (the order explanations use) and its date windows."""

    select: Select[Any]
    indicator_ids: tuple[str, ...]
    bonus_ids: tuple[str, ...]
    veto_ids: tuple[str, ...]
    windows: tuple[int, ...]
    scope: Scope

    def params(
        self,
        as_of: date,
        subject_id: int | None = None,
        *,
        subject_ids: list[int] | None = None,
    ) -> dict[str, Any]:
        """Bind values: ``as_of``, the start of every window (computed here, not in SQL: SQLite
        has no interval arithmetic) and, online, the subject or subjects."""
        return date_params(as_of, self.windows) | scope_params(self.scope, subject_id, subject_ids)


def _least(dialect: str, *values: ColumnElement[Any]) -> ColumnElement[Any]:
    """The smallest of several values: SQLite's scalar min(), LEAST elsewhere."""
    return func.min(*values) if dialect == "sqlite" else func.least(*values)


Item = tuple[str, Fact, Points, Decimal]


def _items(card: Scorecard) -> list[Item]:
    """Every indicator and bonus item: (id, fact, points rule, maximum points)."""
    items = [
        (ind.id, ind.fact, ind.points, ind.max_points)
        for dim in card.dimensions
        for ind in dim.indicators
    ]
    items += [(b.id, b.fact, b.points, b.max_points) for b in card.bonus]
    return items


def _facts_stage(items: list[Item], catalog: Catalog, *, dialect: str, scope: Scope) -> Any:
    """Stage 1: each item's fact value per subject, over the records in effect on as_of."""
    facts = {f"{item_id}__value": fact for item_id, fact, _rule, _max in items}
    return facts_select(facts, catalog, dialect=dialect, scope=scope)


def _parts_stage(card: Scorecard, items: list[Item], facts_cte: Any, scope: Scope) -> Any:
    """Stage 2: each item's value and points, and each veto's flag, per subject."""
    columns: list[ColumnElement[Any]] = [Subject.id.label("subject_id")]
    for item_id, fact, rule, max_points in items:
        value = value_or_default(fact, facts_cte.c[f"{item_id}__value"])
        columns.append(value.label(f"{item_id}__value"))
        columns.append(points(rule, value, max_points).label(f"{item_id}__points"))
    for v in card.veto:
        hit = func.coalesce(facts_cte.c[f"{v.indicator}__value"], 0) >= float(v.at_least)
        columns.append(case((hit, 1), else_=0).label(f"{v.id}__veto"))
    scored = (
        select(*columns)
        .select_from(Subject)
        .join(facts_cte, facts_cte.c.subject_id == Subject.id, isouter=True)
        .where(Subject.kind.in_(card.subject_kinds))
    )
    if card.consent_required:
        # Personal scores only for persons who authorised them (DOMAIN.md decision 6).
        consented = select(SubjectConsent.id).where(
            SubjectConsent.subject_id == Subject.id,
            SubjectConsent.purpose == PERSONAL_SCORE,
            SubjectConsent.revoked_at.is_(None),
        )
        scored = scored.where(consented.exists())
    only_subjects = only(Subject.id, scope)
    if only_subjects is not None:
        scored = scored.where(only_subjects)
    return scored.cte("parts")


def _graded_stage(card: Scorecard, items: list[Item], parts: Any, dialect: str) -> Select[Any]:
    """Stages 3 and 4: the total from the parts' columns, capped by vetoes, then the grade
    (a veto may force it). Each stage refers to the previous one's columns, so the SQL grows
    linearly with the model, not exponentially."""
    raw_total = sum((parts.c[f"{i}__points"] for i, *_ in items), literal(0.0))
    summed = select(parts, raw_total.label("raw_total")).cte("summed")
    total = clamp(summed.c.raw_total, card.score.min, card.score.max)
    caps = [
        case((summed.c[f"{v.id}__veto"] == 1, float(v.effect.cap)), else_=float(card.score.max))
        for v in card.veto
        if v.effect.cap is not None
    ]
    if caps:
        total = _least(dialect, total, *caps)
    totals = select(summed, total.label("total")).cte("totals")
    forced = [
        (totals.c[f"{v.id}__veto"] == 1, v.effect.grade)
        for v in card.veto
        if v.effect.grade is not None
    ]
    bands = sorted(card.grades, key=lambda g: g.min, reverse=True)
    band_whens = [(totals.c.total >= float(b.min), b.grade) for b in bands[:-1]]
    grade = case(*forced, *band_whens, else_=bands[-1].grade)
    return select(totals, grade.label("grade")).order_by(totals.c.subject_id)


def compile_scorecard(
    card: Scorecard, catalog: Catalog, *, dialect: str, scope: Scope = Scope.ALL
) -> CompiledScorecard:
    """The select for ``card`` on ``dialect`` (sqlite, postgresql or duckdb).

    Batch (``Scope.ALL``): every subject of the model's kinds. Online: the same select with
    ``subject_id = :subject_id`` (``Scope.ONE``) or ``subject_id IN :subject_ids``
    (``Scope.SOME``) added to the facts and to the subjects, nothing else changed.
    Bind with :meth:`CompiledScorecard.params`.
    """
    items = _items(card)
    facts = _facts_stage(items, catalog, dialect=dialect, scope=scope)
    parts = _parts_stage(card, items, facts.select.cte("facts"), scope)
    return CompiledScorecard(
        _graded_stage(card, items, parts, dialect),
        tuple(i.id for d in card.dimensions for i in d.indicators),
        tuple(b.id for b in card.bonus),
        tuple(v.id for v in card.veto),
        facts.windows,
        scope,
    )


# Built selects by (definition, catalog, dialect, scope): the online path runs on every credit
# check, and building a model's select costs more than running it for one subject.
_COMPILED: dict[tuple[str, str, str, Scope], CompiledScorecard] = {}
_COMPILED_MAX: Final = 64


def compiled_for(
    loaded: LoadedScorecard, catalog: Catalog, *, dialect: str, scope: Scope
) -> CompiledScorecard:
    """:func:`compile_scorecard` of a loaded model, built once per definition hash, catalog,
    dialect and scope (a published version has its own hash, so it gets its own select)."""
    key = (loaded.definition_hash, catalog.definition_hash, dialect, scope)
    found = _COMPILED.get(key)
    if found is None:
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        found = _COMPILED[key] = compile_scorecard(
            loaded.scorecard, catalog, dialect=dialect, scope=scope
        )
    return found
