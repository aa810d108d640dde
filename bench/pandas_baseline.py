"""The baseline for bench/evaluate.py: the same scorecard evaluated straightforwardly in
pandas (filter, group by subject, points rules, totals, vetoes, grades).

Generic over the scorecard definition so it is the same model by construction; the benchmark
also checks it gives the same totals and grades as the compiled select. Bench-only code: the
platform itself never evaluates outside the compiled select.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from xinyong.kit.dates import add_months
from xinyong.rules.expression import And, Cmp, Const, Contains, Expr, In, IsNull, Not, Or, parse
from xinyong.rules.facts import Fact, Measure, fields_of
from xinyong.rules.points import Bands, CategoryMap, PerOccurrence
from xinyong.rules.scorecard import Scorecard

RECORD_COLUMNS = {"decided_on", "severity", "polarity", "record_type"}
OPS = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}


def _mask(expr: Expr, df: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(true, known) masks: SQL's three-valued logic, unknown selects nothing at the top."""
    everything = pd.Series(True, index=df.index)
    if isinstance(expr, Const):
        return pd.Series(bool(expr.value), index=df.index), everything
    if isinstance(expr, Cmp):
        col = df[expr.field]
        value = expr.value
        if isinstance(value, date) and expr.field == "decided_on":
            value = pd.Timestamp(value)
        known = col.notna()
        true = getattr(col, OPS[expr.op])(value).fillna(False).astype(bool) & known
        return true, known
    if isinstance(expr, In):
        col = df[expr.field]
        known = col.notna()
        true = col.isin(list(expr.values)) & known
        return (known & ~true if expr.negate else true), known
    if isinstance(expr, Contains):
        col = df[expr.field]
        known = col.notna()
        true = col.map(lambda v: isinstance(v, list) and expr.value in v).astype(bool)
        return (known & ~true if expr.negate else true), known
    if isinstance(expr, IsNull):
        null = df[expr.field].isna()
        return (~null if expr.negate else null), everything
    if isinstance(expr, Not):
        t, k = _mask(expr.operand, df)
        return ~t & k, k
    if isinstance(expr, And | Or):
        masks = [_mask(e, df) for e in expr.operands]
        t, k = masks[0]
        for t2, k2 in masks[1:]:
            if isinstance(expr, And):
                t, k = t & t2, (k & k2) | (k & ~t) | (k2 & ~t2)
            else:
                t, k = t | t2, (k & k2) | t | t2
        return t, k
    raise TypeError(f"unknown node {expr!r}")


def _fact_rows(fact: Fact, df: pd.DataFrame, catalog: Any, as_of: date) -> pd.Series:
    m = df["record_type"].isin(fact.record_types)
    if fact.polarity:
        m &= df["polarity"].isin(fact.polarity)
    if fact.severity:
        m &= df["severity"].isin(fact.severity)
    if fact.window_months:
        m &= df["decided_on"] > pd.Timestamp(add_months(as_of, -fact.window_months))
    if fact.in_publicity:
        ts = pd.Timestamp(as_of)
        m &= df["publicised"] & (df["publicity_starts_on"] <= ts)
        m &= df["publicity_ends_on"].isna() | (df["publicity_ends_on"] >= ts)
    if fact.where:
        true, _ = _mask(parse(fact.where, fields=fields_of(catalog, fact.record_types)), df)
        m &= true
    return m


def _value(fact: Fact, df: pd.DataFrame, m: pd.Series, as_of: date, index: pd.Index) -> pd.Series:
    rows = df[m]
    groups = rows.groupby("subject_id")
    if fact.measure is Measure.COUNT:
        return groups.size().reindex(index, fill_value=0).astype(float)
    if fact.measure is Measure.EXISTS:
        return (groups.size() > 0).astype(float).reindex(index, fill_value=0)
    if fact.measure is Measure.DAYS_SINCE:
        latest = groups["decided_on"].max()
        return (pd.Timestamp(as_of) - latest).dt.days.astype(float).reindex(index)
    col = rows[fact.field]
    if fact.measure is Measure.SUM:
        return (
            pd.to_numeric(col, errors="coerce")
            .groupby(rows["subject_id"])
            .sum(min_count=1)
            .reindex(index)
            .fillna(0)
        )
    if fact.measure is Measure.MAX:
        return pd.to_numeric(col, errors="coerce").groupby(rows["subject_id"]).max().reindex(index)
    # LATEST: the value on the newest record (ties: the greatest value), as the SQL does.
    tagged = rows["decided_on"].dt.strftime("%Y-%m-%d") + "|" + col.astype(str)
    return tagged.groupby(rows["subject_id"]).max().str.slice(11).reindex(index)


def _points(rule: Any, value: pd.Series, max_points: Decimal) -> pd.Series:
    top = float(max_points)
    if isinstance(rule, PerOccurrence):
        start = top if rule.start == "max" else 0.0
        return (start + value.fillna(0) * float(rule.each)).clip(0, top)
    if isinstance(rule, Bands):
        conds, choices = [], []
        for band in rule.bands:
            c = value.notna()
            if band.gte is not None:
                c &= value >= float(band.gte)
            if band.lt is not None:
                c &= value < float(band.lt)
            conds.append(c.to_numpy())
            choices.append(float(band.points))
        out = np.select(conds, choices, default=float(rule.default))
        return pd.Series(out, index=value.index).clip(0, top)
    if isinstance(rule, CategoryMap):
        mapped = value.map({k: float(v) for k, v in rule.map.items()})
        return mapped.fillna(float(rule.default)).clip(0, top)
    raise TypeError(f"unknown points rule {rule!r}")


def prepare(records: pd.DataFrame, card: Scorecard, catalog: Any) -> pd.DataFrame:
    """Parse the JSON fields the model reads into columns (json.loads per record)."""
    names: set[str] = set()
    items = [i.fact for d in card.dimensions for i in d.indicators] + [b.fact for b in card.bonus]
    for fact in items:
        if fact.field:
            names.add(fact.field)
        if fact.where:
            expr = parse(fact.where, fields=fields_of(catalog, fact.record_types))
            names.update(n for n in _fields(expr) if n not in RECORD_COLUMNS)
    parsed = records["fields"].map(json.loads)
    for name in names:
        records[name] = parsed.map(lambda d, n=name: d.get(n))
    return records


def _fields(expr: Expr) -> set[str]:
    if isinstance(expr, And | Or):
        return set().union(*(_fields(e) for e in expr.operands))
    if isinstance(expr, Not):
        return _fields(expr.operand)
    return {expr.field} if hasattr(expr, "field") else set()


def evaluate(
    card: Scorecard, catalog: Any, records: pd.DataFrame, subjects: pd.Series, as_of: date
) -> pd.DataFrame:
    """One row per subject: total and grade."""
    df = records[(records["status"] == "active") & (records["decided_on"] <= pd.Timestamp(as_of))]
    index = pd.Index(subjects, name="subject_id")
    total = pd.Series(0.0, index=index)
    values: dict[str, pd.Series] = {}
    entries = [
        (i.id, i.fact, i.points, i.max_points) for d in card.dimensions for i in d.indicators
    ]
    entries += [(b.id, b.fact, b.points, b.max_points) for b in card.bonus]
    for item_id, fact, rule, max_points in entries:
        value = _value(fact, df, _fact_rows(fact, df, catalog, as_of), as_of, index)
        values[item_id] = value
        total = total + _points(rule, value, max_points)
    total = total.clip(float(card.score.min), float(card.score.max))
    forced = pd.Series(None, index=index, dtype=object)
    for v in card.veto:
        hit = values[v.indicator].fillna(0) >= float(v.at_least)
        if v.effect.cap is not None:
            total = total.where(~hit, total.clip(upper=float(v.effect.cap)))
        if v.effect.grade is not None:
            forced = forced.where(forced.notna() | ~hit, v.effect.grade)
    bands = sorted(card.grades, key=lambda g: g.min, reverse=True)
    grade = pd.Series(bands[-1].grade, index=index, dtype=object)
    for band in reversed(bands[:-1]):
        grade = grade.where(total < float(band.min), band.grade)
    grade = forced.where(forced.notna(), grade)
    return pd.DataFrame({"total": total.round(2), "grade": grade})
