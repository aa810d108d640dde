"""From facts to a decision: which measures apply, the most restrictive action, and why.

Pure functions over :class:`~xinyong.checks.facts.SubjectFacts`; the same code decides a single
check and every subject of a batch, so the two cannot disagree.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from xinyong.checks.facts import FACT_LABELS, SubjectFacts
from xinyong.checks.measures import Action, Area, Measure, MeasureCatalog, most_restrictive
from xinyong.checks.schemas import MeasureApplied
from xinyong.rules.expression import fields_used
from xinyong.rules.predicate_eval import evaluate
from xinyong.subjects.models import SubjectKind

NOT_FOUND_REASON = "平台未归集到该主体的信用信息，未触发奖惩措施，按正常程序办理"
NOTHING_APPLIES = "未触发该领域的守信激励或失信惩戒措施，按正常程序办理"
# Facts in the order a reason names them.
FACT_ORDER = tuple(FACT_LABELS)


@dataclass(frozen=True)
class Decision:
    action: Action
    measures: list[MeasureApplied]
    reasons: list[str]


def _show(name: str, facts: SubjectFacts, measure: Measure) -> str:
    if name == "grade":
        grade = facts.grades.get(measure.model or "")
        if grade is None:
            return "公共信用评价等级：暂无评价结果"
        how = "，核查时按现行模型实时计算" if grade.online else ""
        return (
            f"{grade.model_name}等级：{grade.grade}（{grade.total} 分，"
            f"第 {grade.model_version} 版模型，评价日 {grade.as_of}{how}）"
        )
    if name == "lists":
        return f"所在名单：{list_names(facts)}"
    if name == "subject_kind":
        return f"主体类别：{SubjectKind(facts.kind).label}"
    value = getattr(facts, name)
    return f"{FACT_LABELS[name]}：{'无' if value is None else value}"


def list_names(facts: SubjectFacts) -> str:
    """Each list the subject counts as being on, once, in the order of the list catalog, with
    the number of its entries where there are several: 重点监管对象名单（2 条）、经营异常名录."""
    counts = Counter(m.list_name for m in facts.lists if m.suppressed_by is None)
    shown = [name if n == 1 else f"{name}（{n} 条）" for name, n in counts.items()]
    return "、".join(shown) or "无"


def _reason(measure: Measure, catalog: MeasureCatalog, facts: SubjectFacts) -> str:
    used = fields_used(catalog.triggers[measure.id])
    return "；".join(_show(n, facts, measure) for n in FACT_ORDER if n in used)


def _applied(measure: Measure, reason: str) -> MeasureApplied:
    return MeasureApplied(
        id=measure.id,
        name=measure.name,
        kind=measure.kind,
        action=measure.action,
        text=measure.text,
        reference=measure.reference,
        reason=reason,
        key_supervision=measure.key_supervision_months is not None,
    )


def decide(catalog: MeasureCatalog, facts: SubjectFacts | None, area: Area, on: date) -> Decision:
    """The measures of ``area`` in force ``on`` whose trigger holds for ``facts``; with any
    punishment, incentives are not applied; the decision is the most restrictive action."""
    if facts is None:
        return Decision(Action.NORMAL, [], [NOT_FOUND_REASON])
    applicable = [
        m
        for m in catalog.for_area(area, on)
        if (not m.subject_kinds or facts.kind in m.subject_kinds)
        and evaluate(catalog.triggers[m.id], facts.row(m.model))
    ]
    punishments = [m for m in applicable if m.kind == "punish"]
    chosen = punishments or applicable
    measures = [_applied(m, _reason(m, catalog, facts)) for m in chosen]
    action = most_restrictive([m.action for m in measures])
    reasons = [f"{m.name}（{m.action.value}）：{m.reason}" for m in measures]
    withheld = len(applicable) - len(chosen)
    if withheld:
        reasons.append(f"存在失信惩戒措施，{withheld} 项守信激励措施不予适用")
    if not measures:
        reasons.append(NOTHING_APPLIES)
    return Decision(action, measures, reasons)
