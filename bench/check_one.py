"""One credit check at a time, in process: the service path and its commit, timed check by check.

    .venv/bin/python bench/check_one.py [--db postgresql|sqlite] [--enterprises 2000]
        [--records 20000] [--checks 300] [--smoke]

Builds a fresh database (synthetic enterprises ingested through the normal pipeline), then
times ``checks.service.check_subject`` inside its own unit of work (facts, grades, decision,
the stored check and its measures, the query log, the audit chain, commit) for random
subjects with records:

1. before any batch evaluation: no stored score exists, so a check grades the subject online
   under each model of its kind (the compiled select with ``subject_id = …``);
2. after a batch evaluation of every shipped model: a check reads the stored result of the
   version in force;

and one batch check of up to 1 000 of those subjects in each state. On a shared machine the
minimum is the steadiest figure. ``--smoke`` runs a tiny version on SQLite to show the script
works. Prints numbers; asserts nothing. The PostgreSQL
database (``xinyong_bench_check_one_<pid>`` on 127.0.0.1:5432) is dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

import psycopg
from sqlalchemy import select
from sqlalchemy.engine import Engine

from xinyong.accounts import service as accounts
from xinyong.accounts.models import Role
from xinyong.accounts.principal import Principal
from xinyong.catalog.loader import default_catalog
from xinyong.checks import schemas
from xinyong.checks.service import CheckSetup, check_batch, check_subject
from xinyong.config import Settings
from xinyong.db import make_engine, unit_of_work
from xinyong.kit import clock
from xinyong.migrations import upgrade
from xinyong.records.models import Record
from xinyong.scoring.refresh import refresh_stale, shipped_and_published
from xinyong.scoring.service import run_batch
from xinyong.scoring.shipped import load_all
from xinyong.subjects.models import Subject
from xinyong.synth.generate import generate
from xinyong.synth.load import load_into
from xinyong.wiring.holder import Wiring

SECRET = b"bench-secret-not-for-production"
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEPARTMENT = "330100-BENCH"
AREAS = ("审批服务", "公共资源交易", "行政监管", "公共服务", "其他政务")


def fresh_engine(db: str, tmp: Path) -> tuple[Engine, str | None]:
    if db == "sqlite":
        return make_engine(f"sqlite:///{(tmp / 'bench.db').as_posix()}"), None
    name = f"xinyong_bench_check_one_{os.getpid()}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    return make_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"), name


def build(engine: Engine, tmp: Path, args: argparse.Namespace) -> list[str]:
    """Migrate, ingest the synthetic data, and return the codes of subjects with records."""
    upgrade(engine)
    started = time.perf_counter()
    generate(tmp / "synth", enterprises=args.enterprises, records=args.records, persons=0)
    load_into(engine, tmp / "synth", secret=SECRET)
    print(
        f"{args.enterprises:,} enterprises, {args.records:,} records ingested in "
        f"{time.perf_counter() - started:.1f} s"
    )
    with unit_of_work(engine) as session:
        accounts.create_department(
            session, code=DEPARTMENT, name="压测审批系统所属部门", sector="other", now=clock.now()
        )
        with_records = select(Record.subject_id).where(Record.subject_id == Subject.id).exists()
        return list(
            session.scalars(select(Subject.uscc).where(Subject.uscc.is_not(None), with_records))
        )


def drain_stale_marks(engine: Engine) -> None:
    """The worker's passes after the ingest: until they clear the ingest's stale marks, checks
    compute every grade online whatever the batch stored."""
    started = time.perf_counter()
    shipped = load_all(default_catalog())
    while refresh_stale(
        engine,
        default_catalog(),
        shipped_and_published(default_catalog(), shipped),
        now=clock.now(),
    ).line():
        pass
    print(f"worker passes clearing the ingest's stale marks: {time.perf_counter() - started:.1f} s")


def principal() -> Principal:
    return Principal(
        kind="key",
        id=1,
        role=Role.SYSTEM,
        department_code=DEPARTMENT,
        subject_id=None,
        name="压测审批系统",
    )


def check_setup(engine: Engine) -> CheckSetup:
    """The setup a server's wiring hands a check: the definitions in force on ``engine``."""
    settings = Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        secret_key=SECRET.decode(),
    )
    return Wiring.load(settings, engine).held.get(CheckSetup)


def time_checks(engine: Engine, codes: list[str], n: int, rng: random.Random) -> list[float]:
    """Milliseconds per check, each in its own transaction (as a request is)."""
    setup = check_setup(engine)
    times = []
    for i in range(n):
        request = schemas.CheckRequest(
            subject_code=rng.choice(codes), matter="压测事项", area=AREAS[i % len(AREAS)]
        )
        started = time.perf_counter()
        with unit_of_work(engine) as session:
            check_subject(session, setup, principal=principal(), request=request, now=clock.now())
        times.append((time.perf_counter() - started) * 1000)
    return times


def batch_request(codes: list[str]) -> schemas.BatchCheckRequest:
    # The request names its list ``subjects`` (each {code}) since issue 9; before, ``subject_codes``.
    if "subjects" in schemas.BatchCheckRequest.model_fields:
        items: object = [{"code": c} for c in codes]
        key = "subjects"
    else:
        items, key = codes, "subject_codes"
    return schemas.BatchCheckRequest.model_validate(
        {"matter": "某工程施工招标", "area": "公共资源交易", key: items}
    )


def time_batch(engine: Engine, codes: list[str]) -> float:
    setup = check_setup(engine)
    started = time.perf_counter()
    with unit_of_work(engine) as session:
        check_batch(
            session, setup, principal=principal(), request=batch_request(codes), now=clock.now()
        )
    return (time.perf_counter() - started) * 1000


def summary(label: str, times: list[float]) -> None:
    ordered = sorted(times)
    p90 = ordered[int(len(ordered) * 0.9) - 1]
    p99 = ordered[max(int(len(ordered) * 0.99) - 1, 0)]
    print(
        f"| {label} | {len(times)} | {ordered[0]:.2f} | {statistics.median(times):.2f} "
        f"| {p90:.2f} | {p99:.2f} | {statistics.fmean(times):.2f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--enterprises", type=int, default=2000)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--checks", type=int, default=300)
    parser.add_argument("--smoke", action="store_true", help="tiny run on SQLite")
    args = parser.parse_args()
    if args.smoke:
        args.db, args.enterprises, args.records, args.checks = "sqlite", 100, 1000, 20
    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="xinyong-check-one-") as tmp:
        engine, pg_name = fresh_engine(args.db, Path(tmp))
        try:
            codes = build(engine, Path(tmp), args)
            time_checks(engine, codes, 10, rng)  # warm-up: statements built and cached
            print(f"\n{args.db}, {len(codes):,} subjects with records\n")
            print("| checks | n | min ms | p50 ms | p90 ms | p99 ms | mean ms |")
            print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
            summary("single, no stored score", time_checks(engine, codes, args.checks, rng))
            unscored_batch = time_batch(engine, codes[:1000])
            started = time.perf_counter()
            for loaded in load_all(default_catalog()).values():
                run_batch(engine, loaded, default_catalog(), as_of=clock.today())
            evaluated = time.perf_counter() - started
            drain_stale_marks(engine)
            summary("single, stored score", time_checks(engine, codes, args.checks, rng))
            scored_batch = time_batch(engine, codes[:1000])
            print(f"\nbatch evaluation of the shipped models: {evaluated:.1f} s")
            n = min(len(codes), 1000)
            print(
                f"one batch check of {n} subjects: {unscored_batch:.0f} ms without stored "
                f"scores, {scored_batch:.0f} ms with"
            )
        finally:
            engine.dispose()
            if pg_name is not None:
                with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
                    admin.execute(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)")


if __name__ == "__main__":
    main()
