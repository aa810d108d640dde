"""What the platform cites: every reference and basis it ships is a law, regulation or official
document a citizen can look up, or says 本平台默认值（可由信用办调整） with the reason — never a
developer note, a file name, a seed report or a document-sharing site. The province's own
regulation is the default; Shanghai's is an option chosen by a setting."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import xinyong
from xinyong.config import Settings
from xinyong.objections.setup import (
    JurisdictionDefinitionError,
    ObjectionSetup,
    jurisdiction_limits,
)

SRC = Path(xinyong.__file__).parent
PLATFORM_DEFAULT = "本平台默认值（可由信用办调整）"
SHANGHAI = "上海市社会信用条例"
# The one place the Shanghai regulation is shipped: the jurisdiction a deployment may choose.
SHANGHAI_OPTION = "objections/definitions/jurisdictions.yaml:jurisdictions.shanghai"
FILE_NAME = re.compile(r"[\w\-/]+\.(?:md|ya?ml|txt|py|json|csv|html)\b", re.IGNORECASE)
URL = re.compile(r"(?:https?://|www\.)([^/\s）)；，。]+)", re.IGNORECASE)
DEVELOPER_NOTES = re.compile(r"DOMAIN|seed|xinyong|种子报告", re.IGNORECASE)
CITED_NAMES = re.compile(r"reference|basis", re.IGNORECASE)


def problems(text: str) -> list[str]:
    """Why ``text`` is not something a citizen can look up (empty when it is)."""
    found = [f"开发者记录：{m.group(0)}" for m in DEVELOPER_NOTES.finditer(text)]
    found += [f"文件名：{m.group(0)}" for m in FILE_NAME.finditer(text)]
    found += [
        f"非政府网站：{m.group(0)}"
        for m in URL.finditer(text)
        if not m.group(1).lower().endswith(".gov.cn")
    ]
    if "默认" in text and PLATFORM_DEFAULT not in text:
        found.append(f"默认值未写明“{PLATFORM_DEFAULT}”")
    return found


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}[{i}]")
    elif isinstance(value, str):
        yield path, value


def shipped_definition_texts() -> Iterator[tuple[str, str]]:
    """Every text value of every shipped definition file, as (file:path, text)."""
    for path in sorted(SRC.glob("**/definitions/**/*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        rel = path.relative_to(SRC).as_posix()
        for where, text in _strings(data, ""):
            yield f"{rel}:{where}", text


def _cited(node: ast.AST) -> Iterator[str]:
    """Every literal text in an expression (the fixed parts of an f-string, a sliced one…)."""
    for part in ast.walk(node):
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            yield part.value


def _names(target: ast.AST) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Attribute):
        return [target.attr]
    return []


def python_reference_texts() -> Iterator[tuple[str, str]]:
    """Reference and basis strings in the Python sources: keyword arguments, assignments and
    field defaults, and dictionary entries named reference or basis."""
    for path in sorted(SRC.glob("**/*.py")):
        rel = path.relative_to(SRC).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            pairs: list[tuple[str, ast.AST]] = []
            if isinstance(node, ast.keyword) and node.arg:
                pairs.append((node.arg, node.value))
            elif isinstance(node, ast.Assign):
                pairs += [(n, node.value) for t in node.targets for n in _names(t)]
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                pairs += [(n, node.value) for n in _names(node.target)]
            elif isinstance(node, ast.Dict):
                pairs += [
                    (k.value, v)
                    for k, v in zip(node.keys, node.values, strict=True)
                    if isinstance(k, ast.Constant) and isinstance(k.value, str)
                ]
            for name, value in pairs:
                if CITED_NAMES.search(name):
                    for text in _cited(value):
                        yield f"{rel}:{getattr(node, 'lineno', '?')}:{name}", text


def test_every_shipped_reference_is_a_source_a_citizen_can_look_up():
    texts = [*shipped_definition_texts(), *python_reference_texts()]
    assert len(texts) > 300, "the scan found the definitions"
    bad = {where: problems(text) for where, text in texts if problems(text)}
    assert bad == {}


def test_the_deployments_province_is_cited_not_shanghai():
    cited = [w for w, text in shipped_definition_texts() if SHANGHAI in text]
    assert all(w.startswith(SHANGHAI_OPTION) for w in cited), cited
    zhejiang = [w for w, text in shipped_definition_texts() if "浙江省公共信用信息管理条例" in text]
    assert {w.split(":")[0] for w in zhejiang} >= {
        "checks/definitions/measures.yaml",
        "lists/definitions/lists.yaml",
        "objections/definitions/jurisdictions.yaml",
    }


@pytest.mark.parametrize(
    "text",
    [
        "每次扣20分为 xinyong 默认值（未公开标准，见 DOMAIN.md 决定6）",
        "“双公示”数据规范（DOMAIN.md §2.1）",
        "衣裳街指标“无店外店”（seed 004）",
        "企业评价指标（https://m.jinchutou.com/p-136006308.html）",
        "见 lists.yaml 的规则",
        "封顶59分为默认值",
    ],
)
def test_the_scan_catches_developer_notes_and_unusable_sources(text):
    assert problems(text)


@pytest.mark.parametrize(
    "text",
    [
        "《浙江省公共信用信息管理条例》第三十一条",
        "国务院办公厅《关于进一步完善信用修复制度的实施方案》（国办发〔2025〕22号）",
        "https://www.gov.cn/zhengce/content/202506/content_7029483.htm",
        f"每次扣2分为{PLATFORM_DEFAULT}，示范街区模型未公布各项分值",
    ],
)
def test_the_scan_accepts_laws_government_sites_and_platform_defaults(text):
    assert problems(text) == []


def test_objection_limits_follow_zhejiangs_regulation_by_default():
    limits = ObjectionSetup.limits_from(Settings())
    assert limits.reference == "《浙江省公共信用信息管理条例》第三十条、第三十一条"
    assert limits.decision_workdays == 5
    assert ObjectionSetup.__dataclass_fields__["limits"].default_factory() == limits


def test_shanghais_regulation_is_an_option_chosen_by_a_setting():
    limits = ObjectionSetup.limits_from(Settings(jurisdiction="shanghai"))
    assert limits.reference == "《上海市社会信用条例》第三十六条"
    assert (limits.flag_workdays, limits.transfer_workdays, limits.decision_workdays) == (1, 2, 5)


def test_a_credit_offices_own_limit_is_not_passed_off_as_the_regulations():
    limits = ObjectionSetup.limits_from(Settings(objection_decision_workdays=3))
    assert limits.decision_workdays == 3
    assert limits.reference.endswith("；处理时限由本地信用办设定")
    same = ObjectionSetup.limits_from(Settings(objection_decision_workdays=5))
    assert same.reference == "《浙江省公共信用信息管理条例》第三十条、第三十一条"


def test_an_unknown_jurisdiction_is_refused_naming_the_choices():
    with pytest.raises(JurisdictionDefinitionError) as err:
        jurisdiction_limits("jiangsu")
    (problem,) = err.value.errors
    assert problem.field == "jurisdiction"
    assert problem.code == "objections.unknown_jurisdiction"
    assert "zhejiang" in problem.message and "shanghai" in problem.message
