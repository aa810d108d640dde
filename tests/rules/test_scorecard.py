"""Scorecard definitions: what a sound model looks like and each way one is refused."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from factories.rules import SOUND
from xinyong.catalog.loader import default_catalog
from xinyong.rules.loader import ScorecardDefinitionError, load_scorecard


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "model.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _refused(tmp_path: Path, data: dict[str, Any]) -> ScorecardDefinitionError:
    with pytest.raises(ScorecardDefinitionError) as caught:
        load_scorecard(_write(tmp_path, data), default_catalog())
    assert caught.value.title.startswith("评价模型定义文件 model.yaml")
    return caught.value


def test_sound_model_loads_with_its_hash(tmp_path):
    loaded = load_scorecard(_write(tmp_path, SOUND), default_catalog())
    assert loaded.scorecard.id == "test_model"
    assert len(loaded.definition_hash) == 64
    assert loaded.scorecard.grade_for(Decimal(100)).grade == "优秀"
    assert loaded.scorecard.grade_for(Decimal("59.5")).grade == "较差"
    assert loaded.scorecard.grade_for(Decimal(60)).grade == "中等"


def test_unknown_key_is_refused_naming_the_item(tmp_path):
    data = copy.deepcopy(SOUND)
    data["dimensions"][0]["indicators"][0]["fact"]["colour"] = "红"
    err = _refused(tmp_path, data)
    assert "行政处罚" in err.errors[0].field
    assert err.errors[0].field.endswith("fact.colour")


def test_unknown_field_in_a_predicate_is_refused(tmp_path):
    data = copy.deepcopy(SOUND)
    data["dimensions"][0]["indicators"][0]["fact"]["where"] = "fine_amont >= 1"
    err = _refused(tmp_path, data)
    assert err.errors[0].code == "expr.unknown_field"
    assert err.errors[0].field.endswith("（行政处罚）.fact.where")


@pytest.mark.parametrize(
    "source",
    ["__import__('os').system('true')", "fine_amount.__class__", "len(penalty_categories) > 1"],
)
def test_unsafe_predicate_is_refused(tmp_path, source):
    data = copy.deepcopy(SOUND)
    data["dimensions"][0]["indicators"][0]["fact"]["where"] = source
    err = _refused(tmp_path, data)
    assert err.errors[0].code in {"expr.not_allowed", "expr.unknown_field"}


def test_weights_that_do_not_sum_to_the_total_are_refused(tmp_path):
    data = copy.deepcopy(SOUND)
    data["score"]["total"] = 110
    assert "各维度权重合计 100 与声明的总分 110 不符" in _refused(tmp_path, data).errors[0].message


def test_indicator_points_must_add_up_to_their_dimension(tmp_path):
    data = copy.deepcopy(SOUND)
    data["dimensions"][0]["indicators"][1]["max_points"] = 25
    assert "指标分值合计 65 与维度权重 60 不符" in _refused(tmp_path, data).errors[0].message


def test_overlapping_grade_bands_are_refused(tmp_path):
    data = copy.deepcopy(SOUND)
    data["grades"][1]["min"] = 55
    assert "等级区间重叠" in _refused(tmp_path, data).errors[0].message


def test_gapped_grade_bands_are_refused(tmp_path):
    data = copy.deepcopy(SOUND)
    data["grades"][2]["min"] = 80
    assert "空档" in _refused(tmp_path, data).errors[0].message


def test_veto_on_an_unknown_indicator_is_refused(tmp_path):
    data = copy.deepcopy(SOUND)
    data["veto"][0]["indicator"] = "no_such_indicator"
    assert "不存在的指标：no_such_indicator" in _refused(tmp_path, data).errors[0].message


def test_overlapping_point_bands_are_refused(tmp_path):
    data = copy.deepcopy(SOUND)
    data["dimensions"][0]["indicators"][1]["points"]["bands"][1]["gte"] = 0.5
    assert "分段区间重叠" in _refused(tmp_path, data).errors[0].message


def test_unknown_record_type_and_non_numeric_sum_are_refused(tmp_path):
    data = copy.deepcopy(SOUND)
    data["dimensions"][0]["indicators"][0]["fact"]["record_types"] = ["no_such_type"]
    data["dimensions"][0]["indicators"][1]["fact"]["field"] = "legal_basis"
    codes = {e.code for e in _refused(tmp_path, data).errors}
    assert codes == {"rules.unknown_record_type", "rules.not_numeric"}


def test_sum_without_a_field_is_refused(tmp_path):
    data = copy.deepcopy(SOUND)
    del data["dimensions"][0]["indicators"][1]["fact"]["field"]
    assert "需要指定 field" in _refused(tmp_path, data).errors[0].message
