"""``xinyong measures``: officials list and validate the measures catalog."""

from __future__ import annotations

import json

import yaml
from typer.testing import CliRunner

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
