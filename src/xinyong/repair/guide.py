"""The public repair guide (“一套指南，全部门执行”), generated from the repair rules and the
catalog's publicity regimes, so that what the guide says is what the service does."""

from __future__ import annotations

from xinyong.catalog.loader import Catalog
from xinyong.catalog.schemas import PublicityKind
from xinyong.repair.rules import PROVIDED_BY_LABELS, RepairRule, RepairRules
from xinyong.repair.schemas import Guide, GuideProof, GuideRule


def _months(n: int | None) -> str:
    if n is None:
        return "不可提前修复"
    if n == 0:
        return "履行义务后即可"
    return f"{n // 12} 年" if n % 12 == 0 else f"{n} 个月"


def _publicity(rule: RepairRule, catalog: Catalog) -> list[str]:
    """The periods of the regimes covering the rule's record types, newest first."""
    lines = []
    for regime in sorted(catalog.regimes, key=lambda r: r.effective_from, reverse=True):
        if not set(rule.record_types) & set(regime.record_types):
            continue
        if rule.sectors and regime.sectors and not set(rule.sectors) & set(regime.sectors):
            continue
        period = f"{regime.effective_from} 起" + (
            f"至 {regime.effective_to}" if regime.effective_to else ""
        )
        classes = "；".join(
            f"{severity.value}：最短 {_months(c.min_months)}、最长 {_months(c.max_months)}"
            + ("（原则上不公示）" if not c.publicised else "")
            for severity, c in regime.classes.items()
            if not rule.severities or severity.value in rule.severities
        )
        lines.append(f"{regime.name}（{period}）：{classes}")
    for record_type in rule.record_types:
        rt = catalog.get(record_type)
        if rt is not None and rt.publicity.kind is not PublicityKind.REGIME:
            spec = rt.publicity
            length = f"公示至有效期届满（未写明的 {_months(spec.default_months)}）"
            early = (
                f"，满 {_months(spec.repair_after_months)} 可申请修复"
                if spec.repair_after_months is not None
                else "，不可提前修复"
            )
            lines.append(f"{rt.name}：{length}{early}")
    return lines


def _reapplication(rules: RepairRules) -> str:
    days = rules.reapplication.after_rejection_days
    when = (
        "按不予修复的理由纠正后即可重新申请" if days == 0 else f"自决定之日起满 {days} 日可重新申请"
    )
    return f"不予修复的，决定部门须说明理由；{when}；对决定有异议的，可提出“修复结果”异议（{rules.reapplication.reference}）"


def build_guide(rules: RepairRules, catalog: Catalog, record_type: str | None = None) -> Guide:
    """The guide, for every rule or for the rules covering ``record_type``."""
    chosen = [r for r in rules.rules if record_type is None or record_type in r.record_types]
    sla = rules.sla
    return Guide(
        title="信用修复一件事办事指南",
        version=rules.version,
        effective_from=rules.effective_from,
        reference=rules.reference,
        free_of_charge=rules.free_of_charge,
        materials=[
            "信用修复申请表（系统根据已归集信息自动生成，无需填写）",
            "信用承诺书（在线签署，一份承诺书覆盖本次申请的全部信息）",
            "履行法定义务的证明（仅当平台和决定部门均无法调取时上传，多份文件合并为一项材料）",
        ],
        time_limits=[
            f"受理后 {sla.intake_feedback_workdays} 个工作日内反馈办理结果",
            f"各决定部门收到后 {sla.department_decision_workdays} 个工作日内作出决定（补正材料期间暂停计时）",
            f"准予修复后 {sla.display_stop_workdays} 个工作日内各信用平台停止公示",
            f"需补正材料的，请于 {sla.supplement_workdays} 个工作日内补正，逾期终止（可重新申请）",
            _reapplication(rules),
            "信用修复不收取任何费用，谨防有偿“删除”信息的诈骗",
        ],
        rules=[
            GuideRule(
                id=r.id,
                name=r.name,
                record_types=r.record_types,
                record_type_names=[
                    rt.name if (rt := catalog.get(t)) else t for t in r.record_types
                ],
                severities=r.severities,
                sectors=r.sectors,
                repairable=r.repairable,
                not_repairable_reason=r.not_repairable_reason,
                conditions=r.conditions,
                proofs=[
                    GuideProof(
                        name=p.name,
                        provided_by=p.provided_by,
                        provided_by_label=PROVIDED_BY_LABELS[p.provided_by],
                    )
                    for p in r.proofs
                ],
                decider=r.decider,
                intake=r.intake,
                reference=r.reference,
                publicity=_publicity(r, catalog),
            )
            for r in chosen
        ],
    )
