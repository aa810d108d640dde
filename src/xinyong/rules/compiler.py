"""One scorecard → one SQL select, the same for every engine and both paths.

The select returns one row per subject with, for each indicator and bonus item, its fact value
(``<id>__value``) and points (``<id>__points``), a flag per veto (``<id>__veto``), the total
and the grade. Batch runs it over every subject (on the database or on DuckDB over an export);
the online path runs the very same select with ``subject_id = :subject_id`` (or, for a bidder
list, ``subject_id IN :subject_ids``) inside the request's transaction. Explanations read the per-indicator columns, so the "why" is the score.

Dates are bound parameters computed in Python (SQLite has no interval arithmetic); values of
record fields are read from the ``fields`` JSON with SQLAlchemy's portable JSON accessors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import (
    Date,
    Integer,
    Select,
    SQLColumnExpression,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from xinyong.catalog.loader import Catalog
from xinyong.kit.dates import add_months
from xinyong.records.models import Record
from xinyong.records.predicates import in_effect, in_publicity
from xinyong.rules.expression import FieldSpec, parse
from xinyong.rules.loader import LoadedScorecard, fields_of
from xinyong.rules.predicate_sql import json_array_contains, to_sqlalchemy
from xinyong.rules.scorecard import (
    Bands,
    CategoryMap,
    Fact,
    Measure,
    PerOccurrence,
    Points,
    Scorecard,
)
from xinyong.subjects.models import Subject, SubjectConsent
from xinyong.subjects.service import PERSONAL_SCORE

# Each attribute's column as it goes into SQL (what the attribute itself turns into there).
RECORD_COLUMNS: dict[str, ColumnElement[Any]] = {
    "decided_on": Record.decided_on.expression,
    "severity": Record.severity.expression,
    "polarity": Record.polarity.expression,
    "record_type": Record.record_type.expression,
}
AS_OF = "as_of"
SUBJECT_ID = "subject_id"
SUBJECT_IDS = "subject_ids"
LATEST_SEPARATOR = "|"
ZERO_WHEN_NO_RECORDS = frozenset({Measure.COUNT, Measure.SUM, Measure.EXISTS})


class Scope(StrEnum):
    """Which subjects the select evaluates: all (batch), one or some (online)."""

    ALL = "all"
    ONE = "one"
    SOME = "some"


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
        out: dict[str, Any] = {AS_OF: as_of}
        out.update({f"since_{m}": add_months(as_of, -m) for m in self.windows})
        if self.scope is Scope.ONE:
            if subject_id is None:
                raise ValueError("the online select needs a subject_id")
            out[SUBJECT_ID] = subject_id
        elif self.scope is Scope.SOME:
            if subject_ids is None:
                raise ValueError("the select of some subjects needs subject_ids")
            out[SUBJECT_IDS] = list(subject_ids)
        return out


def record_field(name: str, spec: FieldSpec) -> ColumnElement[Any]:
    """A record column, or a typed value from the record's ``fields`` JSON."""
    if name in RECORD_COLUMNS:
        return RECORD_COLUMNS[name]
    element = Record.fields[name]
    if spec.kind == "number":
        return element.as_float()
    return element.as_string()


def record_list_contains(name: str, value: Any) -> ColumnElement[bool]:
    """Membership in a multi-valued field, stored as a JSON array of catalog values."""
    return json_array_contains(Record.fields[name].as_string(), value)


def _fact_filter(fact: Fact, catalog: Catalog, windows: set[int]) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = [Record.record_type.in_(fact.record_types)]
    if fact.polarity:
        conditions.append(Record.polarity.in_(fact.polarity))
    if fact.severity:
        conditions.append(Record.severity.in_(fact.severity))
    if fact.window_months:
        windows.add(fact.window_months)
        since = bindparam(f"since_{fact.window_months}", type_=Date)
        conditions.append(Record.decided_on > since)
    if fact.in_publicity:
        as_of = bindparam(AS_OF, type_=Date)
        conditions.append(in_publicity(as_of))
    if fact.where:
        fields = fields_of(catalog, fact.record_types)
        expr = parse(fact.where, fields=fields)
        conditions.append(
            to_sqlalchemy(
                expr, column=lambda n: record_field(n, fields[n]), contains=record_list_contains
            )
        )
    return and_(*conditions)


def _days_since(latest: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    as_of = bindparam(AS_OF, type_=Date)
    if dialect == "sqlite":
        return cast(func.julianday(as_of) - func.julianday(latest), Integer)
    if dialect == "duckdb":
        return func.date_diff("day", latest, as_of)
    return as_of - latest  # PostgreSQL: date - date is an integer


def _aggregate(
    fact: Fact, where: ColumnElement[bool], catalog: Catalog, dialect: str
) -> ColumnElement[Any]:
    if fact.measure is Measure.COUNT:
        return func.count(case((where, 1)))
    if fact.measure is Measure.EXISTS:
        return func.max(case((where, 1), else_=0))
    if fact.measure is Measure.DAYS_SINCE:
        return _days_since(func.max(case((where, Record.decided_on))), dialect)
    spec = fields_of(catalog, fact.record_types)[fact.field or ""]
    value = record_field(fact.field or "", spec)
    if fact.measure is Measure.SUM:
        return func.sum(case((where, value)))
    if fact.measure is Measure.MAX:
        return func.max(case((where, value)))
    # LATEST: the value on the most recent matching record, portably: the greatest
    # "YYYY-MM-DD|value" string, then the part after the separator.
    tagged = func.max(
        case((where, cast(Record.decided_on, String) + LATEST_SEPARATOR + cast(value, String)))
    )
    return func.substr(tagged, 12)


def _least(dialect: str, *values: ColumnElement[Any]) -> ColumnElement[Any]:
    """The smallest of several values: SQLite's scalar min(), LEAST elsewhere."""
    return func.min(*values) if dialect == "sqlite" else func.least(*values)


def _clamp(x: ColumnElement[Any], low: Decimal, high: Decimal) -> ColumnElement[Any]:
    return case((x < float(low), float(low)), (x > float(high), float(high)), else_=x)


def _points(rule: Points, value: ColumnElement[Any], max_points: Decimal) -> ColumnElement[Any]:
    if isinstance(rule, PerOccurrence):
        start = float(max_points) if rule.start == "max" else 0.0
        return _clamp(
            literal(start) + func.coalesce(value, 0) * float(rule.each), Decimal(0), max_points
        )
    if isinstance(rule, Bands):
        whens = []
        for band in rule.bands:
            conds: list[ColumnElement[bool]] = [value.is_not(None)]
            if band.gte is not None:
                conds.append(value >= float(band.gte))
            if band.lt is not None:
                conds.append(value < float(band.lt))
            whens.append((and_(*conds), float(band.points)))
        return _clamp(case(*whens, else_=float(rule.default)), Decimal(0), max_points)
    if isinstance(rule, CategoryMap):
        whens = [(value == key, float(points)) for key, points in rule.map.items()]
        return _clamp(case(*whens, else_=float(rule.default)), Decimal(0), max_points)
    raise TypeError(f"unknown points rule {rule!r}")


def _only(column: SQLColumnExpression[Any], scope: Scope) -> ColumnElement[bool] | None:
    """The online restriction on a subject-id column, or None for batch."""
    if scope is Scope.ONE:
        return column == bindparam(SUBJECT_ID, type_=Integer)
    if scope is Scope.SOME:
        return column.in_(bindparam(SUBJECT_IDS, expanding=True))
    return None


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


def _facts_stage(
    items: list[Item], catalog: Catalog, *, dialect: str, scope: Scope, windows: set[int]
) -> Any:
    """Stage 1: each item's fact value per subject, over the records in effect on as_of."""
    as_of = bindparam(AS_OF, type_=Date)
    fact_columns = [
        _aggregate(fact, _fact_filter(fact, catalog, windows), catalog, dialect).label(
            f"{item_id}__value"
        )
        for item_id, fact, _rule, _max in items
    ]
    facts = (
        select(Record.subject_id, *fact_columns)
        .where(in_effect(), Record.decided_on <= as_of)
        .group_by(Record.subject_id)
    )
    only_records = _only(Record.subject_id, scope)
    if only_records is not None:
        facts = facts.where(only_records)
    return facts.cte("facts")


def _parts_stage(card: Scorecard, items: list[Item], facts_cte: Any, scope: Scope) -> Any:
    """Stage 2: each item's value and points, and each veto's flag, per subject."""
    columns: list[ColumnElement[Any]] = [Subject.id.label("subject_id")]
    for item_id, fact, rule, max_points in items:
        value: ColumnElement[Any] = facts_cte.c[f"{item_id}__value"]
        if fact.measure in ZERO_WHEN_NO_RECORDS:  # a subject with no records has none of them
            value = func.coalesce(value, 0)
        columns.append(value.label(f"{item_id}__value"))
        columns.append(_points(rule, value, max_points).label(f"{item_id}__points"))
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
    only_subjects = _only(Subject.id, scope)
    if only_subjects is not None:
        scored = scored.where(only_subjects)
    return scored.cte("parts")


def _graded_stage(card: Scorecard, items: list[Item], parts: Any, dialect: str) -> Select[Any]:
    """Stages 3 and 4: the total from the parts' columns, capped by vetoes, then the grade
    (a veto may force it). Each stage refers to the previous one's columns, so the SQL grows
    linearly with the model, not exponentially."""
    raw_total = sum((parts.c[f"{i}__points"] for i, *_ in items), literal(0.0))
    summed = select(parts, raw_total.label("raw_total")).cte("summed")
    total = _clamp(summed.c.raw_total, card.score.min, card.score.max)
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
    windows: set[int] = set()
    items = _items(card)
    facts_cte = _facts_stage(items, catalog, dialect=dialect, scope=scope, windows=windows)
    parts = _parts_stage(card, items, facts_cte, scope)
    return CompiledScorecard(
        _graded_stage(card, items, parts, dialect),
        tuple(i.id for d in card.dimensions for i in d.indicators),
        tuple(b.id for b in card.bonus),
        tuple(v.id for v in card.veto),
        tuple(sorted(windows)),
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


@dataclass(frozen=True)
class FactRecords:
    """The records one fact counts for one subject: the same filter as the compiled select."""

    select: Select[Any]
    windows: tuple[int, ...]

    def params(self, as_of: date, subject_id: int) -> dict[str, Any]:
        out: dict[str, Any] = {AS_OF: as_of, SUBJECT_ID: subject_id}
        out.update({f"since_{m}": add_months(as_of, -m) for m in self.windows})
        return out


def fact_records(fact: Fact, catalog: Catalog) -> FactRecords:
    """Select the records behind ``fact`` for ``:subject_id`` as of ``:as_of``, newest first."""
    windows: set[int] = set()
    where = _fact_filter(fact, catalog, windows)
    stmt = (
        select(Record)
        .where(
            where,
            in_effect(),
            Record.decided_on <= bindparam(AS_OF, type_=Date),
            Record.subject_id == bindparam(SUBJECT_ID, type_=Integer),
        )
        .order_by(Record.decided_on.desc(), Record.id.desc())
    )
    return FactRecords(stmt, tuple(sorted(windows)))
