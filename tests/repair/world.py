"""The repair test world: one enterprise, three departments, a fixed Monday."""

from __future__ import annotations

import base64
from datetime import datetime

from xinyong.kit import clock

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=clock.SHANGHAI)
SECRET = "test-secret"
PASSWORD = "correct-horse-battery"
USCC = "91330106MA2000086A"
OTHER_USCC = "91330106000000777L"
SCJG = "330106-SCJG"  # market regulation
HB = "330106-HB"  # environment
FGW = "330100-FGW"  # lists the black list
PROOF = base64.b64encode(b"%PDF-1.4 proof of performance").decode()


def black_row(**overrides):
    row = {
        "信息ID": "SX-000001",
        "行政相对人名称": "杭州西湖示范科技有限公司",
        "行政相对人类别": "法人及非法人组织",
        "统一社会信用代码": USCC,
        "法定代表人": "张三",
        "名单名称": "严重失信主体名单",
        "认定文书号": "杭信认〔2025〕8号",
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
