"""Header mapping (CF_* codes, Chinese titles, the legacy template) and row normalisation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from factories.ingest import (
    AUTHORITY_USCC,
    LEGACY_ID_15,
    PENALTY_TITLES,
    PERSON_ID,
    make_uscc,
    penalty_row,
    person_penalty_row,
    wrong_check_uscc,
)
from xinyong.catalog.loader import default_catalog
from xinyong.catalog.validation import RowValidator, header_key, map_header, mask_id_value

CATALOG = default_catalog()
PENALTY = CATALOG.types["administrative_penalty"]
LICENCE = CATALOG.types["administrative_licence"]
VALIDATOR = RowValidator(PENALTY)


def by_field(header: list[str], cells: list[str], rt=PENALTY) -> dict[str, str]:
    """Cells keyed by field, combining columns that feed one multi-valued field."""
    out: dict[str, str] = {}
    for i, name in map_header(rt, header).columns:
        out[name] = f"{out[name]};{cells[i]}" if out.get(name) else cells[i]
    return out


def validate_cf(row: dict[str, str]):
    return VALIDATOR.validate(by_field(list(row), list(row.values())))


class TestHeaderMapping:
    def test_cf_codes_map_every_column(self):
        header = list(penalty_row())
        mapping = map_header(PENALTY, header)
        assert mapping.unknown_columns == ()
        assert mapping.missing_required == ()
        assert len(mapping.columns) == len(header)

    def test_chinese_titles_map_to_the_same_fields_as_codes(self):
        codes = map_header(PENALTY, list(PENALTY_TITLES))
        titles = map_header(PENALTY, list(PENALTY_TITLES.values()))
        assert codes.columns == titles.columns
        assert titles.unknown_columns == ()

    def test_lowercase_codes_and_spaced_titles_map(self):
        mapping = map_header(PENALTY, ["cf_wsh", " 处罚 决定日期 ", "Cf_Xdr_Mc"])
        assert [n for _, n in mapping.columns] == [
            "decision_number",
            "decision_date",
            "subject_name",
        ]

    @pytest.mark.parametrize(
        "title",
        [
            "罚款金额（万元）",
            "罚款金额(万元)",
            "罚款金额（万元)",
            "罚款金额 （ 万元 ）",
            "ＣＦ＿ＮＲ＿ＦＫ",
        ],
    )
    def test_full_width_and_ascii_brackets_are_the_same_title(self, title):
        mapping = map_header(PENALTY, [title])
        assert [n for _, n in mapping.columns] == ["fine_amount"]

    def test_bom_and_ideographic_space_are_ignored(self):
        assert header_key("\ufeffCF_WSH") == header_key("CF_WSH")
        assert header_key("处罚\u3000机关") == header_key("处罚机关")

    def test_legacy_template_columns(self):
        header = ["CF_CFMC", "处罚类别1", "处罚类别2", "CF_XZJG", "CF_ZT"]
        mapping = map_header(PENALTY, header)
        assert list(mapping.columns) == [
            (0, "case_name"),
            (1, "penalty_categories"),
            (2, "penalty_categories"),
            (3, "authority"),
            (4, "status"),
        ]
        assert mapping.duplicate_fields == ()

    def test_legacy_categories_combine_into_one_multi_valued_field(self):
        row = penalty_row(CF_NR_FK="5")
        del row["CF_CFLB"], row["CF_CFJG"]
        header = [*row, "CF_CFMC", "处罚类别1", "处罚类别2", "CF_XZJG"]
        cells = [*row.values(), "销售不合格食品案", "1", "4", "杭州市市场监督管理局"]
        result = VALIDATOR.validate(by_field(header, cells))
        assert result.errors == []
        # legacy code 4 = 暂扣或吊销许可证/执照: read as the lighter 暂扣 until the source corrects it
        assert result.values["penalty_categories"] == ["罚款", "暂扣许可证件"]
        assert result.values["case_name"] == "销售不合格食品案"
        assert result.values["authority"] == "杭州市市场监督管理局"

    @pytest.mark.parametrize(("legacy", "status"), [("1", "撤销"), ("0", "正常"), ("2", "异议")])
    def test_legacy_status_codes(self, legacy, status):
        result = validate_cf(penalty_row(CF_ZT=legacy))
        assert result.values["status"] == status

    def test_second_column_for_single_valued_field_is_reported(self):
        mapping = map_header(PENALTY, ["CF_WSH", "行政处罚决定书文号"])
        assert mapping.columns == ((0, "decision_number"),)
        assert mapping.duplicate_fields == ("decision_number",)

    def test_unknown_columns_are_listed(self):
        mapping = map_header(PENALTY, [*penalty_row(), "经办人", "内部编号", ""])
        assert mapping.unknown_columns == ("经办人", "内部编号")
        assert mapping.missing_required == ()

    def test_missing_required_columns_named_by_label(self):
        header = [c for c in penalty_row() if c not in ("CF_WSH", "CF_JDRQ")]
        mapping = map_header(PENALTY, header)
        assert mapping.missing_required == ("行政处罚决定书文号", "处罚决定日期")

    def test_subject_columns_required_only_for_some_subjects_are_not_missing(self):
        # 统一社会信用代码 / 证件号码 depend on the 行政相对人类别 of each row
        header = [c for c in penalty_row() if c not in ("CF_XDR_SHXYM", "CF_FRDB")]
        assert map_header(PENALTY, header).missing_required == ()

    def test_licence_xk_codes_map_every_column(self):
        header = [
            "XK_XDR_MC", "XK_XDR_LB", "XK_XDR_SHXYM", "XK_FRDB", "XK_XKWS", "XK_WSH", "XK_XKLB",
            "XK_NR", "XK_JDRQ", "XK_YXQZ", "XK_YXQZI", "XK_XKJG", "XK_XKJGDM", "XK_LYDW",
            "XK_LYDWDM",
        ]  # fmt: skip
        mapping = map_header(LICENCE, header)
        assert (mapping.unknown_columns, mapping.missing_required) == ((), ())


class TestRowValidator:
    def test_valid_row_is_normalised(self):
        result = validate_cf(penalty_row(CF_NR_FK="1,234.5万元", CF_JDRQ="2024年6月1日"))
        assert result.errors == []
        assert result.values["fine_amount"] == Decimal("1234.5")
        assert result.values["decision_date"] == date(2024, 6, 1)
        assert result.values["penalty_categories"] == ["罚款"]
        assert result.values["procedure"] == "普通程序"

    def test_lowercase_and_spaced_uscc_is_normalised(self):
        code = make_uscc(77)
        spaced = f" {code[:4].lower()} {code[4:10]}-{code[10:].lower()} "
        result = validate_cf(penalty_row(CF_XDR_SHXYM=spaced))
        assert result.errors == []
        assert result.values["uscc"] == code

    def test_wrong_uscc_check_character(self):
        result = validate_cf(penalty_row(CF_XDR_SHXYM=wrong_check_uscc(5)))
        [error] = result.errors
        assert (error.field, error.code) == ("uscc", "uscc.check_digit")
        assert error.message == f"统一社会信用代码校验位错误（第18位应为{make_uscc(5)[17]}）"

    def test_wrong_authority_uscc_names_the_field(self):
        result = validate_cf(penalty_row(CF_CFJGDM=AUTHORITY_USCC[:17] + "0"))
        [error] = result.errors
        assert (error.field, error.code) == ("authority_uscc", "uscc.check_digit")
        assert error.message.startswith("处罚机关统一社会信用代码：")

    def test_impossible_date(self):
        result = validate_cf(penalty_row(CF_JDRQ="2024-02-30"))
        [error] = result.errors
        assert (error.field, error.code) == ("decision_date", "date.invalid")
        assert error.message == "处罚决定日期：日期不存在：2024-02-30"

    def test_unreadable_date(self):
        [error] = validate_cf(penalty_row(CF_YXQ="明年")).errors
        assert (error.field, error.code) == ("valid_to", "date.format")

    def test_negative_fine(self):
        [error] = validate_cf(penalty_row(CF_NR_FK="-5")).errors
        assert (error.field, error.code, error.message) == (
            "fine_amount",
            "value.negative",
            "罚款金额（万元）不能为负数",
        )

    @pytest.mark.parametrize("amount", ["五万", "NaN", "Infinity", "1.2.3"])
    def test_fine_that_is_not_a_number(self, amount):
        [error] = validate_cf(penalty_row(CF_NR_FK=amount)).errors
        assert (error.field, error.code) == ("fine_amount", "value.not_number")

    def test_missing_required_field(self):
        [error] = validate_cf(penalty_row(CF_YJ="  ")).errors
        assert (error.field, error.code, error.message) == (
            "legal_basis",
            "field.required",
            "处罚依据不能为空",
        )

    def test_organisation_without_uscc(self):
        [error] = validate_cf(penalty_row(CF_XDR_SHXYM="")).errors
        assert (error.field, error.code) == ("uscc", "field.required")
        assert error.message == "行政相对人为法人及非法人组织或个体工商户时统一社会信用代码不能为空"

    def test_person_without_id_number(self):
        errors = validate_cf(person_penalty_row(CF_XDR_ZJHM="")).errors
        assert [(e.field, e.code) for e in errors] == [("id_number", "field.required")]
        assert errors[0].message == "行政相对人为自然人时证件号码不能为空"

    def test_unknown_category_value(self):
        [error] = validate_cf(penalty_row(CF_CFLB="罚款;打板子")).errors
        assert (error.field, error.code) == ("penalty_categories", "value.not_in_list")

    def test_every_problem_of_a_row_is_reported(self):
        errors = validate_cf(
            penalty_row(CF_JDRQ="2024-02-30", CF_NR_FK="-1", CF_WFXW="", CF_XDR_SHXYM="x")
        ).errors
        assert {(e.field, e.code) for e in errors} == {
            ("decision_date", "date.invalid"),
            ("fine_amount", "value.negative"),
            ("violation_type", "field.required"),
            ("uscc", "uscc.length"),
        }

    def test_too_long_decision_number(self):
        [error] = validate_cf(penalty_row(CF_WSH="文" * 201)).errors
        assert (error.field, error.code) == ("decision_number", "value.too_long")

    def test_person_id_is_masked_and_kept_only_for_hashing(self):
        result = validate_cf(person_penalty_row())
        assert result.errors == []
        assert result.values["id_number"] == "360426********0071"
        assert result.person_id == PERSON_ID
        assert PERSON_ID not in repr(result.values)

    def test_legacy_15_digit_id_refused_without_echo(self):
        result = validate_cf(person_penalty_row(id_number=LEGACY_ID_15))
        [error] = result.errors
        assert (error.field, error.code) == ("id_number", "resident_id.legacy_15")
        assert error.message == "证件号码：不再接受15位旧身份证号码，请提供18位居民身份证号码"
        assert LEGACY_ID_15 not in repr(result)

    def test_bad_id_check_digit_not_echoed(self):
        bad = PERSON_ID[:17] + "2"
        result = validate_cf(person_penalty_row(id_number=bad))
        [error] = result.errors
        assert (error.field, error.code) == ("id_number", "resident_id.check_digit")
        assert bad not in repr(result)

    def test_foreign_document_kept_masked(self):
        result = validate_cf(person_penalty_row(id_number="e 1234 5678", CF_XDR_ZJLX="护照"))
        assert result.errors == []
        assert result.values["id_number"] == mask_id_value("E12345678") == "*********"
        assert result.person_id == "护照:E12345678"  # keyed by document type and number

    def test_id_in_another_column_does_not_leak_into_date_message(self):
        [error] = validate_cf(penalty_row(CF_JDRQ=PERSON_ID)).errors
        assert error.code == "date.format"
        assert PERSON_ID not in error.message


def test_id_numbers_in_free_text_are_stored_masked():
    rt = default_catalog().get("administrative_penalty")
    result = RowValidator(rt).validate(
        {
            "violation_facts": "当事人王小明（身份证号 330106 19900101 1234）无照经营",
            "subject_name": "王小明",
        }
    )
    assert result.values["violation_facts"] == "当事人王小明（身份证号 330106********1234）无照经营"
