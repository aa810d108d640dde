"""One compiled select: the online row of a subject equals its batch row, on SQLite,
PostgreSQL and DuckDB, indicator by indicator; the parts add up to the total."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from factories.accounts import make_department
from factories.records import penalty_row, push
from factories.rules import SOUND
from xinyong.catalog.loader import default_catalog
from xinyong.rules.compiler import compile_scorecard
from xinyong.rules.duck import duckdb_engine, load_facts
from xinyong.rules.facts import Scope
from xinyong.rules.scorecard import Scorecard
from xinyong.subjects.models import Subject

AS_OF = date(2026, 11, 22)
CARD = Scorecard.model_validate(SOUND)
CENT = Decimal("0.01")


def _norm(row: Any) -> dict[str, Any]:
    out = {}
    for key, value in row._mapping.items():
        if isinstance(value, float | int | Decimal) and not isinstance(value, bool):
            out[key] = Decimal(str(value)).quantize(CENT)
        else:
            out[key] = value
    return out


def _tax_row(uscc: str, grade: str, year: int) -> dict[str, str]:
    return {
        "统一社会信用代码": uscc,
        "行政相对人名称": "杭州西湖示范科技有限公司",
        "行政相对人类别": "法人及非法人组织",
        "法定代表人": "张三",
        "评价年度": str(year),
        "纳税信用等级": grade,
        "评定日期": f"{year + 1}-04-01",
        "数据来源单位": "税务局",
    }


@pytest.fixture
def scored(session):
    penalties = make_department(session, sector="market_regulation").code
    tax = make_department(session, sector="tax").code
    push(
        session,
        penalties,
        [
            penalty_row(CF_WSH="罚〔1〕", CF_NR_FK="5", CF_JDRQ="2025-03-01"),
            penalty_row(CF_WSH="罚〔2〕", CF_NR_FK="12", CF_JDRQ="2026-01-05"),
            penalty_row(CF_WSH="罚〔3〕", CF_NR_FK="0.5", CF_JDRQ="2024-06-01"),
            penalty_row(CF_WSH="罚〔4〕", CF_NR_FK="3", CF_JDRQ="2019-06-01", CF_YXQ="2022-06-01"),
            penalty_row(
                CF_WSH="罚〔5〕",
                CF_XDR_SHXYM="91330106MA20003340",
                CF_XDR_MC="杭州无罚公司",
                CF_NR_FK="0.2",
                CF_JDRQ="2026-02-01",
            ),
        ],
    )
    push(
        session,
        tax,
        [_tax_row("91330106MA2000086A", "B", 2023), _tax_row("91330106MA2000086A", "A", 2024)],
        record_type="tax_credit_rating",
    )
    push(
        session,
        penalties,
        [
            penalty_row(
                CF_WSH="罚〔6〕",
                CF_XDR_SHXYM="91330106MA20004309",
                CF_XDR_MC="杭州空白公司",
                CF_JDRQ="2030-01-01",
            )
        ],
    )
    return session


def _batch(session, card=CARD):
    compiled = compile_scorecard(card, default_catalog(), dialect=session.bind.dialect.name)
    return {
        r.subject_id: _norm(r) for r in session.execute(compiled.select, compiled.params(AS_OF))
    }


def _online(session, subject_id, card=CARD):
    compiled = compile_scorecard(
        card, default_catalog(), dialect=session.bind.dialect.name, scope=Scope.ONE
    )
    rows = session.execute(compiled.select, compiled.params(AS_OF, subject_id)).all()
    assert len(rows) == 1
    return _norm(rows[0])


def test_online_row_equals_batch_row_for_every_subject(scored):
    batch = _batch(scored)
    assert len(batch) == 3
    for subject_id, row in batch.items():
        assert _online(scored, subject_id) == row


def test_batch_on_duckdb_equals_the_database(scored):
    database = _batch(scored)
    compiled = compile_scorecard(CARD, default_catalog(), dialect="duckdb")
    with duckdb_engine() as duck:
        load_facts(scored, duck)
        with duck.connect() as conn:
            rows = {
                r.subject_id: _norm(r)
                for r in conn.execute(compiled.select, compiled.params(AS_OF))
            }
    assert rows == database


def test_scores_follow_the_rules_and_parts_add_up(scored):
    sid = scored.scalar(select(Subject.id).where(Subject.uscc == "91330106MA2000086A"))
    row = _batch(scored)[sid]
    # penalties with fine ≥ 1 万 in the last 36 months: 罚〔1〕 and 罚〔2〕 (罚〔4〕 is too old)
    assert row["penalties__value"] == Decimal("2.00")
    assert row["penalties__points"] == Decimal("20.00")  # 40 − 2 × 10
    # all fines ever: 5 + 12 + 0.5 + 3 = 20.5 万 → the ≥ 10 band
    assert row["fines__value"] == Decimal("20.50")
    assert row["fines__points"] == Decimal("0.00")
    assert row["tax_grade__value"] == "A"  # the latest rating
    assert row["tax_grade__points"] == Decimal("40.00")
    assert row["no_serious__veto"] == 1
    parts = sum(row[f"{i}__points"] for i in ("penalties", "fines", "tax_grade", "honours"))
    assert parts == Decimal("60.00")
    assert row["total"] == Decimal("59.00")  # capped by the veto
    assert row["grade"] == "较差"


def test_subject_without_records_gets_the_base_score(scored):
    sid = scored.scalar(select(Subject.id).where(Subject.uscc == "91330106MA20004309"))
    row = _batch(scored)[sid]  # its only penalty is after as_of
    assert row["penalties__value"] == Decimal("0.00")
    assert row["total"] == Decimal("80.00")  # 40 + 20 + 20 (no tax rating: default)
    assert row["grade"] == "良好"
