"""Loading the catalog: every shipped definition loads, a bad one names its file and item."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from xinyong.catalog.loader import (
    DEFINITIONS_DIR,
    CatalogDefinitionError,
    default_catalog,
    load_catalog,
)
from xinyong.catalog.validation import header_key

SHIPPED = sorted(
    p.name
    for p in DEFINITIONS_DIR.glob("*.yaml")
    if p.name not in ("_subject_fields.yaml", "regimes.yaml")
)


def definitions_copy(tmp_path: Path) -> Path:
    target = tmp_path / "definitions"
    shutil.copytree(DEFINITIONS_DIR, target)
    return target


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def load_error(directory: Path) -> CatalogDefinitionError:
    with pytest.raises(CatalogDefinitionError) as exc:
        load_catalog(directory)
    assert exc.value.code == "catalog.invalid_definition"
    assert exc.value.status == 500
    return exc.value


class TestShippedDefinitions:
    def test_every_shipped_definition_loads(self):
        catalog = load_catalog()
        # the 14 types issue 2 names, 违诺信息 split from 信用承诺, and the two street-level
        # types of the 衣裳街 merchant model (街区执法记录, 消费投诉)
        assert len(catalog.types) == len(SHIPPED) == 17
        assert {p.name for p in catalog.sources.values()} == set(SHIPPED)

    @pytest.mark.parametrize("filename", SHIPPED)
    def test_every_type_has_legal_basis_and_keys(self, filename):
        catalog = default_catalog()
        code = next(c for c, p in catalog.sources.items() if p.name == filename)
        rt = catalog.types[code]
        assert rt.reference.strip()
        assert rt.key_fields
        assert rt.version >= 1

    @pytest.mark.parametrize("filename", SHIPPED)
    def test_no_column_title_feeds_two_fields(self, filename):
        # alias_index keeps the first field for a title: a shared alias would silently send a
        # column to the wrong field.
        catalog = default_catalog()
        code = next(c for c, p in catalog.sources.items() if p.name == filename)
        owner: dict[str, str] = {}
        clashes = []
        for f in catalog.types[code].fields:
            for alias in {header_key(a) for a in (f.name, f.label, *f.aliases)}:
                if owner.setdefault(alias, f.name) != f.name:
                    clashes.append((alias, owner[alias], f.name))
        assert clashes == []

    def test_every_regime_has_reference_and_known_types(self):
        catalog = default_catalog()
        assert {r.id for r in catalog.regimes} >= {
            "ndrc-2019-527",
            "ndrc-order-58",
            "ndrc-order-58-key-sectors",
            "ndrc-order-36",
            "samr-order-45",
            "samr-order-107",
        }
        for regime in catalog.regimes:
            assert regime.reference.strip()
            assert set(regime.record_types) <= set(catalog.types)

    def test_definition_hash_changes_with_any_file(self, tmp_path):
        directory = definitions_copy(tmp_path)
        before = load_catalog(directory).definition_hash
        assert before == load_catalog(DEFINITIONS_DIR).definition_hash
        replace_in(directory / "registration.yaml", "version: 1", "version: 2")
        assert load_catalog(directory).definition_hash != before

    def test_subject_field_aliases_expand_with_type_prefix(self):
        catalog = default_catalog()
        penalty = catalog.types["administrative_penalty"]
        licence = catalog.types["administrative_licence"]
        registration = catalog.types["registration"]
        assert "CF_XDR_SHXYM" in next(f for f in penalty.fields if f.name == "uscc").aliases
        assert "XK_XDR_SHXYM" in next(f for f in licence.fields if f.name == "uscc").aliases
        # no prefix: "{p}_…" aliases are dropped rather than kept literally
        uscc = next(f for f in registration.fields if f.name == "uscc")
        assert not any("{p}" in a or a.startswith("_") for a in uscc.aliases)


Edit = Callable[[Path], None]


class TestBadDefinitions:
    def test_unknown_key_field_names_file_and_field(self, tmp_path):
        directory = definitions_copy(tmp_path)
        replace_in(
            directory / "administrative_penalty.yaml",
            "key_fields: [record_id]",
            "key_fields: [record_no]",
        )
        error = load_error(directory)
        assert "administrative_penalty.yaml" in error.title
        assert [e.code for e in error.errors] == ["catalog.value_error"]
        assert error.errors[0].message == "引用了未定义的字段：record_no"
        assert "record_no" in (error.detail or "")

    def test_unknown_field_in_severity_rule_is_refused(self, tmp_path):
        directory = definitions_copy(tmp_path)
        replace_in(
            directory / "administrative_penalty.yaml",
            "- when: [{field: procedure, in: [简易程序]}]",
            "- when: [{field: procedur, in: [简易程序]}]",
        )
        error = load_error(directory)
        assert "administrative_penalty.yaml" in error.title
        assert "procedur" in error.errors[0].message

    def test_unknown_publicity_end_field_is_refused(self, tmp_path):
        directory = definitions_copy(tmp_path)
        replace_in(
            directory / "administrative_licence.yaml",
            "end_field: valid_to",
            "end_field: valid_until",
        )
        error = load_error(directory)
        assert "administrative_licence.yaml" in error.title
        assert error.errors[0].message == "引用了未定义的字段：valid_until"

    def test_bad_field_type_names_the_item(self, tmp_path):
        directory = definitions_copy(tmp_path)
        replace_in(
            directory / "administrative_penalty.yaml",
            "type: amount_wan, aliases: [CF_NR_FK",
            "type: money, aliases: [CF_NR_FK",
        )
        error = load_error(directory)
        assert "administrative_penalty.yaml" in error.title
        # 13 subject fields come first; fine_amount is the type's own field 9 (0-based)
        assert [(e.field, e.code) for e in error.errors] == [
            ("fields[22]（fine_amount）.type", "catalog.enum")
        ]

    def test_unexpected_key_is_refused(self, tmp_path):
        directory = definitions_copy(tmp_path)
        replace_in(
            directory / "administrative_penalty.yaml",
            "alias_prefix: CF",
            "alias_prefix: CF\nprefix: X",
        )
        error = load_error(directory)
        assert [(e.field, e.code) for e in error.errors] == [("prefix", "catalog.extra_forbidden")]

    def test_duplicate_type_names_the_second_file(self, tmp_path):
        directory = definitions_copy(tmp_path)
        shutil.copy(directory / "administrative_penalty.yaml", directory / "zz_penalty_copy.yaml")
        error = load_error(directory)
        assert "zz_penalty_copy.yaml" in error.title
        assert [(e.field, e.code) for e in error.errors] == [("code", "catalog.duplicate_type")]
        assert error.errors[0].message == "类型 administrative_penalty 重复定义"

    def test_bad_yaml_names_file_and_line(self, tmp_path):
        directory = definitions_copy(tmp_path)
        replace_in(
            directory / "administrative_licence.yaml",
            "polarity: {default: 基础}",
            "polarity: {default: 基础",
        )
        error = load_error(directory)
        assert "administrative_licence.yaml" in error.title
        assert [(e.field, e.code) for e in error.errors] == [("(文件)", "catalog.yaml_syntax")]
        assert error.errors[0].message.startswith("YAML 语法错误")
        assert "line 12" in error.errors[0].message

    @pytest.mark.parametrize("content", ["", "- a\n- b\n", "just text\n"])
    def test_definition_that_is_not_a_mapping_is_refused(self, tmp_path, content):
        directory = definitions_copy(tmp_path)
        (directory / "zz_broken.yaml").write_text(content, encoding="utf-8")
        error = load_error(directory)
        assert "zz_broken.yaml" in error.title
        assert [(e.field, e.code) for e in error.errors] == [("(根)", "catalog.not_mapping")]

    def test_bad_subject_field_names_file_and_index(self, tmp_path):
        directory = definitions_copy(tmp_path)
        replace_in(
            directory / "_subject_fields.yaml", "- name: subject_name", "- name: SubjectName"
        )
        error = load_error(directory)
        assert "_subject_fields.yaml" in error.title
        assert [(e.field, e.code) for e in error.errors] == [
            ("[0]（SubjectName）.name", "catalog.string_pattern_mismatch")
        ]

    def test_bad_yaml_in_subject_fields_names_the_file(self, tmp_path):
        directory = definitions_copy(tmp_path)
        replace_in(
            directory / "_subject_fields.yaml", "- name: subject_name", "- name: [subject_name"
        )
        error = load_error(directory)
        assert "_subject_fields.yaml" in error.title
        assert error.errors[0].code == "catalog.yaml_syntax"

    def test_regime_for_unknown_type_names_the_regime(self, tmp_path):
        directory = definitions_copy(tmp_path)
        replace_in(
            directory / "regimes.yaml",
            "record_types: [administrative_penalty]",
            "record_types: [administrative_penalti]",
        )
        error = load_error(directory)
        assert "regimes.yaml" in error.title
        assert [(e.field, e.code) for e in error.errors] == [
            ("ndrc-2019-527.record_types", "catalog.unknown_type")
        ]
        assert error.errors[0].message == "未知的信息类型：administrative_penalti"

    def test_enum_field_without_values_is_refused(self, tmp_path):
        directory = definitions_copy(tmp_path)
        replace_in(
            directory / "registration.yaml",
            "- {name: industry, label: 所属行业,",
            "- {name: industry, label: 所属行业, type: enum,",
        )
        error = load_error(directory)
        assert "registration.yaml" in error.title
        assert any("枚举字段 industry 缺少 values" in e.message for e in error.errors)

    @pytest.mark.parametrize(
        ("old", "new"),
        [
            (
                "- [{field: penalty_categories, only: [警告]}]",
                "- [{field: penalty_category, only: [警告]}]",
            ),
            ("restriction_end_field: valid_to", "restriction_end_field: valid_until"),
        ],
        ids=["not_publicised_when", "restriction_end_field"],
    )
    def test_unknown_field_in_regime_is_refused(self, tmp_path, old, new):
        directory = definitions_copy(tmp_path)
        replace_in(directory / "regimes.yaml", old, new)
        error = load_error(directory)
        assert "regimes.yaml" in error.title

    def test_regime_missing_a_severity_class_is_refused(self, tmp_path):
        directory = definitions_copy(tmp_path)
        replace_in(
            directory / "regimes.yaml",
            "      一般: {min_months: 3, max_months: 12}\n      严重: {min_months: 12, max_months: 36}\n"
            "  - id: samr-order-45",
            "      严重: {min_months: 12, max_months: 36}\n  - id: samr-order-45",
        )
        error = load_error(directory)
        assert "regimes.yaml" in error.title

    def test_missing_regimes_file_is_a_definition_error(self, tmp_path):
        directory = definitions_copy(tmp_path)
        (directory / "regimes.yaml").unlink()
        error = load_error(directory)
        assert "regimes.yaml" in error.title
