"""The shipped evaluation models: every one loads against the catalog, and every YAML case
(records in → indicators, score, grade out) passes online, in batch and on DuckDB, on SQLite
and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import Engine, func, select

from xinyong.catalog.loader import default_catalog
from xinyong.rules.duck import duckdb_engine
from xinyong.scoring.cases import (
    Case,
    ScorecardCases,
    load_cases,
    run_case,
    run_case_file,
    run_cases_on_duckdb,
)
from xinyong.scoring.shipped import CASES_DIR, DEFINITIONS_DIR, load_all
from xinyong.subjects.models import Subject

SHIPPED = {
    "enterprise_public_credit",
    "environmental_credit",
    "merchant_street",
    "personal_credit",
    "small_project_supervision",
}
CATALOG = default_catalog()
MODELS = load_all(CATALOG)
CASE_FILES = {path.stem: load_cases(path) for path in sorted(CASES_DIR.glob("*.yaml"))}
ALL_CASES = [
    pytest.param(cases.model, case, id=f"{stem}-{n}")
    for stem, cases in CASE_FILES.items()
    for n, case in enumerate(cases.cases, start=1)
]


def test_every_shipped_model_loads_against_the_catalog():
    assert set(MODELS) >= SHIPPED
    for model_id in SHIPPED:
        loaded = MODELS[model_id]
        assert loaded.path.parent == DEFINITIONS_DIR
        assert loaded.scorecard.reference
        items = [i for d in loaded.scorecard.dimensions for i in d.indicators]
        assert all(i.reference for i in [*items, *loaded.scorecard.bonus])
        assert all(v.reference for v in loaded.scorecard.veto)


def test_personal_model_needs_consent_and_has_the_five_bands():
    card = MODELS["personal_credit"].scorecard
    assert card.consent_required
    assert card.subject_kinds == ["person"]
    bands = {g.grade: (g.min, g.max) for g in card.grades}
    assert bands == {
        "信用待提高": (0, 550),
        "一般": (550, 600),
        "良好": (600, 700),
        "优秀": (700, 750),
        "信用极好": (750, 1000),
    }
    assert [card.grade_for(s).grade for s in (549, 550, 599, 600, 699, 700, 749, 750, 1000)] == [
        "信用待提高",
        "一般",
        "一般",
        "良好",
        "良好",
        "优秀",
        "优秀",
        "信用极好",
        "信用极好",
    ]


def test_every_shipped_model_has_at_least_four_cases():
    by_model: dict[str, ScorecardCases] = {c.model: c for c in CASE_FILES.values()}
    for model_id in SHIPPED:
        assert model_id in by_model, f"{model_id} 没有案例文件"
        assert len(by_model[model_id].cases) >= 4
    assert {c.model for c in CASE_FILES.values()} <= set(MODELS)


@pytest.fixture(scope="module")
def duck() -> Iterator[Engine]:
    """One DuckDB for every case (emptied before each copy), so each model compiles once."""
    with duckdb_engine() as engine:
        yield engine


@pytest.mark.parametrize(("model_id", "case"), ALL_CASES)
def test_case_passes_online_and_in_batch(session, model_id: str, case: Case):
    result = run_case(session, CATALOG, MODELS[model_id].scorecard, case)
    assert result.passed, result.describe()
    assert bool(result.outputs) == case.expect.scored


@pytest.mark.parametrize("stem", sorted(CASE_FILES))
def test_cases_pass_in_batch_on_duckdb(session, duck, stem: str):
    """All cases of a file at once (their subjects differ): one copy, one DuckDB batch."""
    cases = CASE_FILES[stem]
    card = MODELS[cases.model].scorecard
    results = run_cases_on_duckdb(session, CATALOG, card, cases.cases, duck=duck)
    assert [r.case for r in results] == [c.name for c in cases.cases]
    failed = [r.describe() for r in results if not r.passed]
    assert not failed, "\n".join(failed)
    assert [bool(r.outputs) for r in results] == [c.expect.scored for c in cases.cases]


def test_a_wrong_expectation_is_reported_in_chinese(session):
    case = CASE_FILES["small_project_supervision"].cases[0]
    wrong = case.model_copy(
        update={
            "expect": case.expect.model_copy(
                update={"total": 99, "grade": "A"},
            )
        }
    )
    result = run_case(session, CATALOG, MODELS["small_project_supervision"].scorecard, wrong)
    assert not result.passed
    assert "联机：总分为 100.00，应为 99.00" in result.mismatches
    assert "批量：等级为 B，应为 A" in result.mismatches


def test_a_case_file_runs_in_savepoints_that_are_rolled_back(session):
    before = session.scalar(select(func.count()).select_from(Subject))
    results = run_case_file(
        session,
        CATALOG,
        MODELS,
        CASES_DIR / "small_project_supervision.yaml",
    )
    assert len(results) == 2 * len(CASE_FILES["small_project_supervision"].cases)
    assert all(r.passed for r in results), "\n".join(r.describe() for r in results)
    assert session.scalar(select(func.count()).select_from(Subject)) == before


def test_a_person_without_recorded_consent_gets_no_personal_score(session):
    card = MODELS["personal_credit"].scorecard
    case = Case.model_validate(
        {
            "name": "未授权却期望得分",
            "as_of": date(2026, 11, 30),
            "subject": {"kind": "person", "id_number": "330106198805091234", "name": "赵六"},
            "expect": {"total": 650},
        }
    )
    result = run_case(session, CATALOG, card, case)
    assert not result.outputs
    assert result.mismatches == (
        "联机：应得到案例主体的 1 行结果，实际 0 行（主体类型不适用本模型，或模型要求本人授权而主体未授权）",
        "批量：应得到案例主体的 1 行结果，实际 0 行（主体类型不适用本模型，或模型要求本人授权而主体未授权）",
    )


def test_a_case_the_platform_refuses_fails_instead_of_crashing(session, tmp_path):
    source = (CASES_DIR / "small_project_supervision.yaml").read_text(encoding="utf-8")
    first = CASE_FILES["small_project_supervision"].cases[0].subject.uscc
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        source.replace(first, first[:17] + ("0" if first[17] != "0" else "1"), 1), encoding="utf-8"
    )
    results = run_case_file(session, CATALOG, MODELS, broken, duckdb=False)
    failed = [r for r in results if not r.passed]
    assert failed
    assert any(
        "案例无法运行" in m and "uscc.check_digit" in m for r in failed for m in r.mismatches
    )
