"""A fact over a subject's records as of a date, and its SQL: the engine every rule reads.

A :class:`Fact` names records (types, polarity, severity, a safe predicate over their fields,
a window before ``as_of``, only those still publicised) and a measure of them (count, sum, max,
exists, latest value, days since the latest). Scorecards score facts; measures, lists, policies
and inspection plans read them too, so the SQL lives here once:

* :func:`facts_select` — several named facts as one grouped select over ``records``, one row per
  subject that has records in effect on ``as_of``. Batch (``Scope.ALL``) and online
  (``Scope.ONE`` / ``Scope.SOME``) differ only by the subject restriction; bind with
  :meth:`CompiledFacts.params`. A subject without records has no row: read its value with
  :func:`value_or_default` (0 for count, sum and exists; unknown otherwise).
* :func:`fact_records` — the records one fact counts for one subject (the "why" of a value).
* :func:`matches`, :func:`aggregate`, :func:`record_condition` — the building blocks, for a
  select of one's own (a list rule, a points stage).

Dates are bound parameters computed in Python (SQLite has no interval arithmetic): ``as_of``
and, per window, ``since_<months>``; :func:`date_params` computes them. Record fields are read
from the ``fields`` JSON with SQLAlchemy's portable JSON accessors.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Date, Integer, Select, String, and_, bindparam, case, cast, func, select
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import ColumnElement

from xinyong.catalog.loader import Catalog
from xinyong.errors import FieldError
from xinyong.kit.dates import add_months
from xinyong.records.models import Record
from xinyong.records.predicates import in_effect, in_publicity
from xinyong.rules.expression import Expr, ExpressionError, FieldSpec, fields_from_catalog, parse
from xinyong.rules.predicate_sql import json_array_contains, to_sqlalchemy

RECORD_COLUMNS: Final[Mapping[str, Any]] = {
    "decided_on": Record.decided_on,
    "severity": Record.severity,
    "polarity": Record.polarity,
    "record_type": Record.record_type,
}
AS_OF: Final = "as_of"
SUBJECT_ID: Final = "subject_id"
SUBJECT_IDS: Final = "subject_ids"
LATEST_SEPARATOR: Final = "|"


class Measure(StrEnum):
    COUNT = "count"
    SUM = "sum"
    MAX = "max"
    EXISTS = "exists"
    LATEST = "latest"  # the value of ``field`` on the most recent matching record
    DAYS_SINCE = "days_since"  # days from the most recent matching record to as_of


# A subject with no matching record has none of them; the other measures are unknown.
ZERO_WHEN_NO_RECORDS: Final = frozenset({Measure.COUNT, Measure.SUM, Measure.EXISTS})


class Fact(BaseModel):
    """A fact over one subject's records as of a date."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    measure: Measure
    record_types: list[str] = Field(min_length=1)
    field: str | None = None  # for sum / max / latest
    polarity: list[Literal["守信", "失信", "基础"]] | None = None
    severity: list[Literal["轻微", "一般", "严重"]] | None = None
    where: str | None = Field(default=None, max_length=1000)  # safe predicate (rules.expression)
    window_months: int | None = Field(default=None, ge=1, le=600)  # None: all time
    # Only records still publicised on as_of (what the public sees) or every active record.
    in_publicity: bool = False

    @model_validator(mode="after")
    def _field_for_measure(self) -> Fact:
        needs_field = self.measure in (Measure.SUM, Measure.MAX, Measure.LATEST)
        if needs_field and not self.field:
            raise ValueError(f"度量 {self.measure.value} 需要指定 field")
        if not needs_field and self.field:
            raise ValueError(f"度量 {self.measure.value} 不使用 field")
        return self


class Scope(StrEnum):
    """Which subjects a select evaluates: all (batch), one or some (online)."""

    ALL = "all"
    ONE = "one"
    SOME = "some"


def fields_of(catalog: Catalog, record_types: Collection[str]) -> dict[str, FieldSpec]:
    """The names a fact over these record types may use. A field several types share keeps the
    union of their allowed values (e.g. 当前状态), or none when any type leaves it open."""
    fields: dict[str, FieldSpec] = {}
    for code in record_types:
        rt = catalog.get(code)
        if rt is None:
            continue
        for name, spec in fields_from_catalog(rt).items():
            seen = fields.get(name)
            if seen is None:
                fields[name] = spec
            elif seen.values is None or spec.values is None:
                fields[name] = replace(seen, values=None)
            else:
                fields[name] = replace(
                    seen, values=tuple(dict.fromkeys((*seen.values, *spec.values)))
                )
    return fields


def unknown_types_problem(
    record_types: Collection[str], catalog: Catalog, *, at: str, prefix: str = "rules"
) -> FieldError | None:
    """Record types the catalog does not have, as the problem of the item ``at``."""
    unknown = [t for t in record_types if catalog.get(t) is None]
    if not unknown:
        return None
    return FieldError(
        f"{at}.record_types",
        f"{prefix}.unknown_record_type",
        f"未知的信息类型：{'、'.join(unknown)}",
    )


def where_problem(where: str, fields: Mapping[str, FieldSpec], *, at: str) -> FieldError | None:
    """Why a predicate does not parse over ``fields``, as the problem of the item ``at``."""
    try:
        parse(where, fields=fields)
    except ExpressionError as exc:
        return FieldError(f"{at}.where", exc.code, exc.message)
    return None


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


def record_condition(expr: Expr, fields: Mapping[str, FieldSpec]) -> ColumnElement[bool]:
    """A parsed predicate over a record's fields as a ``WHERE`` on ``records``."""
    return to_sqlalchemy(
        expr, column=lambda n: record_field(n, fields[n]), contains=record_list_contains
    )


def matches(fact: Fact, catalog: Catalog, windows: set[int]) -> ColumnElement[bool]:
    """Whether a record is one ``fact`` counts (type, polarity, severity, window, publicity,
    predicate). Adds the fact's window to ``windows``: bind its start with :func:`date_params`."""
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
        conditions.append(in_publicity(bindparam(AS_OF, type_=Date)))
    if fact.where:
        fields = fields_of(catalog, fact.record_types)
        conditions.append(record_condition(parse(fact.where, fields=fields), fields))
    return and_(*conditions)


def _days_since(latest: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    as_of = bindparam(AS_OF, type_=Date)
    if dialect == "sqlite":
        return cast(func.julianday(as_of) - func.julianday(latest), Integer)
    if dialect == "duckdb":
        return func.date_diff("day", latest, as_of)
    return as_of - latest  # PostgreSQL: date - date is an integer


def aggregate(
    fact: Fact, where: ColumnElement[bool], catalog: Catalog, dialect: str
) -> ColumnElement[Any]:
    """The fact's value over a subject's grouped records, counting those ``where`` selects."""
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


def value_or_default(fact: Fact, value: ColumnElement[Any]) -> ColumnElement[Any]:
    """A fact's value read from an outer join: 0 for a subject without records when the
    measure counts (count, sum, exists); unknown otherwise."""
    return func.coalesce(value, 0) if fact.measure in ZERO_WHEN_NO_RECORDS else value


def only(
    column: ColumnElement[Any] | QueryableAttribute[Any], scope: Scope
) -> ColumnElement[bool] | None:
    """The online restriction on a subject-id column, or None for batch."""
    if scope is Scope.ONE:
        return column == bindparam(SUBJECT_ID, type_=Integer)
    if scope is Scope.SOME:
        return column.in_(bindparam(SUBJECT_IDS, expanding=True))
    return None


def date_params(as_of: date, windows: Collection[int]) -> dict[str, Any]:
    """``as_of`` and the start of every window, computed here (not in SQL: SQLite has no
    interval arithmetic)."""
    out: dict[str, Any] = {AS_OF: as_of}
    out.update({f"since_{m}": add_months(as_of, -m) for m in windows})
    return out


def scope_params(
    scope: Scope, subject_id: int | None, subject_ids: Collection[int] | None
) -> dict[str, Any]:
    """The subject or subjects an online select is bound to (nothing for batch)."""
    if scope is Scope.ONE:
        if subject_id is None:
            raise ValueError("the online select needs a subject_id")
        return {SUBJECT_ID: subject_id}
    if scope is Scope.SOME:
        if subject_ids is None:
            raise ValueError("the select of some subjects needs subject_ids")
        return {SUBJECT_IDS: list(subject_ids)}
    return {}


@dataclass(frozen=True)
class CompiledFacts:
    """Named facts as one select (``subject_id`` and a column per fact), its windows and scope."""

    select: Select[Any]
    names: tuple[str, ...]
    windows: tuple[int, ...]
    scope: Scope

    def params(
        self,
        as_of: date,
        subject_id: int | None = None,
        *,
        subject_ids: Collection[int] | None = None,
    ) -> dict[str, Any]:
        """Bind values: the dates, and online the subject or subjects."""
        return date_params(as_of, self.windows) | scope_params(self.scope, subject_id, subject_ids)


def facts_select(
    facts: Mapping[str, Fact], catalog: Catalog, *, dialect: str, scope: Scope = Scope.ALL
) -> CompiledFacts:
    """Each named fact per subject over the records in effect on ``as_of``: one grouped select,
    the same for batch and online but for the subject restriction."""
    windows: set[int] = set()
    columns = [
        aggregate(fact, matches(fact, catalog, windows), catalog, dialect).label(name)
        for name, fact in facts.items()
    ]
    stmt = (
        select(Record.subject_id, *columns)
        .where(in_effect(), Record.decided_on <= bindparam(AS_OF, type_=Date))
        .group_by(Record.subject_id)
    )
    restriction = only(Record.subject_id, scope)
    if restriction is not None:
        stmt = stmt.where(restriction)
    return CompiledFacts(stmt, tuple(facts), tuple(sorted(windows)), scope)


@dataclass(frozen=True)
class FactRecords:
    """The records one fact counts for one subject: the same filter as :func:`facts_select`."""

    select: Select[Any]
    windows: tuple[int, ...]

    def params(self, as_of: date, subject_id: int) -> dict[str, Any]:
        return date_params(as_of, self.windows) | {SUBJECT_ID: subject_id}


def fact_records(fact: Fact, catalog: Catalog) -> FactRecords:
    """Select the records behind ``fact`` for ``:subject_id`` as of ``:as_of``, newest first."""
    windows: set[int] = set()
    where = matches(fact, catalog, windows)
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
