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

from sqlalchemy import create_engine

from xinyong.catalog.loader import default_catalog
from xinyong.rules.compiler import compile_scorecard
from xinyong.rules.loader import load_all

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=2_430_000)
    parser.add_argument("--records", type=int, default=50_000_000)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    path = OUT / f"evaluate_{args.enterprises}_{args.records}.duckdb"
    engine = create_engine(f"duckdb:///{path}")
    with engine.connect() as conn:
        exists = conn.exec_driver_sql(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'records'"
        ).scalar()
        if not exists:
            started = time.perf_counter()
            generate(conn, args.enterprises, args.records)
            conn.commit()
            print(
                f"generated {args.enterprises:,} enterprises × {args.records:,} records "
                f"in {time.perf_counter() - started:.1f} s → {path.name}"
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
        scored = sum(n for _, n in grades)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"model {MODEL} v{loaded.scorecard.version} ({len(sql):,} chars of SQL) as of {AS_OF}")
    print(
        f"evaluated {scored:,} enterprises over {args.records:,} records in {wall:.1f} s "
        f"({args.records / wall:,.0f} records/s); peak RSS {peak:,.0f} MiB"
    )
    print("grades: " + ", ".join(f"{g} {n:,} ({n / scored:.1%})" for g, n in grades))


if __name__ == "__main__":
    main()
