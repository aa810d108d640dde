"""``xinyong measures``: officials list and validate the measures catalog."""

from __future__ import annotations

import json

import yaml
from typer.testing import CliRunner

from xinyong.checks.measure_cases import CASES_PATH
from xinyong.checks.measures import MEASURES_PATH
from xinyong.cli import app

runner = CliRunner()


def test_list_as_json_filters_by_area():
    result = runner.invoke(app, ["measures", "list", "--area", "公共资源交易", "--json"])
    assert result.exit_code == 0, result.output
    measures = json.loads(result.stdout)
    assert measures and all("公共资源交易" in m["areas"] for m in measures)


def test_check_names_the_broken_item(tmp_path):
    data = yaml.safe_load(MEASURES_PATH.read_text(encoding="utf-8"))
    data["measures"][2]["when"] = "bad_records >"
    path = tmp_path / "measures.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = runner.invoke(app, ["measures", "check", str(path)])
    assert result.exit_code == 1
    assert "measures[2]" in result.output and "expr.syntax" in result.output


def test_check_accepts_the_shipped_catalog():
    result = runner.invoke(app, ["measures", "check"])
    assert result.exit_code == 0
    assert "措施清单有效" in result.output


def test_the_shipped_measure_cases_pass_from_the_command_line():
    result = runner.invoke(app, ["measures", "test"])
    assert result.exit_code == 0, result.output
    assert "0 failed" in result.output


def test_a_failing_measure_case_exits_with_one_and_says_why(tmp_path):
    from_shipped = yaml.safe_load(CASES_PATH.read_text(encoding="utf-8"))
    from_shipped["cases"][0]["expect"]["审批服务"] = "不予办理"
    path = tmp_path / "cases.yaml"
    path.write_text(yaml.safe_dump(from_shipped, allow_unicode=True), encoding="utf-8")
    result = runner.invoke(app, ["measures", "test", str(path)])
    assert result.exit_code == 1
    assert "审批服务的处理方式为 正常办理，应为 不予办理" in result.output
