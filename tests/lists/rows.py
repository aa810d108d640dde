"""Rows of list-type records (严重失信主体名单, 守信激励, 经营异常名录) in their Chinese columns."""

from __future__ import annotations

import itertools
from typing import Any

from factories.ingest import PERSON_ID, make_uscc

_seq = itertools.count(1)

USCC = make_uscc(880001)
OTHER_USCC = make_uscc(880002)


def _subject(uscc: str, name: str) -> dict[str, str]:
    return {
        "行政相对人名称": name,
        "行政相对人类别": "法人及非法人组织",
        "统一社会信用代码": uscc,
        "法定代表人": "李四",
    }


def person() -> dict[str, str]:
    """The natural person 王小明 (ID number ``PERSON_ID``)."""
    return {
        "行政相对人名称": "王小明",
        "行政相对人类别": "自然人",
        "证件类型": "身份证",
        "证件号码": PERSON_ID,
    }


def black_row(
    uscc: str = USCC, name: str = "杭州失信示范有限公司", **overrides: Any
) -> dict[str, str]:
    """A 严重失信主体名单 entry listed 2026-01-10 until 2027-01-09."""
    n = next(_seq)
    row = {
        "信息ID": f"SX-{n:06d}",
        **_subject(uscc, name),
        "名单名称": "严重失信主体名单",
        "认定文书号": f"杭信认〔2026〕{n}号",
        "列入事由": "拒不履行法定义务情节严重",
        "认定依据": "《上海市社会信用条例》第二十五条",
        "列入日期": "2026-01-10",
        "有效期至": "2027-01-09",
        "认定单位": "杭州市发展和改革委员会",
        "数据来源单位": "杭州市发展和改革委员会",
        "当前状态": "正常",
    }
    row.update(overrides)
    return row


def red_row(
    uscc: str = USCC, name: str = "杭州守信示范有限公司", **overrides: Any
) -> dict[str, str]:
    """A 守信激励 entry listed 2026-02-01 until 2028-01-31."""
    n = next(_seq)
    row = {
        "信息ID": f"SX-R-{n:06d}",
        **_subject(uscc, name),
        "名单名称": "纳税信用A级纳税人",
        "认定依据": "连续三年纳税信用A级",
        "列入日期": "2026-02-01",
        "有效期至": "2028-01-31",
        "认定单位": "国家税务总局杭州市税务局",
        "数据来源单位": "国家税务总局杭州市税务局",
        "当前状态": "正常",
    }
    row.update(overrides)
    return row


def without_subject(row: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in row.items() if k not in ("统一社会信用代码", "法定代表人")}
