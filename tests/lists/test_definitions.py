"""lists.yaml is checked against the catalog at load; errors name the file and the item."""

from __future__ import annotations

import copy

import pytest
import yaml

from xinyong.catalog.loader import default_catalog
from xinyong.lists.definitions import DEFINITIONS_PATH, ListDefinitionError, load_definitions

CATALOG = default_catalog()
SHIPPED = yaml.safe_load(DEFINITIONS_PATH.read_text(encoding="utf-8"))


def _load(tmp_path, data):
    path = tmp_path / "my_lists.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_definitions(CATALOG, path)


def _with_rule(**changes):
    data = copy.deepcopy(SHIPPED)
    data["rules"][1].update(changes)
    return data


def _refused(tmp_path, data) -> ListDefinitionError:
    with pytest.raises(ListDefinitionError) as exc:
        _load(tmp_path, data)
    err = exc.value
    assert err.code == "lists.invalid_definition"
    assert "my_lists.yaml" in err.title
    return err


def test_shipped_definitions_load_with_four_lists_and_references():
    definitions = load_definitions(CATALOG)
    assert [x.id for x in definitions.lists] == ["red", "black", "key_supervision", "abnormal"]
    assert [x.id for x in definitions.lists if not x.public] == ["key_supervision"]
    assert all(r.reference for r in definitions.rules)
    assert definitions.get("red").suppressed_by == ["black"]
    assert len(definitions.definition_hash) == 64


def test_unknown_field_in_where_is_refused_naming_file_and_item(tmp_path):
    err = _refused(tmp_path, _with_rule(where='fine_amount > 1 or 列入原因 == "x"'))
    (problem,) = err.errors
    assert problem.field == "rules[1]（black_serious_dishonesty_list）.where"
    assert problem.code == "expr.unknown_field"
    assert "未知字段" in problem.message


def test_unknown_record_type_is_refused_naming_file_and_item(tmp_path):
    err = _refused(tmp_path, _with_rule(record_types=["serious_dishonesty"]))
    (problem,) = err.errors
    assert problem.field == "rules[1]（black_serious_dishonesty_list）.record_types"
    assert problem.message == "未知的信息类型：serious_dishonesty"


def test_end_field_must_be_a_date_of_the_record_type(tmp_path):
    err = _refused(tmp_path, _with_rule(end={"field": "reason"}))
    assert err.errors[0].code == "lists.not_a_date"
    assert err.errors[0].field.endswith(".end.field")


def test_rule_on_an_unknown_list_is_refused(tmp_path):
    err = _refused(tmp_path, _with_rule(list="grey"))
    assert "grey" in err.errors[0].message


def test_misspelt_key_is_refused_with_the_item(tmp_path):
    err = _refused(tmp_path, _with_rule(ends={"months": 36}))
    assert err.errors[0].field == "rules[1]（black_serious_dishonesty_list）.ends"
