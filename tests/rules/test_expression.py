"""The safe predicate grammar: what it accepts, what it refuses and why, and that the Python
evaluator selects exactly the rows SQL ``WHERE`` selects."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    literal,
    select,
)
from sqlalchemy.orm import Session

from xinyong.catalog.loader import default_catalog
from xinyong.rules.expression import (
    MAX_DEPTH,
    And,
    Cmp,
    Const,
    Contains,
    ExpressionError,
    FieldSpec,
    In,
    IsNull,
    Not,
    Or,
    fields_from_catalog,
    fields_used,
    parse,
)
from xinyong.rules.predicate_eval import evaluate
from xinyong.rules.predicate_sql import json_array_contains, to_sqlalchemy

FIELDS = {
    "fine_amount": FieldSpec("fine_amount", "罚款金额", "number"),
    "status": FieldSpec("status", "状态", "string", ("正常", "撤销", "异议")),
    "authority": FieldSpec("authority", "决定机关", "string"),
    "decided_on": FieldSpec("decided_on", "决定日期", "date"),
    "penalty_categories": FieldSpec(
        "penalty_categories", "处罚类别", "list", ("警告", "通报批评", "罚款", "吊销许可证件")
    ),
    "is_public": FieldSpec("is_public", "是否公示", "bool"),
}


def _p(source: str):
    return parse(source, fields=FIELDS)


def _refused(source: str) -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        _p(source)
    err = info.value
    assert err.status == 422
    assert err.title == err.message
    return err


# --- accepted ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "tree"),
    [
        ("fine_amount >= 1", Cmp("fine_amount", ">=", 1)),
        ("fine_amount < 2.5", Cmp("fine_amount", "<", 2.5)),
        ("fine_amount > -1", Cmp("fine_amount", ">", -1)),
        ("5 < fine_amount", Cmp("fine_amount", ">", 5)),
        ("status == '正常'", Cmp("status", "==", "正常")),
        ("status != '撤销'", Cmp("status", "!=", "撤销")),
        ("decided_on >= '2024-01-01'", Cmp("decided_on", ">=", date(2024, 1, 1))),
        ("is_public", Cmp("is_public", "==", True)),
        ("is_public == False", Cmp("is_public", "==", False)),
        ("True", Const(True)),
        ("fine_amount == None", IsNull("fine_amount")),
        ("fine_amount != None", IsNull("fine_amount", negate=True)),
        ("status in ['正常', '异议']", In("status", ("正常", "异议"))),
        ("status not in ('撤销',)", In("status", ("撤销",), negate=True)),
        ("fine_amount in [1, 2]", In("fine_amount", (1, 2))),
        (
            "decided_on in ['2024-01-01']",
            In("decided_on", (date(2024, 1, 1),)),
        ),
        ("'罚款' in penalty_categories", Contains("penalty_categories", "罚款")),
        (
            "'警告' not in penalty_categories",
            Contains("penalty_categories", "警告", negate=True),
        ),
        (
            "1 <= fine_amount < 5",
            And((Cmp("fine_amount", ">=", 1), Cmp("fine_amount", "<", 5))),
        ),
        (
            "fine_amount > 1 and status == '正常' or not is_public",
            Or(
                (
                    And((Cmp("fine_amount", ">", 1), Cmp("status", "==", "正常"))),
                    Not(Cmp("is_public", "==", True)),
                )
            ),
        ),
        (
            "\n  fine_amount > 1\n  and status == '正常'\n",
            And((Cmp("fine_amount", ">", 1), Cmp("status", "==", "正常"))),
        ),
    ],
)
def test_allowed_constructs_parse_to_the_typed_tree(source, tree):
    assert _p(source) == tree


def test_fields_used_lists_every_name_read():
    expr = _p("'罚款' in penalty_categories and (fine_amount > 1 or status == None)")
    assert fields_used(expr) == {"penalty_categories", "fine_amount", "status"}
    assert fields_used(_p("True")) == frozenset()


def test_tree_is_immutable_and_hashable():
    expr = _p("fine_amount > 1 and status in ['正常']")
    assert hash(expr) == hash(_p("fine_amount > 1 and status in ['正常']"))
    with pytest.raises(AttributeError):
        expr.operands = ()  # type: ignore[misc]


# --- refused ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "code", "says"),
    [
        ("__import__('os')", "expr.not_allowed", "不允许调用函数"),
        ("open('f')", "expr.not_allowed", "不允许调用函数"),
        ("len(penalty_categories) > 1", "expr.not_allowed", "不允许调用函数"),
        ("fine_amount.__class__", "expr.not_allowed", "不允许访问属性"),
        ("x.__class__ == 1", "expr.not_allowed", "不允许访问属性"),
        ("fine_amount + 1 > 2", "expr.not_allowed", "不允许算术"),
        ("[x for x in y]", "expr.not_allowed", "不允许推导式"),
        ("lambda: 1", "expr.not_allowed", "不允许 lambda"),
        ("a[0]", "expr.not_allowed", "不允许下标"),
        ("f'{fine_amount}' == '1'", "expr.not_allowed", "f-string"),
        ("(fine_amount := 1)", "expr.not_allowed", "不允许赋值"),
        ("status in {'正常'}", "expr.not_allowed", "不允许集合"),
        ("1 if fine_amount else 2", "expr.not_allowed", "条件表达式"),
        ("fine_amount is None", "expr.not_allowed", "is"),
        ("__class__ == 1", "expr.not_allowed", "双下划线"),
        ("fine_amount == fine_amount", "expr.not_allowed", "两个字段"),
        ("1 == 1", "expr.not_allowed", "字段名"),
        ("'正常'", "expr.not_allowed", "常量不能单独作为条件"),
        ("['正常']", "expr.not_allowed", "列表只能"),
        ("status in []", "expr.not_allowed", "列表不能为空"),
        ("status in '正常撤销'", "expr.not_allowed", "方括号列表"),
        ("-is_public", "expr.not_allowed", "一元运算"),
        ("fine_amount > -status", "expr.not_allowed", "正负号"),
        ("fine_amount > 1e999", "expr.not_allowed", "数字超出范围"),
        ("fine_amount == b'1'", "expr.not_allowed", "常量"),
        ("fine_amount >>= 1", "expr.syntax", "语法错误"),
        ("", "expr.syntax", "为空"),
        ("import os", "expr.syntax", "语法错误"),
        ("status < '正常'", "expr.type_mismatch", "只能用 ==、!=、in、not in"),
        ("fine_amount > '1'", "expr.type_mismatch", "数值"),
        ("status == 1", "expr.type_mismatch", "文字要加引号"),
        ("decided_on >= '2024-02-30'", "expr.type_mismatch", "不存在"),
        ("decided_on >= '昨天'", "expr.type_mismatch", "2024-01-01"),
        ("decided_on >= 20240101", "expr.type_mismatch", "日期"),
        ("is_public == 1", "expr.type_mismatch", "True 或 False"),
        ("fine_amount", "expr.type_mismatch", "不能单独作为条件"),
        ("fine_amount < None", "expr.type_mismatch", "None"),
        ("status in ['正常', None]", "expr.type_mismatch", "None"),
        ("penalty_categories in ['警告', '通报批评']", "expr.type_mismatch", " or "),
        ("penalty_categories == '警告'", "expr.type_mismatch", "多值字段"),
        ("'正' in status", "expr.type_mismatch", "只有多值字段"),
        ("1 in penalty_categories", "expr.type_mismatch", "带引号的文字"),
        ("status == '正长'", "expr.unknown_value", "正常"),
        ("'罚金' in penalty_categories", "expr.unknown_value", "罚款"),
    ],
)
def test_refused_construct_has_a_stable_code_and_chinese_message(source, code, says):
    err = _refused(source)
    assert err.code == code
    assert says in err.message


def test_unknown_field_is_named_with_close_matches():
    err = _refused("fine_amont >= 1")
    assert err.code == "expr.unknown_field"
    assert "fine_amont" in err.message
    assert "fine_amount（罚款金额）" in err.message


def test_chinese_label_used_as_a_name_suggests_the_field():
    err = _refused("处罚类别 == '罚款'")
    assert err.code == "expr.unknown_field"
    assert "penalty_categories" in err.message


def test_error_position_is_a_character_offset_into_the_source():
    source = "  status == '正常' and fine_amont > 1"
    assert _refused(source).position == source.index("fine_amont")
    source = "status == '正常' and\n  fine_amount + 1 > 2"
    assert _refused(source).position == source.index("fine_amount +")
    assert _refused("fine_amount >>= 1").position == 12


def test_overlong_source_is_refused_before_parsing():
    err = _refused("fine_amount > 1 and " * 99 + "fine_amount > 1")  # 2,000 characters
    assert err.code == "expr.too_long"


def test_deep_nesting_is_refused():
    nested = "fine_amount > 1"
    for _ in range(MAX_DEPTH):
        nested = f"not ({nested})"
    assert _refused(nested).code == "expr.too_long"
    parentheses = "(" * 300 + "fine_amount > 1" + ")" * 300
    assert _refused(parentheses).code == "expr.too_long"
    assert _p("(" * 50 + "fine_amount > 1" + ")" * 50) == Cmp("fine_amount", ">", 1)


@pytest.mark.parametrize(
    "source",
    [
        "open('" + "x" * 900 + "')",
        "fine_amont" + "x" * 900 + " > 1",
        "status == '" + "正" * 900 + "'",
        "fine_amount >>= '" + "x" * 900 + "'",
    ],
)
def test_messages_never_echo_more_than_60_characters_of_the_source(source):
    err = _refused(source)
    assert "x" * 61 not in err.message
    assert "正" * 61 not in err.message


# --- catalog ----------------------------------------------------------------------------------


def test_catalog_field_kinds_and_record_level_columns():
    fields = fields_from_catalog(default_catalog().types["administrative_penalty"])
    assert fields["fine_amount"].kind == "number"
    assert fields["decision_date"].kind == "date"
    assert fields["penalty_categories"].kind == "list"
    assert "吊销许可证件" in (fields["penalty_categories"].values or ())
    assert fields["case_name"].kind == "string"
    assert {n: fields[n].kind for n in ("decided_on", "severity", "polarity", "record_type")} == {
        "decided_on": "date",
        "severity": "string",
        "polarity": "string",
        "record_type": "string",
    }
    expr = parse(
        "'吊销许可证件' in penalty_categories and severity == '严重' and fine_amount >= 10",
        fields=fields,
    )
    assert fields_used(expr) == {"penalty_categories", "severity", "fine_amount"}


def test_every_catalog_type_gives_valid_field_specs():
    for record_type in default_catalog().types.values():
        for name, spec in fields_from_catalog(record_type).items():
            assert spec.name == name
            assert spec.kind in {"string", "number", "date", "list", "bool"}


# --- evaluation -------------------------------------------------------------------------------

T, F, U = True, False, None  # U: the field is missing or None


@pytest.mark.parametrize(
    ("source", "row", "selected"),
    [
        ("fine_amount > 1", {"fine_amount": 2}, T),
        ("fine_amount > 1", {"fine_amount": 1}, F),
        ("fine_amount > 1", {"fine_amount": None}, F),
        ("fine_amount > 1", {}, F),
        ("not fine_amount > 1", {"fine_amount": 1}, T),
        ("not fine_amount > 1", {"fine_amount": None}, F),
        ("fine_amount != 1", {}, F),
        ("fine_amount == None", {}, T),
        ("not fine_amount == None", {}, F),
        ("fine_amount != None", {"fine_amount": 0}, T),
        ("fine_amount > 1 or status == '正常'", {"status": "正常"}, T),
        ("fine_amount > 1 or status == '正常'", {"status": "撤销"}, F),
        ("not (fine_amount > 1 or status == '正常')", {"status": "撤销"}, F),
        ("not (fine_amount > 1 and status == '正常')", {"status": "撤销"}, T),
        ("not (fine_amount > 1 and status == '正常')", {"status": "正常"}, F),
        ("status in ['正常', '异议']", {"status": "异议"}, T),
        ("status not in ['正常', '异议']", {"status": "撤销"}, T),
        ("status not in ['正常', '异议']", {}, F),
        ("'罚款' in penalty_categories", {"penalty_categories": ["警告", "罚款"]}, T),
        ("'罚款' in penalty_categories", {"penalty_categories": []}, F),
        ("'罚款' not in penalty_categories", {"penalty_categories": []}, T),
        ("'罚款' not in penalty_categories", {"penalty_categories": None}, F),
        ("decided_on >= '2024-01-01'", {"decided_on": date(2024, 1, 1)}, T),
        ("decided_on >= '2024-01-01'", {"decided_on": "2023-12-31"}, F),
        ("1 <= fine_amount < 5", {"fine_amount": Decimal("4.99")}, T),
        ("1 <= fine_amount < 5", {"fine_amount": 5}, F),
        ("fine_amount == 0.1", {"fine_amount": Decimal("0.1")}, T),
        ("is_public", {"is_public": True}, T),
        ("not is_public", {}, F),
        ("True", {}, T),
        ("not True", {}, F),
    ],
)
def test_evaluation_is_three_valued_and_collapses_unknown_to_false(source, row, selected):
    assert evaluate(_p(source), row) is selected


# --- SQL == Python ----------------------------------------------------------------------------

EQUIVALENCE_CASES = [
    "fine_amount > 1",
    "fine_amount >= 1",
    "fine_amount < 2.5",
    "fine_amount <= 0",
    "fine_amount == 5",
    "fine_amount != 5",
    "not fine_amount > 1",
    "1 <= fine_amount < 10",
    "fine_amount in [0, 5, 10]",
    "fine_amount not in [0, 5]",
    "fine_amount == None",
    "fine_amount != None",
    "status == '正常'",
    "status != '正常'",
    "status in ['正常', '异议']",
    "status not in ['撤销']",
    "not status not in ['撤销']",
    "decided_on >= '2024-01-01'",
    "decided_on < '2024-06-30' and decided_on > '2023-12-31'",
    "decided_on in ['2024-01-01', '2024-06-30']",
    "is_public",
    "not is_public",
    "is_public != True",
    "'罚款' in penalty_categories",
    "'罚款' not in penalty_categories",
    "'罚款' in penalty_categories or '警告' in penalty_categories",
    "not ('罚款' in penalty_categories and fine_amount > 1)",
    "fine_amount > 1 or status == '正常'",
    "not (fine_amount > 1 or status == '正常')",
    "not (fine_amount > 1 and status == '正常') or decided_on == None",
    "True",
    "False or fine_amount > 1",
    "not (True and is_public)",
]
EXPRESSIONS = [_p(s) for s in EQUIVALENCE_CASES]

ROW = st.fixed_dictionaries(
    {
        "fine_amount": st.sampled_from([None, -1, 0, 1, 2.5, 5, 10, 100]),
        "status": st.sampled_from([None, "正常", "撤销", "异议", ""]),
        "authority": st.sampled_from([None, "市场监督管理局"]),
        "decided_on": st.sampled_from(
            [None, date(2023, 12, 31), date(2024, 1, 1), date(2024, 6, 30), date(2025, 1, 1)]
        ),
        "penalty_categories": st.sampled_from(
            [None, [], ["罚款"], ["警告"], ["警告", "罚款"], ["吊销许可证件"]]
        ),
        "is_public": st.sampled_from([None, True, False]),
    }
)


def _rows_table() -> Table:
    return Table(
        "expr_rows",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("fine_amount", Float),
        Column("status", String(20)),
        Column("authority", String(50)),
        Column("decided_on", Date),
        Column("penalty_categories", Text),  # a JSON array, as multi-valued catalog fields
        Column("is_public", Boolean),
        prefixes=["TEMPORARY"],
    )


def _stored(row: dict[str, Any], *, ascii_only: bool) -> dict[str, Any]:
    # JSON text with Chinese escaped (json.dumps, SQLite) and unescaped (PostgreSQL jsonb).
    cats = row["penalty_categories"]
    text = None if cats is None else json.dumps(cats, ensure_ascii=ascii_only)
    return {**row, "penalty_categories": text}


@pytest.fixture
def rows_table(session: Session) -> Table:
    table = _rows_table()
    table.create(session.connection())
    return table


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rows=st.lists(ROW, min_size=1, max_size=8))
def test_sql_where_selects_exactly_the_rows_python_evaluates_true(session, rows_table, rows):
    table = rows_table
    conn = session.connection()
    conn.execute(delete(table))
    stored = [{"id": i, **_stored(r, ascii_only=i % 2 == 0)} for i, r in enumerate(rows)]
    conn.execute(insert(table), stored)

    def contains(name: str, value: Any):
        return json_array_contains(table.c[name], value)

    for source, expr in zip(EQUIVALENCE_CASES, EXPRESSIONS, strict=True):
        where = to_sqlalchemy(expr, lambda n: table.c[n], contains=contains)
        in_sql = set(conn.scalars(select(table.c.id).where(where)))
        in_python = {i for i, r in enumerate(rows) if evaluate(expr, r)}
        assert in_sql == in_python, source


def test_dates_compare_as_iso_text_against_a_text_column(session):
    expr = _p("decided_on >= '2024-01-01' and decided_on in ['2024-03-01', '2023-01-01']")
    conn = session.connection()
    where = to_sqlalchemy(expr, lambda n: literal("2024-03-01", String))
    assert conn.scalar(select(where)) in (True, 1)


def test_contains_without_a_resolver_is_a_programming_error():
    with pytest.raises(ValueError, match="contains="):
        to_sqlalchemy(_p("'罚款' in penalty_categories"), lambda n: literal(None))
