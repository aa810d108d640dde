"""The measures catalog's golden cases: check facts in → each area's decision out.

A case file (``checks/definitions/cases/measures.yaml``) gives the facts a credit check knows
of a subject (``checks.facts``: its kind, its grade under each model, the lists it is on, its
bad records in publicity…) and names the outputs: for an area, the handling decided
(``审批服务: 不予办理``) and the measures applied (``审批服务.measures: [approval_…]``). The
cases run through :func:`xinyong.checks.decide.decide`, the very function a check uses, by the
runner every rule set shares (``rules.cases``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from xinyong.checks.decide import decide
from xinyong.checks.facts import GradeFact, SubjectFacts
from xinyong.checks.measures import MEASURES_PATH, Area, MeasureCatalog
from xinyong.lists.definitions import ListDefinitions
from xinyong.lists.schemas import ListMembership
from xinyong.rules.cases import CaseFile, CaseResult, FactCase, load_case_file, run_cases
from xinyong.rules.loader import LoadedScorecard

CASES_PATH: Final = MEASURES_PATH.parent / "cases" / "measures.yaml"
MEASURES_SUFFIX: Final = ".measures"
RULES_PATH: Final = "规则"


class MeasureFacts(BaseModel):
    """What a check knows of a subject, as a case writes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["enterprise", "person", "social_org", "institution", "government"]
    grades: dict[str, str] = Field(default_factory=dict, description="模型编号 → 等级")
    lists: list[str] = Field(default_factory=list, description="所在名单（压制前）")
    bad_records: int = Field(default=0, ge=0)
    serious_bad_records: int = Field(default=0, ge=0)
    serious_penalty_years_ago: int | None = Field(default=None, ge=0)
    commitment_breaches: int = Field(default=0, ge=0)


MeasureCase = FactCase[MeasureFacts]


class MeasureCases(CaseFile):
    cases: list[MeasureCase] = Field(min_length=1)


def load_cases(path: Path = CASES_PATH) -> MeasureCases:
    """Read and validate the measures' case file; raises ``rules.cases.CaseFileError``."""
    return load_case_file(path, MeasureCases)


def label(name: str) -> str | None:
    """An area's decision (``审批服务``) or the measures it applies (``审批服务.measures``)."""
    area, _, what = name.partition(".")
    if area not in {a.value for a in Area} or what not in ("", MEASURES_SUFFIX[1:]):
        return None
    return f"{area}的处理方式" if not what else f"{area}适用的措施"


def subject_facts(
    facts: MeasureFacts,
    scorecards: Mapping[str, LoadedScorecard],
    lists: ListDefinitions,
    as_of: date,
) -> SubjectFacts:
    """The facts a check would have gathered, built from the case's."""
    grades = {}
    for model_id, grade in facts.grades.items():
        loaded = scorecards.get(model_id)
        name = loaded.scorecard.name if loaded else model_id
        version = loaded.scorecard.version if loaded else 0
        grades[model_id] = GradeFact(model_id, name, version, grade, Decimal(0), as_of)
    memberships = [
        ListMembership(
            list_id=list_id,
            list_name=definition.name if (definition := lists.get(list_id)) else list_id,
            public=definition.public if definition else False,
            starts_on=as_of,
            ends_on=None,
            basis="案例",
            reference=None,
            source_record_id=None,
            rule_id=None,
            suppressed_by=lists.suppressor(list_id, facts.lists),
        )
        for list_id in facts.lists
    ]
    return SubjectFacts(
        subject_id=0,
        kind=facts.kind,
        grades=grades,
        lists=memberships,
        bad_records=facts.bad_records,
        serious_bad_records=facts.serious_bad_records,
        serious_penalty_years_ago=facts.serious_penalty_years_ago,
        commitment_breaches=facts.commitment_breaches,
    )


def run_measure_cases(
    measures: MeasureCatalog,
    scorecards: Mapping[str, LoadedScorecard],
    lists: ListDefinitions,
    cases: MeasureCases,
) -> list[CaseResult]:
    """Every case decided in every area on its ``as_of`` and judged against its expectations."""

    def evaluate(case: MeasureCase) -> dict[str, dict[str, Any]]:
        facts = subject_facts(case.facts, scorecards, lists, case.as_of)
        outputs: dict[str, Any] = {}
        for area in Area:
            decision = decide(measures, facts, area, case.as_of)
            outputs[area.value] = decision.action.value
            outputs[f"{area.value}{MEASURES_SUFFIX}"] = [m.id for m in decision.measures]
        return {RULES_PATH: outputs}

    return run_cases("措施清单", cases.cases, evaluate, label=label)
