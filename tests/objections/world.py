"""The objection test world: two enterprises, three departments, a fixed Monday."""

from __future__ import annotations

import base64
from datetime import datetime

from xinyong.kit import clock

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=clock.SHANGHAI)  # Monday
SECRET = "test-secret"
PASSWORD = "correct-horse-battery"
USCC = "91330106MA2000086A"
OTHER_USCC = "91330106000000777L"
SCJG = "330106-SCJG"  # market regulation: provides the penalties
HB = "330106-HB"  # environment: another department
FGW = "330100-FGW"  # lists the black list
EVIDENCE = base64.b64encode(b"%PDF-1.4 court ruling quashing the penalty").decode()


def penalty(n: int, **overrides: str) -> dict[str, str]:
    """A general penalty of ``USCC`` numbered 西市监罚〔2026〕n号, decided 2026-04-10."""
    row = {
        "CF_XDR_MC": "杭州西湖示范科技有限公司",
        "CF_XDR_LB": "法人及非法人组织",
        "CF_XDR_SHXYM": USCC,
        "CF_FRDB": "张三",
        "CF_WSH": f"西市监罚〔2026〕{n}号",
        "CF_WFXW": "未按规定公示年度报告",
        "CF_SY": "当事人未按规定公示年度报告",
        "CF_YJ": "《企业信息公示暂行条例》第十八条",
        "CF_CFLB": "罚款",
        "处罚程序": "普通程序",
        "CF_NR": "罚款人民币伍万元",
        "CF_NR_FK": "5",
        "CF_JDRQ": "2026-04-10",
        "CF_YXQ": "2027-04-10",
        "CF_CFJG": "杭州市西湖区市场监督管理局",
        "CF_CFJGDM": "11230500001755309F",
        "CF_SJLY": "杭州市西湖区市场监督管理局",
        "CF_SJLYDM": "11230500001755309F",
        "CF_ZT": "正常",
    }
    row.update(overrides)
    return row


def black_row(**overrides: str) -> dict[str, str]:
    """A 严重失信主体名单 entry of the other enterprise (not open to third-party objections)."""
    row = {
        "信息ID": "SX-OBJ-0001",
        "行政相对人名称": "别家公司",
        "行政相对人类别": "法人及非法人组织",
        "统一社会信用代码": OTHER_USCC,
        "法定代表人": "李四",
        "名单名称": "严重失信主体名单",
        "认定文书号": "杭信认〔2025〕9号",
        "列入事由": "拒不履行法定义务情节严重",
        "认定依据": "《上海市社会信用条例》第二十五条",
        "列入日期": "2025-09-01",
        "有效期至": "2028-08-31",
        "认定单位": "杭州市发展和改革委员会",
        "数据来源单位": "杭州市发展和改革委员会",
        "当前状态": "正常",
    }
    row.update(overrides)
    return row
