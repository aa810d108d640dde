"""Points rules: how a fact's value becomes points, as definition and as SQL.

Three rules, each clamped to ``[0, max_points]``: per occurrence (start from full points or
zero and add ``each`` per unit of the fact), bands (points by the interval the value falls in)
and a category map (points by the value itself, e.g. 纳税信用等级 A). Scorecards use them for
indicators and bonus items; policies may use them for amounts. :func:`points` is the SQL.
"""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import and_, case, func, literal
from sqlalchemy.sql.elements import ColumnElement


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PerOccurrence(_Strict):
    """Start from ``start`` (default: the indicator's full points) and add ``each`` per unit
    of the fact (negative for deductions); clamped to [0, max_points]."""

    kind: Literal["per_occurrence"]
    each: Decimal
    start: Literal["max", "zero"] = "max"


class Band(_Strict):
    """Points when the fact value is in [gte, lt); an open side is unbounded."""

    gte: Decimal | None = None
    lt: Decimal | None = None
    points: Decimal


class Bands(_Strict):
    kind: Literal["bands"]
    bands: list[Band] = Field(min_length=1)
    default: Decimal = Decimal(0)

    @model_validator(mode="after")
    def _no_overlap(self) -> Bands:
        spans = sorted(
            (
                b.gte if b.gte is not None else Decimal("-Infinity"),
                b.lt if b.lt is not None else Decimal("Infinity"),
            )
            for b in self.bands
        )
        for (lo1, hi1), (lo2, _hi2) in pairwise(spans):
            if lo2 < hi1:
                raise ValueError(f"分段区间重叠：[{lo1}, {hi1}) 与 [{lo2}, …)")
        for lo, hi in spans:
            if lo >= hi:
                raise ValueError(f"分段区间为空：[{lo}, {hi})")
        return self


class CategoryMap(_Strict):
    """Points by the (latest) value of a field, e.g. 纳税信用等级 A → full points."""

    kind: Literal["category_map"]
    map: dict[str, Decimal] = Field(min_length=1)
    default: Decimal = Decimal(0)


Points = Annotated[PerOccurrence | Bands | CategoryMap, Field(discriminator="kind")]


def clamp(x: ColumnElement[Any], low: Decimal, high: Decimal) -> ColumnElement[Any]:
    """``x`` held inside [low, high]."""
    return case((x < float(low), float(low)), (x > float(high), float(high)), else_=x)


def points(rule: Points, value: ColumnElement[Any], max_points: Decimal) -> ColumnElement[Any]:
    """The points ``rule`` gives a fact ``value``, clamped to [0, max_points]; an unknown value
    scores the rule's default (bands, category map) or counts as none (per occurrence)."""
    if isinstance(rule, PerOccurrence):
        start = float(max_points) if rule.start == "max" else 0.0
        return clamp(
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
        return clamp(case(*whens, else_=float(rule.default)), Decimal(0), max_points)
    if isinstance(rule, CategoryMap):
        whens = [(value == key, float(pts)) for key, pts in rule.map.items()]
        return clamp(case(*whens, else_=float(rule.default)), Decimal(0), max_points)
    raise TypeError(f"unknown points rule {rule!r}")
