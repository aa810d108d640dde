"""The measures catalog's golden cases: check facts in → each area's decision out, through the
same decide() a credit check uses."""

from __future__ import annotations

from datetime import date

from xinyong.catalog.loader import default_catalog
from xinyong.checks.measure_cases import (
    MeasureCase,
    MeasureCases,
    MeasureFacts,
    load_cases,
    run_measure_cases,
)
from xinyong.checks.measures import load_measures
from xinyong.lists.definitions import load_definitions
from xinyong.scoring.shipped import load_all

CATALOG = default_catalog()
SCORECARDS = load_all(CATALOG)
LISTS = load_definitions(CATALOG)
MEASURES = load_measures(SCORECARDS, LISTS)


def test_every_shipped_measure_case_passes():
    cases = load_cases()
    assert len(cases.cases) >= 4
    results = run_measure_cases(MEASURES, SCORECARDS, LISTS, cases)
    assert [r.case for r in results] == [c.name for c in cases.cases]
    failed = [r.describe() for r in results if not r.passed]
    assert not failed, "\n".join(failed)


def _one(expect: dict[str, object], **facts: object) -> MeasureCases:
    case = MeasureCase(
        name="一个案例",
        as_of=date(2026, 11, 30),
        facts=MeasureFacts.model_validate({"kind": "enterprise", **facts}),
        expect=expect,
    )
    return MeasureCases(cases=[case])


def test_a_black_listed_subject_expected_to_be_served_normally_fails_in_chinese():
    cases = _one({"其他政务": "正常办理"}, lists=["black"])
    [result] = run_measure_cases(MEASURES, SCORECARDS, LISTS, cases)
    assert result.mismatches == ("规则：其他政务的处理方式为 不予办理，应为 正常办理",)


def test_an_output_the_catalog_does_not_have_is_named():
    cases = _one({"审批服务": "正常办理", "招投标": "正常办理"})
    [result] = run_measure_cases(MEASURES, SCORECARDS, LISTS, cases)
    assert result.mismatches == ("措施清单 没有这些输出：招投标",)
