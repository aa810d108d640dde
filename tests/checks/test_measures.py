"""The measures catalog: every shipped measure parses and cites its basis; a bad definition is
named item by item; the decision is the most restrictive applicable action."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import yaml

from xinyong.catalog.loader import default_catalog
from xinyong.checks.decide import NOT_FOUND_REASON, decide
from xinyong.checks.errors import MeasureDefinitionError, UnknownArea
from xinyong.checks.facts import SubjectFacts, full_years_between
from xinyong.checks.measures import (
    MEASURES_PATH,
    Action,
    Area,
    load_measures,
    most_restrictive,
    parse_area,
)
from xinyong.lists.definitions import load_definitions
from xinyong.lists.schemas import ListMembership
from xinyong.scoring.grades import GradeFact
from xinyong.scoring.shipped import load_all

CATALOG = default_catalog()
SCORECARDS = load_all(CATALOG)
LISTS = load_definitions(CATALOG)
SHIPPED = load_measures(SCORECARDS, LISTS)
ON = date(2026, 11, 22)


def _write(tmp_path, **changes):
    data = yaml.safe_load(MEASURES_PATH.read_text(encoding="utf-8"))
    data["measures"][0].update(changes)
    path = tmp_path / "measures.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _membership(list_id, suppressed_by=None):
    return ListMembership(
        list_id=list_id,
        list_name=LISTS.get(list_id).name,
        public=True,
        starts_on=date(2026, 1, 1),
        ends_on=None,
        basis="测试",
        reference=None,
        source_record_id=None,
        rule_id=None,
        suppressed_by=suppressed_by,
    )


def _facts(**values):
    grade = values.pop("grade", None)
    facts = SubjectFacts(subject_id=1, kind="enterprise", **values)
    if grade:
        facts.grades["enterprise_public_credit"] = GradeFact(
            "enterprise_public_credit", "企业公共信用综合评价", 1, grade, Decimal(950), ON
        )
    return facts


def test_every_shipped_measure_cites_its_basis_and_parses():
    assert all(m.reference for m in SHIPPED.measures)
    assert set(SHIPPED.triggers) == {m.id for m in SHIPPED.measures}
    assert {a for m in SHIPPED.measures for a in m.areas} == set(Area)


def test_scale_ranks_refusal_highest_and_priority_lowest():
    assert (
        most_restrictive([Action.PRIORITY, Action.STRICT_REVIEW, Action.RESTRICT])
        is Action.RESTRICT
    )
    assert most_restrictive([Action.PRIORITY, Action.ACCEPT_WITH_GAPS]) is Action.ACCEPT_WITH_GAPS
    assert most_restrictive([Action.REFUSE, Action.RESTRICT]) is Action.REFUSE
    assert most_restrictive([]) is Action.NORMAL
    ranks = [a.rank for a in Action]
    assert ranks == sorted(ranks, reverse=True)


def test_personal_score_can_never_be_a_basis(tmp_path):
    path = _write(tmp_path, model="personal_credit", when='grade == "信用极好"')
    with pytest.raises(MeasureDefinitionError) as caught:
        load_measures(SCORECARDS, LISTS, path)
    assert caught.value.errors[0].code == "checks.consent_model"
    assert "measures[0]" in caught.value.errors[0].field


def test_unknown_field_in_a_trigger_is_named(tmp_path):
    path = _write(tmp_path, when="fine_total > 3")
    with pytest.raises(MeasureDefinitionError) as caught:
        load_measures(SCORECARDS, LISTS, path)
    error = caught.value.errors[0]
    assert error.field.endswith(".when") and error.code == "expr.unknown_field"


def test_grade_without_a_model_is_refused(tmp_path):
    path = _write(tmp_path, when='grade == "优秀"')
    with pytest.raises(MeasureDefinitionError) as caught:
        load_measures(SCORECARDS, LISTS, path)
    assert caught.value.errors[0].code == "expr.unknown_field"


def test_grade_outside_the_models_vocabulary_is_refused(tmp_path):
    path = _write(tmp_path, model="enterprise_public_credit", when='grade == "A级"')
    with pytest.raises(MeasureDefinitionError):
        load_measures(SCORECARDS, LISTS, path)


def test_reward_with_a_punishing_action_is_refused(tmp_path):
    path = _write(tmp_path, kind="reward", action="不予办理")
    with pytest.raises(MeasureDefinitionError) as caught:
        load_measures(SCORECARDS, LISTS, path)
    assert "激励措施" in caught.value.errors[0].message


def test_measure_not_yet_in_force_is_not_applied(tmp_path):
    path = _write(tmp_path, effective_from="2030-01-01")
    catalog = load_measures(SCORECARDS, LISTS, path)
    facts = _facts(lists=[_membership("red")])
    applied = decide(catalog, facts, Area.APPROVAL, ON)
    assert "approval_priority_red_list" not in {m.id for m in applied.measures}
    assert "approval_priority_red_list" in {
        m.id for m in decide(SHIPPED, facts, Area.APPROVAL, ON).measures
    }


def test_unknown_area_names_the_choices():
    with pytest.raises(UnknownArea) as caught:
        parse_area("招商引资")
    assert "审批服务" in caught.value.errors[0].message


def test_not_found_is_normal_with_a_reason():
    decision = decide(SHIPPED, None, Area.PUBLIC_RESOURCE_TRADING, ON)
    assert decision.action is Action.NORMAL
    assert decision.reasons == [NOT_FOUND_REASON]


def test_red_suppressed_by_black_earns_no_incentive():
    facts = _facts(lists=[_membership("red", suppressed_by="black"), _membership("black")])
    decision = decide(SHIPPED, facts, Area.APPROVAL, ON)
    assert {m.kind for m in decision.measures} == {"punish"}
    assert decision.action is Action.STRICT_REVIEW


def test_commitment_breach_excludes_notification_commitment():
    decision = decide(SHIPPED, _facts(commitment_breaches=1, bad_records=1), Area.APPROVAL, ON)
    assert decision.action is Action.NO_NOTIFICATION_COMMITMENT
    assert "国办发〔2020〕42号" in decision.measures[0].reference


def test_serious_penalty_three_full_years_ago_no_longer_refuses_procurement():
    recent = _facts(serious_bad_records=1, bad_records=1, serious_penalty_years_ago=2)
    older = _facts(serious_bad_records=1, bad_records=1, serious_penalty_years_ago=3)
    assert decide(SHIPPED, recent, Area.PUBLIC_RESOURCE_TRADING, ON).action is Action.REFUSE
    assert decide(SHIPPED, older, Area.PUBLIC_RESOURCE_TRADING, ON).action is not Action.REFUSE


@pytest.mark.parametrize(
    ("earlier", "later", "years"),
    [
        (date(2024, 5, 1), date(2027, 4, 30), 2),
        (date(2024, 5, 1), date(2027, 5, 1), 3),
        (date(2024, 2, 29), date(2025, 2, 28), 0),
        (date(2024, 2, 29), date(2025, 3, 1), 1),
        (date(2026, 11, 22), date(2026, 11, 22), 0),
    ],
)
def test_full_years_count_like_birthdays(earlier, later, years):
    assert full_years_between(earlier, later) == years
