"""The commitments test world: three enterprises, two departments, a fixed Monday."""

from __future__ import annotations

from datetime import datetime

from factories.ingest import make_uscc
from xinyong.kit import clock

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=clock.SHANGHAI)
SECRET = "test-secret"
PASSWORD = "correct-horse-battery"
USCC = "91330106MA2000086A"  # clean: a licence only
OTHER_USCC = "91330106000000777L"  # clean: a licence only
SERIOUS_USCC = make_uscc(8801)  # a licence revoked this year (serious penalty)
NAME = "杭州西湖示范科技有限公司"
SCJG = "330106-SCJG"
HB = "330106-HB"
MATTER = "食品经营许可"
