"""The measures catalog (守信激励与失信惩戒措施清单): ``definitions/measures.yaml``.

Each measure is dated, cites its legal basis, names the areas it applies in, and triggers on a
predicate in the same safe grammar as scorecards and lists (``rules/expression.py``) over the
check facts of ``checks/facts.py``: the grade under one model, list memberships, counts of
bad records in publicity, the age of the latest serious penalty, commitment breaches. A measure
may only read a model that needs no consent (a personal score is never a basis for
punishment); a measure not yet in force, or no longer, is not applied (《浙江省公共信用信息管理
条例》第二十八条: a punishment measure that was not published may not be taken).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from xinyong.catalog.definition_files import load_definition
from xinyong.checks.errors import MeasureDefinitionError, UnknownArea
from xinyong.checks.facts import fact_fields
from xinyong.errors import FieldError
from xinyong.lists.definitions import ListDefinitions
from xinyong.rules.expression import Expr, ExpressionError, parse
from xinyong.rules.loader import LoadedScorecard

MEASURES_PATH: Final = Path(__file__).parent / "definitions" / "measures.yaml"


class Area(StrEnum):
    """The five areas Zhejiang's credit checks are applied in (seed 004)."""

    APPROVAL = "审批服务"
    SUPERVISION = "行政监管"
    PUBLIC_SERVICE = "公共服务"
    PUBLIC_RESOURCE_TRADING = "公共资源交易"
    OTHER_GOVERNMENT = "其他政务"


class Action(StrEnum):
    """The ranked scale of handling, most restrictive first."""

    REFUSE = "不予办理"
    RESTRICT = "限制参与"
    STRICT_REVIEW = "从严审查"
    NO_NOTIFICATION_COMMITMENT = "不适用告知承诺"
    NORMAL = "正常办理"
    ACCEPT_WITH_GAPS = "容缺受理"
    PRIORITY = "优先办理"
    GREEN_CHANNEL = "绿色通道"

    @property
    def rank(self) -> int:
        """Restrictiveness: higher is more restrictive; 优先办理 and 绿色通道 rank alike."""
        return ACTION_RANK[self]


ACTION_RANK: Final[Mapping[Action, int]] = {
    Action.REFUSE: 7,
    Action.RESTRICT: 6,
    Action.STRICT_REVIEW: 5,
    Action.NO_NOTIFICATION_COMMITMENT: 4,
    Action.NORMAL: 3,
    Action.ACCEPT_WITH_GAPS: 2,
    Action.PRIORITY: 1,
    Action.GREEN_CHANNEL: 1,
}
REWARD_ACTIONS: Final = frozenset(
    {Action.ACCEPT_WITH_GAPS, Action.PRIORITY, Action.GREEN_CHANNEL, Action.NORMAL}
)


def most_restrictive(actions: list[Action]) -> Action:
    """The decision: the most restrictive of ``actions`` (in scale order on a tie), 正常办理
    when there are none."""
    if not actions:
        return Action.NORMAL
    order = list(Action)
    return max(actions, key=lambda a: (a.rank, -order.index(a)))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Measure(_Strict):
    """One incentive or punishment measure."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    name: str = Field(min_length=1, max_length=100)
    kind: Literal["reward", "punish"]
    areas: list[Area] = Field(min_length=1)
    when: str = Field(min_length=1, max_length=1000)
    model: str | None = Field(default=None, description="grade 字段取自哪个评价模型")
    subject_kinds: list[
        Literal["enterprise", "person", "social_org", "institution", "government"]
    ] = []
    action: Action
    text: str = Field(min_length=1, max_length=500)
    key_supervision_months: int | None = Field(default=None, ge=1, le=60)
    reference: str = Field(min_length=1, max_length=500)
    effective_from: date
    effective_to: date | None = None

    @model_validator(mode="after")
    def _coherent(self) -> Measure:
        if self.kind == "reward" and self.action not in REWARD_ACTIONS:
            raise ValueError(f"激励措施不能采用惩戒性处理方式：{self.action.value}")
        if self.kind == "punish" and self.action in REWARD_ACTIONS:
            raise ValueError(f"惩戒措施不能采用激励性处理方式：{self.action.value}")
        if self.key_supervision_months and self.kind != "punish":
            raise ValueError("只有惩戒措施可以列入重点监管名单")
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError("失效日期早于生效日期")
        return self

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


class MeasureCatalog(_Strict):
    version: int = Field(ge=1)
    effective_from: date
    reference: str = Field(min_length=1)
    measures: list[Measure] = Field(min_length=1)
    # Filled by the loader: measure id → parsed trigger.
    triggers: dict[str, Expr] = Field(default_factory=dict, exclude=True)

    @model_validator(mode="after")
    def _unique(self) -> MeasureCatalog:
        ids = [m.id for m in self.measures]
        duplicated = sorted({i for i in ids if ids.count(i) > 1})
        if duplicated:
            raise ValueError(f"措施编号重复：{'、'.join(duplicated)}")
        return self

    def get(self, measure_id: str) -> Measure | None:
        return next((m for m in self.measures if m.id == measure_id), None)

    def for_area(self, area: Area, on: date) -> list[Measure]:
        return [m for m in self.measures if area in m.areas and m.in_force(on)]


def parse_area(value: str, field_name: str = "area") -> Area:
    """The area named ``value``; an unknown one is a 422 naming the field and the choices."""
    try:
        return Area(value)
    except ValueError:
        raise UnknownArea(value, [a.value for a in Area], field_name) from None


def _triggers(
    catalog: MeasureCatalog,
    scorecards: Mapping[str, LoadedScorecard],
    lists: ListDefinitions,
) -> tuple[dict[str, Expr], list[FieldError]]:
    triggers: dict[str, Expr] = {}
    problems: list[FieldError] = []
    for i, measure in enumerate(catalog.measures):
        where = f"measures[{i}]（{measure.id}）"
        card = None
        if measure.model is not None:
            loaded = scorecards.get(measure.model)
            if loaded is None:
                problems.append(
                    FieldError(
                        f"{where}.model", "checks.unknown_model", f"没有评价模型 {measure.model}"
                    )
                )
                continue
            card = loaded.scorecard
            if card.consent_required:
                problems.append(
                    FieldError(
                        f"{where}.model",
                        "checks.consent_model",
                        f"模型 {card.id} 须本人授权才能计算，不能作为奖惩措施的依据",
                    )
                )
                continue
        try:
            triggers[measure.id] = parse(measure.when, fields=fact_fields(card, lists))
        except ExpressionError as exc:
            problems.append(FieldError(f"{where}.when", exc.code, exc.title))
    return triggers, problems


def load_measures(
    scorecards: Mapping[str, LoadedScorecard],
    lists: ListDefinitions,
    path: Path = MEASURES_PATH,
) -> MeasureCatalog:
    """Read the measures catalog and parse every trigger against the models and lists."""
    catalog, _ = load_definition(
        path, MeasureCatalog, prefix="checks", error=MeasureDefinitionError
    )
    triggers, problems = _triggers(catalog, scorecards, lists)
    if problems:
        raise MeasureDefinitionError(path, problems)
    return catalog.model_copy(update={"triggers": triggers})
