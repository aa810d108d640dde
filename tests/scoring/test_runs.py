"""Batch runs: stamped, re-runnable, the same on the database and on DuckDB, and equal to the
online score; grade changes carry their reason."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from factories.records import penalty_row, push
from factories.rules import SOUND
from xinyong.accounts import service as accounts
from xinyong.catalog.loader import default_catalog
from xinyong.db import unit_of_work
from xinyong.kit import clock
from xinyong.rules.loader import load_scorecard
from xinyong.scoring import service
from xinyong.scoring.models import GradeChange, Score, ScoreRun
from xinyong.subjects.models import Subject

AS_OF = date(2026, 11, 22)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, databases, tmp_path_factory):
    engine = databases.migrated_engine(request.param)
    path = Path(tmp_path_factory.mktemp("model")) / "model.yaml"
    path.write_text(yaml.safe_dump(SOUND, allow_unicode=True), encoding="utf-8")
    loaded = load_scorecard(path, default_catalog())
    with unit_of_work(engine) as s:
        code = accounts.create_department(
            s, code="330100-SCJG", name="市场监管局", sector="market_regulation", now=clock.now()
        ).code
        push(
            s,
            code,
            [
                penalty_row(
                    CF_WSH=f"罚〔{i}〕",
                    CF_XDR_SHXYM=uscc,
                    CF_XDR_MC=f"公司{i}",
                    CF_NR_FK=fine,
                    CF_JDRQ=decided,
                )
                for i, (uscc, fine, decided) in enumerate(
                    [
                        ("91330106MA2000086A", "5", "2025-03-01"),
                        ("91330106MA2000086A", "12", "2026-01-05"),
                        ("91330106MA20003340", "0.5", "2026-02-01"),
                        ("91330106MA20004309", "2", "2024-01-01"),
                    ]
                )
            ],
        )
        # A category fact (``latest`` grade): text, not a number, on every engine.
        tax = accounts.create_department(
            s, code="330100-SWJ", name="税务局", sector="tax", now=clock.now()
        ).code
        report = push(
            s,
            tax,
            [
                {
                    "统一社会信用代码": "91330106MA2000086A",
                    "行政相对人名称": "公司0",
                    "行政相对人类别": "法人及非法人组织",
                    "法定代表人": "张三",
                    "评价年度": "2025",
                    "纳税信用等级": "B",
                    "评定日期": "2026-04-01",
                    "数据来源单位": "税务局",
                }
            ],
            record_type="tax_credit_rating",
        )
        assert report["accepted"] == 1, report
    yield engine, loaded, code
    engine.dispose()


def _stored(engine, as_of=AS_OF):
    with unit_of_work(engine) as s:
        return {
            sc.subject_id: (sc.total, sc.grade, sc.parts, sc.model_version, sc.definition_hash)
            for sc in s.scalars(select(Score).where(Score.as_of == as_of))
        }


def test_batch_run_is_stamped_and_rerunnable(world):
    engine, loaded, _ = world
    first = service.run_batch(engine, loaded, default_catalog(), as_of=AS_OF)
    rows = _stored(engine)
    second = service.run_batch(engine, loaded, default_catalog(), as_of=AS_OF)
    assert _stored(engine) == rows
    assert first.subjects == second.subjects == 3
    assert {v[3] for v in rows.values()} == {1}
    assert {v[4] for v in rows.values()} == {loaded.definition_hash}
    with unit_of_work(engine) as s:
        assert s.get(ScoreRun, second.run_id).status == "completed"


def test_duckdb_run_stores_what_the_database_run_stores(world):
    engine, loaded, _ = world
    service.run_batch(engine, loaded, default_catalog(), as_of=AS_OF)
    on_database = _stored(engine)
    report = service.run_batch(engine, loaded, default_catalog(), as_of=AS_OF, on="duckdb")
    assert report.engine == "duckdb"
    assert _stored(engine) == on_database


def test_online_score_equals_the_stored_batch_score(world):
    engine, loaded, _ = world
    service.run_batch(engine, loaded, default_catalog(), as_of=AS_OF)
    stored = _stored(engine)
    with unit_of_work(engine) as s:
        for subject_id, (total, grade, parts, _v, _h) in stored.items():
            online = service.evaluate_subject(
                s, loaded, default_catalog(), subject_id=subject_id, as_of=AS_OF
            )
            assert (online.total, online.grade, online.parts) == (total, grade, parts)


def test_a_category_fact_is_kept_as_text_online_and_in_batch(world):
    engine, loaded, _ = world
    service.run_batch(engine, loaded, default_catalog(), as_of=AS_OF, on="duckdb")
    with unit_of_work(engine) as s:
        sid = s.scalar(select(Subject.id).where(Subject.uscc == "91330106MA2000086A"))
        online = service.evaluate_subject(s, loaded, default_catalog(), subject_id=sid, as_of=AS_OF)
    assert online.parts["tax_grade"] == {"value": "B", "points": "30.00"}
    assert _stored(engine)[sid][2]["tax_grade"] == online.parts["tax_grade"]


def test_grade_change_records_its_reason(world):
    engine, loaded, _ = world
    earlier = date(2025, 1, 1)
    service.run_batch(engine, loaded, default_catalog(), as_of=earlier)
    service.run_batch(engine, loaded, default_catalog(), as_of=AS_OF)
    with unit_of_work(engine) as s:
        sid = s.scalar(select(Subject.id).where(Subject.uscc == "91330106MA2000086A"))
        changes = list(
            s.scalars(
                select(GradeChange).where(GradeChange.subject_id == sid, GradeChange.as_of == AS_OF)
            )
        )
    (change,) = changes
    assert change.from_as_of == earlier
    assert change.to_grade == "较差"
    assert "一票否决" in change.reason
