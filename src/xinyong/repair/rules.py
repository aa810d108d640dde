"""Repair rules as dated data (``definitions/rules.yaml``) and the public guide made from them.

A rule matches a record by type, severity and the sector of the department that made it; the
first match wins, so specific rules come first. The minimum publicity period and the cases
that can never end early are the catalog's (per record: ``repair_possible_from``); a rule adds
what must be proven, by whom, who decides and where the application goes.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from xinyong.catalog.definition_files import load_definition
from xinyong.catalog.loader import Catalog
from xinyong.errors import FieldError
from xinyong.repair.errors import RepairRulesError

RULES_PATH: Final = Path(__file__).parent / "definitions" / "rules.yaml"

ProvidedBy = Literal["platform", "department", "applicant"]
PROVIDED_BY_LABELS: Final = {
    "platform": "平台自动调取",
    "department": "决定部门在本部门系统中核验",
    "applicant": "申请人上传",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Proof(_Strict):
    name: str = Field(min_length=1, max_length=100)
    provided_by: ProvidedBy


class RepairRule(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    name: str = Field(min_length=1, max_length=100)
    record_types: list[str] = Field(min_length=1)
    severities: list[str] = []
    sectors: list[str] = []
    repairable: bool = True
    not_repairable_reason: str | None = None
    conditions: list[str] = Field(min_length=1)
    proofs: list[Proof]
    decider: str = Field(min_length=1)
    intake: str = Field(min_length=1)
    reference: str = Field(min_length=1)

    def matches(self, record_type: str, severity: str | None, sector: str | None) -> bool:
        return (
            record_type in self.record_types
            and (not self.severities or severity in self.severities)
            and (not self.sectors or sector in self.sectors)
        )

    @property
    def needs_upload(self) -> bool:
        return any(p.provided_by == "applicant" for p in self.proofs)


class Sla(_Strict):
    intake_feedback_workdays: int = Field(ge=1, le=60)
    department_decision_workdays: int = Field(ge=1, le=60)
    display_stop_workdays: int = Field(ge=1, le=60)
    supplement_workdays: int = Field(ge=1, le=60)
    reference: str


class Reapplication(_Strict):
    """When a record may be applied for again after a rejection: ``after_rejection_days``
    calendar days from the decision (0: at once, once the reason given is remedied)."""

    after_rejection_days: int = Field(ge=0, le=3650)
    reference: str = Field(min_length=1)


class RepairRules(_Strict):
    version: int = Field(ge=1)
    effective_from: date
    reference: str
    free_of_charge: Literal[True]
    reapplication: Reapplication
    commitment_template: str
    commitment_text: str = Field(min_length=20)
    sla: Sla
    rules: list[RepairRule] = Field(min_length=1)

    def rule_for(
        self, record_type: str, severity: str | None, sector: str | None
    ) -> RepairRule | None:
        """The first rule matching a record, or None (no repair rule for it)."""
        return next((r for r in self.rules if r.matches(record_type, severity, sector)), None)


def _catalog_problems(rules: RepairRules, catalog: Catalog) -> list[FieldError]:
    problems = []
    for i, rule in enumerate(rules.rules):
        for record_type in rule.record_types:
            if catalog.get(record_type) is None:
                problems.append(
                    FieldError(
                        f"rules[{i}]（{rule.id}）.record_types",
                        "repair.unknown_record_type",
                        f"信息目录中没有 {record_type}",
                    )
                )
        if not rule.repairable and not rule.not_repairable_reason:
            problems.append(
                FieldError(
                    f"rules[{i}]（{rule.id}）",
                    "repair.reason_missing",
                    "不可修复的规则须写明原因（not_repairable_reason）",
                )
            )
    return problems


def load_rules(catalog: Catalog, path: Path = RULES_PATH) -> RepairRules:
    """Read and check the repair rules against ``catalog``."""
    rules, _ = load_definition(path, RepairRules, prefix="repair", error=RepairRulesError)
    problems = _catalog_problems(rules, catalog)
    if problems:
        raise RepairRulesError(path, problems)
    return rules
