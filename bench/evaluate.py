"""Evaluation benchmark: the shipped enterprise model on DuckDB over synthetic facts.

    .venv/bin/python bench/evaluate.py [--enterprises 2430000] [--records 50000000]

Facts are generated inside DuckDB (deterministic, from hash()) in the exact layout the batch
path copies from the database (`xinyong.rules.duck`): ingesting 50 M rows through full
validation would take hours and is measured by bench/ingest.py instead. The compiled select
of `enterprise_public_credit` — the same one the online path runs — is executed into a table.
Prints generation time, evaluation wall time, rows/s, peak RSS and the grade distribution.
The file is kept in bench/out/ and reused for the same sizes.
"""

from __future__ import annotations

import argparse
import resource
import time
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pandas_baseline as baseline
from sqlalchemy import create_engine

from xinyong.catalog.loader import default_catalog
from xinyong.rules.compiler import compile_scorecard
from xinyong.scoring.shipped import load_all

OUT = Path(__file__).parent / "out"
MODEL = "enterprise_public_credit"
AS_OF = "2026-11-22"

# record type, share in permille, polarity, fields JSON expression (SQL over hash h)
TYPES = [
    ("administrative_licence", 400, "基础", "'{}'"),
    ("administrative_penalty", 250, "失信", "'{}'"),
    (
        "inspection_result",
        80,
        "基础",
        """'{"result":"' || (['未发现问题','未发现问题','不合格','发现问题已责令改正'])[CAST(1 + h % 4 AS INTEGER)] || '"}'""",
    ),
    (
        "tax_credit_rating",
        70,
        "基础",
        """'{"grade":"' || (['A','B','B','M','C','D'])[CAST(1 + h % 6 AS INTEGER)] || '"}'""",
    ),
    ("credit_commitment", 50, "基础", "'{}'"),
    ("abnormal_operation", 35, "失信", "'{}'"),
    (
        "contract_performance",
        30,
        "基础",
        """'{"result":"' || (['履约','履约','部分履约','违约'])[CAST(1 + h % 4 AS INTEGER)] || '"}'""",
    ),
    ("volunteer_service", 30, "守信", "'{}'"),
    ("commendation", 15, "守信", "'{}'"),
    (
        "environmental_credit",
        15,
        "基础",
        """'{"colour":"' || (['绿色','蓝色','蓝色','黄色','红色','黑色'])[CAST(1 + h % 6 AS INTEGER)] || '"}'""",
    ),
    ("good_faith_incentive", 10, "守信", "'{}'"),
    ("judgment_defaulter", 7, "失信", "'{}'"),
    ("serious_dishonesty_list", 5, "失信", "'{}'"),
    ("commitment_breach", 3, "失信", "'{}'"),
]


def generate(conn, enterprises: int, records: int) -> None:
    conn.exec_driver_sql(
        f"CREATE TABLE subjects AS SELECT range + 1 AS id, 'enterprise' AS kind FROM range({enterprises})"
    )
    conn.exec_driver_sql(
        "CREATE TABLE subject_consents (id BIGINT, subject_id BIGINT, purpose VARCHAR, revoked_at TIMESTAMPTZ)"
    )
    bounds, cases_type, cases_pol, cases_fields, low = [], [], [], [], 0
    for code, share, polarity, fields in TYPES:
        high = low + share
        cond = f"t BETWEEN {low} AND {high - 1}"
        cases_type.append(f"WHEN {cond} THEN '{code}'")
        cases_pol.append(f"WHEN {cond} THEN '{polarity}'")
        cases_fields.append(f"WHEN {cond} THEN {fields}")
        bounds.append(high)
        low = high
    conn.exec_driver_sql(f"""
        CREATE TABLE records AS
        WITH base AS (
            SELECT range + 1 AS id,
                   hash(range * 2654435761) AS h,
                   hash(range) % 1000 AS t,
                   1 + hash(range * 40503) % {enterprises} AS subject_id,
                   DATE '2019-01-01' + CAST(hash(range * 97) % 2880 AS INTEGER) AS decided_on
            FROM range({records})
        )
        SELECT id, subject_id,
               CASE {" ".join(cases_type)} END AS record_type,
               'active' AS status, decided_on,
               CASE {" ".join(cases_pol)} END AS polarity,
               (['轻微','一般','一般','严重'])[CAST(1 + h % 4 AS INTEGER)] AS severity,
               h % 5 <> 0 AS publicised,
               decided_on AS publicity_starts_on,
               decided_on + CAST(365 * (1 + h % 3) AS INTEGER) AS publicity_ends_on,
               CAST(CASE {" ".join(cases_fields)} END AS JSON) AS fields
        FROM base
    """)


def run_duckdb(enterprises: int, records: int) -> tuple[float, list[tuple[str, int]], Path]:
    """Generate (once) and evaluate on DuckDB; returns wall time, grades and the file."""
    path = OUT / f"evaluate_{enterprises}_{records}.duckdb"
    engine = create_engine(f"duckdb:///{path}")
    with engine.connect() as conn:
        exists = conn.exec_driver_sql(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'records'"
        ).scalar()
        if not exists:
            started = time.perf_counter()
            generate(conn, enterprises, records)
            conn.commit()
            print(
                f"generated {enterprises:,} enterprises × {records:,} records in "
                f"{time.perf_counter() - started:.1f} s → {path.name}"
            )
        catalog = default_catalog()
        loaded = load_all(catalog)[MODEL]
        compiled = compile_scorecard(loaded.scorecard, catalog, dialect="duckdb")
        # The select with its values bound, rendered for DuckDB, kept inside DuckDB.
        bound = compiled.select.params(compiled.params(date.fromisoformat(AS_OF)))
        sql = str(bound.compile(engine, compile_kwargs={"literal_binds": True}))
        conn.exec_driver_sql("DROP TABLE IF EXISTS results")
        started = time.perf_counter()
        conn.exec_driver_sql(f"CREATE TABLE results AS {sql}")
        wall = time.perf_counter() - started
        grades = conn.exec_driver_sql(
            "SELECT grade, count(*) FROM results GROUP BY grade ORDER BY 2 DESC"
        ).all()
        conn.commit()
    engine.dispose()
    print(f"model {MODEL} v{loaded.scorecard.version} ({len(sql):,} chars of SQL) as of {AS_OF}")
    return wall, [(g, n) for g, n in grades], path


def report(label: str, records: int, wall: float, grades: list[tuple[str, int]]) -> None:
    scored = sum(n for _, n in grades)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{label}: {scored:,} enterprises over {records:,} records in {wall:.1f} s "
        f"({records / wall:,.0f} records/s); peak RSS so far {peak:,.0f} MiB"
    )
    print("  grades: " + ", ".join(f"{g} {n:,} ({n / scored:.1%})" for g, n in grades))


def run_pandas(path: Path) -> tuple[float, float, int]:
    """The pandas baseline on the same facts; checks it agrees with DuckDB's stored results."""
    catalog = default_catalog()
    card = load_all(catalog)[MODEL].scorecard
    with duckdb.connect(str(path), read_only=True) as duck:
        started = time.perf_counter()
        records = duck.execute(
            "SELECT subject_id, record_type, status, decided_on, polarity, severity, publicised, "
            "publicity_starts_on, publicity_ends_on, CAST(fields AS VARCHAR) AS fields FROM records"
        ).df()
        subjects = duck.execute("SELECT id FROM subjects ORDER BY id").df()["id"]
        expected = duck.execute("SELECT subject_id, total, grade FROM results").df()
        loaded_in = time.perf_counter() - started
    for col in ("decided_on", "publicity_starts_on", "publicity_ends_on"):
        records[col] = pd.to_datetime(records[col])
    started = time.perf_counter()
    baseline.prepare(records, card, catalog)
    result = baseline.evaluate(card, catalog, records, subjects, date.fromisoformat(AS_OF))
    wall = time.perf_counter() - started
    merged = expected.set_index("subject_id").join(result.add_suffix("_pandas"))
    differ = (merged["total"].astype(float).round(2) - merged["total_pandas"]).abs() > 0.005
    differ |= merged["grade"] != merged["grade_pandas"]
    return wall, loaded_in, int(differ.sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=2_430_000)
    parser.add_argument("--records", type=int, default=50_000_000)
    parser.add_argument(
        "--baseline-records",
        type=int,
        default=5_000_000,
        help="scale of the pandas comparison (enterprises in proportion); 0 skips it",
    )
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    wall, grades, _ = run_duckdb(args.enterprises, args.records)
    report("DuckDB (full scale)", args.records, wall, grades)
    if args.baseline_records:
        sample_enterprises = max(1, args.enterprises * args.baseline_records // args.records)
        duck_wall, sample_grades, path = run_duckdb(sample_enterprises, args.baseline_records)
        report("DuckDB (baseline scale)", args.baseline_records, duck_wall, sample_grades)
        pandas_wall, load_wall, differ = run_pandas(path)
        print(
            f"pandas (baseline scale): {pandas_wall:.1f} s (+{load_wall:.1f} s to load the "
            f"records into a DataFrame); {differ} subjects differ from DuckDB"
        )
        print(f"DuckDB is {pandas_wall / duck_wall:,.1f}x pandas on the same facts")


if __name__ == "__main__":
    main()
