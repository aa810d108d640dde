"""The benchmarks that have a ``--smoke`` mode run in the suite, so they cannot rot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
SMOKED = sorted(p for p in BENCH.glob("*.py") if "--smoke" in p.read_text(encoding="utf-8"))


def test_some_benchmarks_have_a_smoke_mode():
    assert SMOKED, "no benchmark under bench/ offers --smoke"


@pytest.mark.parametrize("script", SMOKED, ids=lambda p: p.name)
def test_benchmark_smoke_run_passes(script: Path):
    env = {**os.environ, "XINYONG_SECRET_KEY": "bench-smoke-secret"}
    done = subprocess.run(
        [sys.executable, str(script), "--smoke"],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert done.stdout.strip(), "a benchmark prints its numbers"
