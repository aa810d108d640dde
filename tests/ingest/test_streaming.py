"""Reading and validating a ~200 MB file keeps memory flat: rows are streamed, never listed."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from factories.ingest import penalty_row

TARGET_BYTES = 200 * 1024 * 1024
MAX_GROWTH_KB = 100 * 1024

# Runs in a fresh interpreter so the peak RSS is this work's alone, not earlier tests'.
CHILD = """
import json
import resource
import sys
from pathlib import Path

from xinyong.catalog.loader import default_catalog
from xinyong.catalog.validation import RowValidator, map_header
from xinyong.ingest.readers import open_table

rt = default_catalog().types["administrative_penalty"]
validator = RowValidator(rt)


def score(header):
    return len(map_header(rt, header).columns)


rows = errors = 0
with open_table(Path(sys.argv[1]), score) as table:
    columns = map_header(rt, table.header).columns
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _number, cells in table.rows:
        result = validator.validate({name: cells[i] for i, name in columns})
        rows += 1
        errors += bool(result.errors)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"rows": rows, "errors": errors, "before_kb": before, "after_kb": after}))
"""


def write_big_csv(path: Path, target_bytes: int) -> tuple[int, int]:
    """Repeat one row with a new 信息ID and 文号 per line; every 1000th row has a bad date."""
    row = penalty_row(
        CF_ID="@ID@", CF_WSH="杭市监处罚〔2024〕@ID@号", CF_SY="当事人销售的食品经抽检不合格。" * 10
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(row)
    writer.writerow(row.values())
    header, template = buffer.getvalue().splitlines(keepends=True)
    bad_template = template.replace("2024-06-01", "2024-02-30")
    per_row = len(template.encode())
    total = target_bytes // per_row
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(header)
        for start in range(0, total, 10_000):
            fh.write(
                "".join(
                    (bad_template if i % 1000 == 0 else template).replace("@ID@", str(i))
                    for i in range(start, min(start + 10_000, total))
                )
            )
    return total, (total + 999) // 1000


@pytest.mark.slow
def test_validating_a_200_mb_file_keeps_memory_flat(tmp_path):
    path = tmp_path / "big.csv"
    total, bad = write_big_csv(path, TARGET_BYTES)
    assert path.stat().st_size > 190 * 1024 * 1024
    try:
        result = subprocess.run(
            [sys.executable, "-c", CHILD, str(path)],
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
    finally:
        path.unlink()  # pytest keeps the last runs' tmp dirs: do not leave 200 MB behind
    stats = json.loads(result.stdout)
    assert (stats["rows"], stats["errors"]) == (total, bad)
    growth_kb = stats["after_kb"] - stats["before_kb"]  # ru_maxrss is in KiB on Linux
    assert growth_kb < MAX_GROWTH_KB, f"peak RSS grew by {growth_kb / 1024:.0f} MB"
