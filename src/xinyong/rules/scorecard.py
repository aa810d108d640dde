"""The typed tree a scorecard YAML is validated into (issue 3: one definitions engine).

A model scores one kind of subject as of a date: dimensions hold indicators; each indicator is
a fact over the subject's records (count / sum / max / exists / latest / days-since, filtered
by type, polarity, severity and a safe predicate, inside a window before ``as_of``) turned into
points by a rule. Bonus items add points, veto items cap the score or force a grade, and grade
bands map the total to a grade. Every item carries its legal basis (``reference``) so the
explanation a subject sees cites it. Facts are defined in ``rules.facts``, points rules in
``rules.points``. Structural rules are checked here; rules that need the catalog (record
types, field names, predicate syntax) are checked by the loader.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from xinyong.rules.facts import Fact
from xinyong.rules.points import Points

IDENTIFIER = r"^[a-z][a-z0-9_]*$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Indicator(Strict):
    id: str = Field(pattern=IDENTIFIER)
    name: str
    max_points: Decimal = Field(ge=0)
    fact: Fact
    points: Points
    reference: str


class Dimension(Strict):
    id: str = Field(pattern=IDENTIFIER)
    name: str
    weight: Decimal = Field(gt=0)
    indicators: list[Indicator] = Field(min_length=1)
    reference: str | None = None

    @model_validator(mode="after")
    def _indicators_sum_to_weight(self) -> Dimension:
        total = sum((i.max_points for i in self.indicators), Decimal(0))
        if total != self.weight:
            raise ValueError(
                f"维度“{self.name}”的指标分值合计 {total} 与维度权重 {self.weight} 不符"
            )
        return self


class Bonus(Strict):
    """Points added on top of the dimensions (守信 facts), capped per item."""

    id: str = Field(pattern=IDENTIFIER)
    name: str
    max_points: Decimal = Field(gt=0)
    fact: Fact
    points: Points
    reference: str


class VetoEffect(Strict):
    cap: Decimal | None = None  # the score may not exceed this
    grade: str | None = None  # the grade is forced to this

    @model_validator(mode="after")
    def _some_effect(self) -> VetoEffect:
        if self.cap is None and self.grade is None:
            raise ValueError("一票否决项需要 cap 或 grade 至少一项")
        return self


class Veto(Strict):
    """One-vote veto: when the named indicator's fact reaches ``at_least``."""

    id: str = Field(pattern=IDENTIFIER)
    name: str
    indicator: str
    at_least: Decimal = Decimal(1)
    effect: VetoEffect
    reference: str


class GradeBand(Strict):
    """A grade for totals in [min, max); the top band includes the maximum score."""

    grade: str
    min: Decimal
    max: Decimal
    label: str | None = None  # e.g. 五星 for a star level


class ScoreRange(Strict):
    min: Decimal = Decimal(0)
    max: Decimal
    total: Decimal  # what the dimensions' weights must add up to


class Scorecard(Strict):
    id: str = Field(pattern=IDENTIFIER)
    name: str
    version: int = Field(ge=1)
    subject_kinds: list[Literal["enterprise", "person", "social_org", "institution", "government"]]
    effective_from: date
    effective_to: date | None = None
    reference: str
    consent_required: bool = False  # personal scores only for persons who authorised them
    score: ScoreRange
    dimensions: list[Dimension] = Field(min_length=1)
    bonus: list[Bonus] = []
    veto: list[Veto] = []
    grades: list[GradeBand] = Field(min_length=1)
    notes: str | None = None

    @model_validator(mode="after")
    def _coherent(self) -> Scorecard:
        total = sum((d.weight for d in self.dimensions), Decimal(0))
        if total != self.score.total:
            raise ValueError(f"各维度权重合计 {total} 与声明的总分 {self.score.total} 不符")
        ids = [i.id for d in self.dimensions for i in d.indicators]
        ids += (
            [b.id for b in self.bonus] + [v.id for v in self.veto] + [d.id for d in self.dimensions]
        )
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"标识重复：{'、'.join(duplicates)}")
        indicator_ids = {i.id for d in self.dimensions for i in d.indicators}
        for v in self.veto:
            if v.indicator not in indicator_ids:
                raise ValueError(f"一票否决项“{v.name}”引用了不存在的指标：{v.indicator}")
        bands = sorted(self.grades, key=lambda g: g.min)
        if bands[0].min != self.score.min:
            raise ValueError(f"最低等级的下限 {bands[0].min} 应等于最低分 {self.score.min}")
        if bands[-1].max != self.score.max:
            raise ValueError(f"最高等级的上限 {bands[-1].max} 应等于最高分 {self.score.max}")
        for low, high in pairwise(bands):
            if high.min < low.max:
                raise ValueError(f"等级区间重叠：{low.grade} 与 {high.grade}")
            if high.min > low.max:
                raise ValueError(
                    f"等级区间有空档：{low.grade} 与 {high.grade} 之间 [{low.max}, {high.min})"
                )
        for band in bands:
            if band.min >= band.max:
                raise ValueError(f"等级“{band.grade}”的区间为空")
        grades = {g.grade for g in self.grades}
        for v in self.veto:
            if v.effect.grade is not None and v.effect.grade not in grades:
                raise ValueError(f"一票否决项“{v.name}”指定了不存在的等级：{v.effect.grade}")
        return self

    def grade_for(self, score: Decimal) -> GradeBand:
        """The band containing ``score`` (the top band includes the maximum)."""
        for band in sorted(self.grades, key=lambda g: g.min):
            if band.min <= score < band.max or (score == band.max == self.score.max):
                return band
        raise ValueError(f"分数 {score} 不在任何等级区间内")
