"""Who is on which list on a date: one select over the records and the manual entries.

An entry derived from a record is computed at query time from that record, so an entry
expires on its end date, and leaves the list when its record is revoked or repaired, without
any job. Every rule of ``lists.yaml`` becomes one select over ``records``; the manual entries
are one more; all are joined with ``UNION ALL`` and filtered to ``starts_on <= as_of`` and
``ends_on IS NULL OR ends_on >= as_of`` in each branch.

Month arithmetic cannot run per row on SQLite, so a month-based end is turned into a bound on
the start computed in Python (:func:`earliest_start`); its ``ends_on`` is NULL in SQL and
filled in after fetching (:func:`fetch_entries`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any, Final

from sqlalchemy import (
    Date,
    Integer,
    Select,
    String,
    Text,
    and_,
    bindparam,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from xinyong.catalog.loader import Catalog
from xinyong.kit.dates import add_months
from xinyong.lists.definitions import (
    RECORD_DATE_COLUMNS,
    CompiledRule,
    ListDefinitions,
    compile_rule,
)
from xinyong.lists.models import ManualListEntry
from xinyong.records.models import Record
from xinyong.records.predicates import in_effect
from xinyong.rules.facts import record_condition

ENTRY_COLUMNS = (
    "subject_id",
    "list_id",
    "starts_on",
    "ends_on",
    "basis",
    "reference",
    "source_record_id",
    "rule_id",
    "manual_entry_id",
)


@dataclass(frozen=True)
class ListEntry:
    """One subject on one list: from a record (``source_record_id``, ``rule_id``) or manual
    (``manual_entry_id``). ``ends_on`` None: until the source is revoked or repaired."""

    subject_id: int
    list_id: str
    starts_on: date
    ends_on: date | None
    basis: str
    reference: str | None
    source_record_id: int | None
    rule_id: str | None
    manual_entry_id: int | None


def _source_record_in_force() -> ColumnElement[bool]:
    """Whether a record still counts for lists: in effect (not revoked, never repaired)."""
    return in_effect()


def earliest_start(as_of: date, months: int) -> date:
    """The earliest start whose period of ``months`` (民法典 Arts 201–202, :func:`add_months`)
    still covers ``as_of``. ``add_months`` is non-decreasing in its start, so the starts that
    qualify are exactly those on or after this date; month ends make the plain inverse
    ``add_months(as_of, -months)`` off by a day or two, hence the adjustment."""
    start = add_months(as_of, -months)
    while add_months(start, months) < as_of:
        start += timedelta(days=1)
    while start > date.min and add_months(start - timedelta(days=1), months) >= as_of:
        start -= timedelta(days=1)
    return start


def _date_column(name: str, dialect: str) -> ColumnElement[Any]:
    """A record date: a column, or a catalog date field read from the JSON as ISO text. SQLite
    compares that text with dates as they are stored (ISO text too); PostgreSQL casts it."""
    if name in RECORD_DATE_COLUMNS:
        return getattr(Record, name)
    text = func.nullif(Record.fields[name].as_string(), "")
    if dialect == "postgresql":
        return cast(text, Date)
    return type_coerce(text, Date)


# Stands for "the subjects given at execution": the statement is built once and cached.
SUBJECTS_PARAM: Final = "__subjects__"


def _subjects_filter(subject_ids: Collection[int] | str) -> Any:
    if subject_ids == SUBJECTS_PARAM:
        return bindparam("subject_ids", expanding=True)
    return list(subject_ids)


def _rule_select(
    compiled: CompiledRule,
    *,
    as_of: date,
    dialect: str,
    subject_ids: Collection[int] | str | None,
) -> Select[*tuple[Any, ...]]:
    rule = compiled.rule
    start = _date_column(rule.start, dialect)
    end = _date_column(rule.end.field, dialect) if rule.end.field else cast(null(), Date)
    conditions: list[ColumnElement[bool]] = [
        Record.record_type.in_(rule.record_types),
        _source_record_in_force(),
        start <= as_of,
    ]
    if subject_ids is not None:
        conditions.append(Record.subject_id.in_(_subjects_filter(subject_ids)))
    if rule.publicised_only:
        conditions.append(Record.publicised.is_(True))
    if compiled.where is not None:
        conditions.append(record_condition(compiled.where, compiled.fields))
    months = rule.end.months
    if rule.end.field and months:
        since = earliest_start(as_of, months)
        conditions.append(
            or_(and_(end.is_not(None), end >= as_of), and_(end.is_(None), start >= since))
        )
    elif rule.end.field:
        conditions.append(or_(end.is_(None), end >= as_of))
    elif months:
        conditions.append(start >= earliest_start(as_of, months))
    return select(
        Record.subject_id.label("subject_id"),
        literal(rule.list_id, String).label("list_id"),
        start.label("starts_on"),
        end.label("ends_on"),
        literal(rule.basis, Text).label("basis"),
        literal(rule.reference, Text).label("reference"),
        Record.id.label("source_record_id"),
        literal(rule.id, String).label("rule_id"),
        cast(null(), Integer).label("manual_entry_id"),
    ).where(*conditions)


def _manual_select(
    list_ids: list[str], *, as_of: date, subject_ids: Collection[int] | str | None
) -> Select[*tuple[Any, ...]]:
    m = ManualListEntry
    conditions: list[ColumnElement[bool]] = [
        m.list_id.in_(list_ids),
        m.revoked_at.is_(None),
        m.starts_on <= as_of,
        or_(m.ends_on.is_(None), m.ends_on >= as_of),
    ]
    if subject_ids is not None:
        conditions.append(m.subject_id.in_(_subjects_filter(subject_ids)))
    return select(
        m.subject_id.label("subject_id"),
        m.list_id.label("list_id"),
        m.starts_on.label("starts_on"),
        m.ends_on.label("ends_on"),
        cast(m.basis, Text).label("basis"),
        cast(m.reference, Text).label("reference"),
        cast(null(), Integer).label("source_record_id"),
        cast(null(), String).label("rule_id"),
        m.id.label("manual_entry_id"),
    ).where(*conditions)


def entries_query(
    definitions: ListDefinitions,
    catalog: Catalog,
    *,
    list_id: str | None,
    as_of: date,
    dialect: str,
    subject_ids: Collection[int] | str | None = None,
) -> Select[*tuple[Any, ...]]:
    """The entries in force on ``as_of`` of one list (every list when ``list_id`` is None),
    optionally of some subjects only (or of the ``subject_ids`` bound at execution when
    :data:`SUBJECTS_PARAM`): one select with the columns of :data:`ENTRY_COLUMNS`.
    ``ends_on`` of a month-based end is NULL here; :func:`fetch_entries` fills it in."""
    list_ids = [x.id for x in definitions.lists if list_id is None or x.id == list_id]
    branches = [
        _rule_select(
            compile_rule(rule, catalog), as_of=as_of, dialect=dialect, subject_ids=subject_ids
        )
        for rule in definitions.rules_of(list_id)
    ]
    branches.append(_manual_select(list_ids, as_of=as_of, subject_ids=subject_ids))
    entries = union_all(*branches).subquery("list_entries")
    return select(*(entries.c[name] for name in ENTRY_COLUMNS))


_SUBJECT_QUERIES: dict[tuple[str, str, str | None, date, str], Select[*tuple[Any, ...]]] = {}
_SUBJECT_QUERIES_MAX: Final = 64


def _subjects_query(
    definitions: ListDefinitions,
    catalog: Catalog,
    *,
    list_id: str | None,
    as_of: date,
    dialect: str,
) -> Select[*tuple[Any, ...]]:
    """:func:`entries_query` for subjects bound at execution, cached by the definitions' and
    catalog's hashes (equal hashes, equal statements)."""
    key = (definitions.definition_hash, catalog.definition_hash, list_id, as_of, dialect)
    cacheable = bool(definitions.definition_hash and catalog.definition_hash)
    stmt = _SUBJECT_QUERIES.get(key) if cacheable else None
    if stmt is None:
        if len(_SUBJECT_QUERIES) >= _SUBJECT_QUERIES_MAX:
            _SUBJECT_QUERIES.clear()
        stmt = entries_query(
            definitions,
            catalog,
            list_id=list_id,
            as_of=as_of,
            dialect=dialect,
            subject_ids=SUBJECTS_PARAM,
        )
        if cacheable:
            _SUBJECT_QUERIES[key] = stmt
    return stmt


def fetch_entries(
    session: Session,
    definitions: ListDefinitions,
    catalog: Catalog,
    *,
    list_id: str | None,
    as_of: date,
    subject_ids: Collection[int] | None = None,
) -> list[ListEntry]:
    """:func:`entries_query` run, with month-based ends computed, ordered by list (as
    defined), subject, start and source."""
    dialect = session.get_bind().dialect.name
    if subject_ids is None:
        rows = session.execute(
            entries_query(definitions, catalog, list_id=list_id, as_of=as_of, dialect=dialect)
        )
    else:
        # The per-subject read (file, check) is on the hot path: build its statement once a
        # day per definitions and bind the subjects.
        stmt = _subjects_query(definitions, catalog, list_id=list_id, as_of=as_of, dialect=dialect)
        rows = session.execute(stmt, {"subject_ids": list(subject_ids)})
    out: list[ListEntry] = []
    for row in rows:
        entry = ListEntry(**{name: getattr(row, name) for name in ENTRY_COLUMNS})
        rule = definitions.rule(entry.rule_id) if entry.rule_id else None
        if entry.ends_on is None and rule is not None and rule.end.months:
            entry = replace(entry, ends_on=add_months(entry.starts_on, rule.end.months))
        out.append(entry)
    order = {x.id: i for i, x in enumerate(definitions.lists)}
    out.sort(
        key=lambda e: (
            order.get(e.list_id, len(order)),
            e.subject_id,
            e.starts_on,
            e.source_record_id or 0,
            e.manual_entry_id or 0,
        )
    )
    return out
