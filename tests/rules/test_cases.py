"""The shared case runner, without a database: named outputs are compared quantized, unknown
outputs are named once, paths must agree, and a refused case fails instead of crashing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from xinyong.errors import XinyongError
from xinyong.rules.cases import FactCase, agree, judge, normalise, run_cases

LABELS = {"total": "总分", "grade": "等级"}


def test_numbers_agree_whatever_their_spelling():
    assert normalise(105) == normalise(105.0) == normalise(Decimal("105.00"))
    assert normalise([1, "A"]) == [Decimal("1.00"), "A"]
    assert normalise(True) is True


def test_a_wrong_output_is_named_with_its_path_and_both_values():
    result = judge(
        "模型", "案例", "sqlite", {"total": 99}, {"联机": {"total": 100}}, label=LABELS.get
    )
    assert result.mismatches == ("联机：总分为 100.00，应为 99.00",)
    assert not result.passed


def test_an_unknown_output_is_named_once_not_per_path():
    result = judge(
        "模型",
        "案例",
        "sqlite",
        {"bogus": 1},
        {"联机": {"total": 1}, "批量": {"total": 1}},
        label=LABELS.get,
    )
    assert result.mismatches == ("模型 没有这些输出：bogus",)


def test_paths_that_disagree_are_reported():
    assert agree({"联机": {"total": 1}, "批量": {"total": 2}}) == ["联机与批量的结果不一致：total"]


def test_a_refused_case_fails_instead_of_crashing():
    case = FactCase[dict[str, int]](
        name="坏数据", as_of=date(2026, 11, 30), facts={"x": 1}, expect={"total": 1}
    )

    def evaluate(_case):
        raise XinyongError(code="demo.bad", title="数据有误", status=422)

    [result] = run_cases("模型", [case], evaluate, label=LABELS.get)
    assert result.mismatches == ("案例无法运行：数据有误（demo.bad）",)
