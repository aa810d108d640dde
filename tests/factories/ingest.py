"""Builders for ingestion: valid codes, 双公示 rows in CF_* / XK_* columns, file writers."""

from __future__ import annotations

import csv
import itertools
import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl
from sqlalchemy.engine import Engine

from xinyong.catalog.loader import default_catalog
from xinyong.ingest.runner import FileIngestOptions, ingest_file
from xinyong.ingest.service import Actor
from xinyong.kit.identifiers import RIC_CHECK, RIC_WEIGHTS, uscc_check_char

SECRET = b"test-ingest-secret"
# 处罚机关 / 数据来源单位: a government body (GB 32100 position 1 = 1), valid under both checks.
AUTHORITY_USCC = "11230500001755309F"
PERSON_ID = "360426199101010071"  # DOMAIN.md §13 fact 9
LEGACY_ID_15 = "360426910101007"  # 15-digit legacy form

CLI_ADMIN = Actor("cli", "admin")

_seq = itertools.count(1)


def make_uscc(n: int) -> str:
    """A valid enterprise USCC (mod-31 check) numbered ``n``."""
    body = f"91330106{n:09d}"
    return body + uscc_check_char(body)


def make_resident_id(n: int, birth: str = "19900101") -> str:
    """A valid 18-digit resident ID number with sequence ``n`` (0–999)."""
    body = f"330106{birth}{n:03d}"
    total = sum(int(d) * w for d, w in zip(body, RIC_WEIGHTS, strict=True))
    return body + RIC_CHECK[total % 11]


def wrong_check_uscc(n: int) -> str:
    """``make_uscc(n)`` with its 18th character replaced by a wrong one."""
    good = make_uscc(n)
    return good[:17] + ("1" if good[17] != "1" else "2")


def penalty_row(**overrides: Any) -> dict[str, str]:
    """A valid 行政处罚 row of an enterprise in the CF_* columns of the 双公示 template."""
    n = next(_seq)
    row = {
        "CF_ID": f"CF-{n:08d}",
        "CF_XDR_MC": f"杭州测试贸易有限公司{n}",
        "CF_XDR_LB": "法人及非法人组织",
        "CF_XDR_SHXYM": make_uscc(n),
        "CF_FRDB": "张三",
        "CF_WSH": f"杭市监处罚〔2024〕{n}号",
        "CF_WFXW": "销售不符合食品安全标准的食品",
        "CF_SY": "当事人销售的食品经抽检不合格",
        "CF_YJ": "《中华人民共和国食品安全法》第一百二十四条",
        "CF_CFLB": "罚款",
        "CF_CFCX": "普通程序",
        "CF_NR": "罚款人民币伍万元",
        "CF_NR_FK": "5",
        "CF_JDRQ": "2024-06-01",
        "CF_YXQ": "2027-06-01",
        "CF_CFJG": "杭州市市场监督管理局",
        "CF_CFJGDM": AUTHORITY_USCC,
        "CF_SJLY": "杭州市市场监督管理局",
        "CF_SJLYDM": AUTHORITY_USCC,
        "CF_ZT": "正常",
    }
    row.update(overrides)
    return row


def person_penalty_row(id_number: str = PERSON_ID, **overrides: Any) -> dict[str, str]:
    """A 行政处罚 row whose 行政相对人 is a natural person (no USCC, no 法定代表人)."""
    row = penalty_row(
        CF_XDR_MC="李四",
        CF_XDR_LB="自然人",
        CF_XDR_SHXYM="",
        CF_FRDB="",
        CF_XDR_ZJLX="身份证",
        CF_XDR_ZJHM=id_number,
    )
    row.update(overrides)
    return row


# CF_* code → Chinese column title of the national template.
PENALTY_TITLES: Mapping[str, str] = {
    "CF_ID": "信息ID",
    "CF_XDR_MC": "行政相对人名称",
    "CF_XDR_LB": "行政相对人类别",
    "CF_XDR_SHXYM": "统一社会信用代码",
    "CF_FRDB": "法定代表人",
    "CF_XDR_ZJLX": "证件类型",
    "CF_XDR_ZJHM": "证件号码",
    "CF_WSH": "行政处罚决定书文号",
    "CF_WFXW": "违法行为类型",
    "CF_SY": "违法事实",
    "CF_YJ": "处罚依据",
    "CF_CFLB": "处罚类别",
    "CF_CFCX": "处罚程序",
    "CF_NR": "处罚内容",
    "CF_NR_FK": "罚款金额（万元）",
    "CF_JDRQ": "处罚决定日期",
    "CF_YXQ": "处罚有效期",
    "CF_CFJG": "处罚机关",
    "CF_CFJGDM": "处罚机关统一社会信用代码",
    "CF_SJLY": "数据来源单位",
    "CF_SJLYDM": "数据来源单位统一社会信用代码",
    "CF_ZT": "当前状态",
}


def titled(row: Mapping[str, str]) -> dict[str, str]:
    """The same row keyed by the Chinese column titles."""
    return {PENALTY_TITLES[k]: v for k, v in row.items()}


def licence_row(**overrides: Any) -> dict[str, str]:
    """A valid 行政许可 row of an enterprise in the XK_* columns of the 双公示 template."""
    n = next(_seq)
    row = {
        "XK_ID": f"XK-{n:08d}",
        "XK_XDR_MC": f"杭州测试餐饮有限公司{n}",
        "XK_XDR_LB": "法人及非法人组织",
        "XK_XDR_SHXYM": make_uscc(n),
        "XK_FRDB": "王五",
        "XK_XKWS": "食品经营许可决定书",
        "XK_WSH": f"杭市监许〔2024〕{n}号",
        "XK_XKLB": "普通",
        "XK_XKZS": "食品经营许可证",
        "XK_XKBH": f"JY1330106{n:07d}",
        "XK_NR": "预包装食品销售",
        "XK_JDRQ": "2024-03-01",
        "XK_YXQZ": "2024-03-01",
        "XK_YXQZI": "2029-02-28",
        "XK_XKJG": "杭州市市场监督管理局",
        "XK_XKJGDM": AUTHORITY_USCC,
        "XK_ZT": "有效",
        "XK_LYDW": "杭州市市场监督管理局",
        "XK_LYDWDM": AUTHORITY_USCC,
    }
    row.update(overrides)
    return row


def header_of(rows: Sequence[Mapping[str, str]]) -> list[str]:
    """Every key of ``rows`` in first-seen order."""
    header: list[str] = []
    for row in rows:
        header.extend(k for k in row if k not in header)
    return header


def write_csv(
    path: Path,
    rows: Sequence[Mapping[str, str]],
    *,
    encoding: str = "utf-8",
    header: Sequence[str] | None = None,
) -> Path:
    """Write ``rows`` as CSV in ``encoding`` (utf-8, utf-8-sig, gb18030)."""
    columns = list(header) if header is not None else header_of(rows)
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        writer.writerows([row.get(c, "") for c in columns] for row in rows)
    return path


def write_table_csv(path: Path, lines: Iterable[Sequence[str]], *, encoding: str = "utf-8") -> Path:
    """Write raw lines (header included) as CSV."""
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(lines)
    return path


def write_xlsx(
    path: Path,
    lines: Sequence[Sequence[Any]],
    *,
    merges: Sequence[str] = (),
) -> Path:
    """Write raw lines into the first sheet, then merge the given ranges (e.g. ``"A1:T1"``)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for line in lines:
        ws.append(list(line))
    for cell_range in merges:
        ws.merge_cells(cell_range)
    wb.save(path)
    return path


def with_stale_dimension(path: Path, ref: str) -> Path:
    """Rewrite the first sheet's ``<dimension>`` to ``ref`` (as exporters that never update it
    leave it), keeping every row and cell."""
    sheet = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as old:
        parts = {info: old.read(info.filename) for info in old.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for info, data in parts.items():
            if info.filename == sheet:
                data, n = re.subn(
                    rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), data
                )
                assert n == 1, "the sheet has no <dimension> to make stale"
            new.writestr(info, data)
    return path


def run_file(
    engine: Engine,
    path: Path,
    source: str,
    record_type: str = "administrative_penalty",
    **options: Any,
) -> dict[str, Any]:
    """``ingest_file`` with the test secret, as the CLI admin."""
    return ingest_file(
        engine,
        default_catalog(),
        path,
        FileIngestOptions(record_type=record_type, source=source, secret=SECRET, **options),
        actor=CLI_ADMIN,
    )


_PAUSING_IMPORT = """
import sys
import time
from pathlib import Path

from xinyong.catalog.loader import default_catalog
from xinyong.db import make_engine
from xinyong.ingest.runner import FileIngestOptions, ingest_file
from xinyong.ingest.service import Actor

url, path, source, secret, chunk, gate = sys.argv[1:7]
gate = Path(gate)


def pause_after_first_chunk(_rows, _size):
    if (gate / "go").exists():
        return
    (gate / "paused").touch()
    while not (gate / "go").exists():
        time.sleep(0.02)


ingest_file(
    make_engine(url),
    default_catalog(),
    Path(path),
    FileIngestOptions(
        record_type="administrative_penalty",
        source=source,
        secret=secret.encode(),
        chunk_rows=int(chunk),
    ),
    actor=Actor("cli", "admin"),
    progress=pause_after_first_chunk,
)
"""


class PausedImport:
    """``ingest_file`` of ``path`` in another process, held after its first committed chunk
    until :meth:`resume` (or :meth:`kill`): a second import of the same file runs meanwhile."""

    def __init__(self, engine: Engine, path: Path, source: str, *, chunk_rows: int) -> None:
        self.gate = path.parent / f"gate-{path.stem}"
        self.gate.mkdir()
        self.child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _PAUSING_IMPORT,
                engine.url.render_as_string(hide_password=False),
                str(path),
                source,
                SECRET.decode(),
                str(chunk_rows),
                str(self.gate),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 120
        while not (self.gate / "paused").exists():
            if self.child.poll() is not None:
                raise AssertionError(self.child.stderr.read().decode() if self.child.stderr else "")
            assert time.monotonic() < deadline, "the import never committed a chunk"
            time.sleep(0.02)

    def resume(self) -> None:
        """Let the import finish; it must end well."""
        (self.gate / "go").touch()
        _, stderr = self.child.communicate(timeout=120)
        assert self.child.returncode == 0, stderr.decode()

    def kill(self) -> None:
        """``kill -9`` the paused import."""
        os.kill(self.child.pid, signal.SIGKILL)
        self.child.wait(timeout=30)
        assert self.child.returncode == -signal.SIGKILL

    def close(self) -> None:
        if self.child.poll() is None:
            self.child.kill()
            self.child.wait()
        if self.child.stderr is not None:
            self.child.stderr.close()
