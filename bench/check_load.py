"""Credit-check load test: 1 M subjects in PostgreSQL, uvicorn with 2 workers, wrk on loopback.

    apt-get install wrk
    .venv/bin/python bench/check_load.py [--subjects 1000000] [--with-records 20000]
        [--records 100000] [--rates 500,1000] [--duration 30] [--reuse | --build-only]

Builds (or with ``--reuse`` keeps) the database ``xinyong_bench_checks`` on 127.0.0.1:5432:
synthetic enterprises with records ingested through the normal pipeline and evaluated under
the shipped models, topped up with plain enterprises to ``--subjects`` by COPY. Then it serves
the app with ``xinyong serve --workers 2`` and drives ``POST /api/v1/checks`` with wrk, picking
a random code per request from a mix of subjects with records (half), plain subjects and
unknown but valid codes. Each check is the full path: authenticate the system key, look the
subject up, gather grades, lists and records, decide, store the check and its measures, write
the query log and the audit chain, commit.

Runs: a closed-loop saturation run (how many checks per second the server completes), then
paced runs at each ``--rates`` value: wrk's per-connection ``delay()`` spaces requests so the
offered load is the given rate; the achieved rate is printed next to it. wrk measures latency
from the moment it sends, so when the server falls behind the percentiles understate the
queueing (coordinated omission): compare the achieved rate with the offered one.

Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg

from xinyong.accounts import service as accounts
from xinyong.accounts.models import Role
from xinyong.catalog.loader import default_catalog
from xinyong.config import Settings
from xinyong.db import make_engine, unit_of_work
from xinyong.kit import clock
from xinyong.migrations import upgrade
from xinyong.scoring.refresh import refresh_stale, shipped_and_published
from xinyong.scoring.shipped import load_all
from xinyong.synth.generate import generate
from xinyong.synth.load import load_into
from xinyong.synth.subjects import uscc_from_body

DB_NAME = "xinyong_bench_checks"
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB_NAME}"
SECRET = "bench-secret-not-for-production"
PORT = 8765
ROOT = Path(__file__).resolve().parent.parent
XINYONG = ROOT / ".venv" / "bin" / "xinyong"
ALPHABET31 = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # the USCC alphabet (no I, O, S, V, Z)

WRK_SCRIPT = r"""
local codes = {}
local areas = {"审批服务", "公共资源交易", "行政监管", "公共服务", "其他政务"}
local pause_ms = tonumber(os.getenv("PAUSE_MS") or "0")
for line in io.lines(os.getenv("CODES_FILE")) do codes[#codes + 1] = line end
math.randomseed(os.time())
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = os.getenv("API_KEY")
local statuses = {}
function request()
  local code = codes[math.random(#codes)]
  local area = areas[math.random(#areas)]
  local body = '{"subject_code":"' .. code .. '","matter":"压测事项","area":"' .. area .. '"}'
  return wrk.format(nil, "/api/v1/checks", nil, body)
end
function delay() return pause_ms end
function response(status) statuses[status] = (statuses[status] or 0) + 1 end
function done(summary, latency, requests)
  local out = string.format(
    '{"requests": %d, "seconds": %.3f, "p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, ' ..
    '"max_ms": %.3f, "errors": %d, "non_2xx": %d}',
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3,
    summary.errors.connect + summary.errors.read + summary.errors.write +
      summary.errors.timeout,
    summary.errors.status)
  io.write("WRK_RESULT " .. out .. "\n")
end
"""


def _org_code_body(n: int) -> str:
    """An 8-character GB 11714 body unique per ``n`` (base 31 in the USCC alphabet, prefixed
    with W so it never collides with synth's bodies, which start with a digit or M)."""
    digits = []
    for _ in range(7):
        n, r = divmod(n, 31)
        digits.append(ALPHABET31[r])
    return "W" + "".join(reversed(digits))


def build_database(args: argparse.Namespace, settings: Settings) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DB_NAME}")
    engine = make_engine(URL)
    upgrade(engine)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        generate(out, enterprises=args.with_records, records=args.records, persons=0)
        load_into(engine, out, secret=settings.hmac_key)
    print(f"synthetic subjects with records ingested in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    with engine.connect() as conn:
        have = conn.exec_driver_sql("SELECT count(*) FROM subjects").scalar_one()
    now = clock.now()
    raw = psycopg.connect(URL.replace("+psycopg", ""))
    with raw, raw.cursor() as cur:
        columns = "kind, uscc, name, status, district, created_at, updated_at"
        with cur.copy(f"COPY subjects ({columns}) FROM STDIN") as copy:
            for n in range(args.subjects - have):
                uscc = uscc_from_body("91", "330106", _org_code_body(n))
                copy.write_row(
                    ("enterprise", uscc, f"杭州压测{n}号有限公司", "存续", "西湖区", now, now)
                )
    print(
        f"{args.subjects - have:,} plain enterprises copied in {time.perf_counter() - started:.1f} s"
    )
    started = time.perf_counter()
    env = {**os.environ, "XINYONG_DATABASE_URL": URL, "XINYONG_SECRET_KEY": SECRET}
    for model in ("enterprise_public_credit",):
        subprocess.run(
            [XINYONG, "evaluate", "--model", model, "--engine", "duckdb", "--json"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    print(f"enterprise model evaluated in {time.perf_counter() - started:.1f} s")
    # The worker's passes after the ingest: until they clear its stale marks, checks compute
    # every grade online whatever the batch stored.
    started = time.perf_counter()
    shipped = load_all(default_catalog())
    while refresh_stale(
        engine,
        default_catalog(),
        shipped_and_published(default_catalog(), shipped),
        now=clock.now(),
    ).line():
        pass
    print(f"stale marks of the ingest cleared in {time.perf_counter() - started:.1f} s")
    with psycopg.connect(URL.replace("+psycopg", ""), autocommit=True) as c:
        c.execute("VACUUM ANALYZE")
    engine.dispose()


def make_key(settings: Settings) -> str:
    engine = make_engine(URL)
    with unit_of_work(engine) as session:
        code = "330100-BENCH"
        if accounts.get_department(session, code) is None:
            accounts.create_department(
                session, code=code, name="压测审批系统所属部门", sector="other", now=clock.now()
            )
        key, _ = accounts.create_api_key(
            session,
            name="压测审批系统",
            role=Role.SYSTEM,
            department_code=code,
            rate_limit_per_minute=0,  # unlimited: the load test measures the server
            secret=settings.hmac_key,
            now=clock.now(),
        )
    engine.dispose()
    return key


def write_codes(path: Path, sample: int) -> dict[str, int]:
    """Half subjects with records, the rest plain subjects and unknown valid codes."""
    rng = random.Random(7)
    with psycopg.connect(URL.replace("+psycopg", "")) as c:
        with_records = [
            r[0]
            for r in c.execute(
                "SELECT s.uscc FROM subjects s WHERE s.uscc IS NOT NULL AND EXISTS "
                "(SELECT 1 FROM records r WHERE r.subject_id = s.id) LIMIT %s",
                (sample // 2,),
            )
        ]
        plain = [
            r[0]
            for r in c.execute(
                "SELECT uscc FROM subjects WHERE uscc LIKE '91330106W%%' ORDER BY id DESC LIMIT %s",
                (sample * 2 // 5,),
            )
        ]
    unknown = [
        uscc_from_body("91", "330110", _org_code_body(10_000_000 + i))
        for i in range(sample - len(with_records) - len(plain))
    ]
    codes = with_records + plain + unknown
    rng.shuffle(codes)
    path.write_text("\n".join(codes) + "\n", encoding="utf-8")
    return {"with_records": len(with_records), "plain": len(plain), "unknown": len(unknown)}


def rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and its children (the uvicorn workers), MiB."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        status = Path(f"/proc/{p}/status")
        if status.exists():
            for line in status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


def run_wrk(env: dict[str, str], *, connections: int, seconds: int, pause_ms: int) -> dict:
    result = subprocess.run(
        [
            "wrk",
            "-t",
            "1",
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--timeout",
            "5s",
            "-s",
            env["WRK_SCRIPT_PATH"],
            f"http://127.0.0.1:{PORT}",
        ],
        env={**env, "PAUSE_MS": str(pause_ms)},
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in result.stdout.splitlines() if x.startswith("WRK_RESULT "))
    data = json.loads(line.removeprefix("WRK_RESULT "))
    data["rate"] = data["requests"] / data["seconds"]
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--with-records", type=int, default=20_000)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--rates", default="500,1000")
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--codes", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="keep an existing bench database")
    parser.add_argument("--build-only", action="store_true", help="build the database and stop")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")
    settings = Settings(database_url=URL, secret_key=SECRET)
    if not args.reuse:
        build_database(args, settings)
    if args.build_only:
        return
    with psycopg.connect(URL.replace("+psycopg", "")) as c:
        counts = c.execute(
            "SELECT (SELECT count(*) FROM subjects), (SELECT count(*) FROM records), "
            "(SELECT count(*) FROM scores)"
        ).fetchone()
    print(f"database: {counts[0]:,} subjects, {counts[1]:,} records, {counts[2]:,} scores")
    key = make_key(settings)
    work = Path(tempfile.mkdtemp(prefix="xinyong-bench-"))
    mix = write_codes(work / "codes.txt", args.codes)
    (work / "check.lua").write_text(WRK_SCRIPT, encoding="utf-8")
    print(f"code mix: {mix}")
    env = {
        **os.environ,
        "XINYONG_DATABASE_URL": URL,
        "XINYONG_SECRET_KEY": SECRET,
        "XINYONG_DATA_DIR": str(work),
        "API_KEY": key,
        "CODES_FILE": str(work / "codes.txt"),
        "WRK_SCRIPT_PATH": str(work / "check.lua"),
    }
    server = subprocess.Popen(
        [XINYONG, "serve", "--workers", "2", "--port", str(PORT)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{PORT}/api/v1/measures").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                sys.exit("server did not start")
            time.sleep(0.5)
        first_code = (work / "codes.txt").read_text(encoding="utf-8").split("\n", 1)[0]
        one = httpx.post(
            f"http://127.0.0.1:{PORT}/api/v1/checks",
            headers={"X-API-Key": key},
            json={"subject_code": first_code, "matter": "压测事项", "area": "审批服务"},
        )
        print(f"sample check: {one.status_code} decision={one.json().get('decision')}")
        run_wrk(env, connections=8, seconds=5, pause_ms=0)  # warm-up
        rows = []
        sat = run_wrk(env, connections=16, seconds=args.duration, pause_ms=0)
        rows.append(("saturated (16 conns, closed loop)", "-", sat))
        for rate in (int(r) for r in args.rates.split(",")):
            connections = max(8, rate // 25)
            pause = round(connections * 1000 / rate)
            res = run_wrk(env, connections=connections, seconds=args.duration, pause_ms=pause)
            rows.append((f"paced {connections} conns × 1/{pause} ms", str(rate), res))
        print(f"server RSS after the runs: {rss_mib(server.pid):.0f} MiB (master + 2 workers)")
        print()
        print(
            "| run | offered req/s | achieved req/s | p50 ms | p90 ms | p99 ms | max ms | errors |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for name, offered, r in rows:
            print(
                f"| {name} | {offered} | {r['rate']:.0f} | {r['p50_ms']:.2f} | {r['p90_ms']:.2f} "
                f"| {r['p99_ms']:.2f} | {r['max_ms']:.1f} | {r['errors'] + r['non_2xx']} |"
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
