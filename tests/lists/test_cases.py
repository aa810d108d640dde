"""The list rules' golden cases: records in → the lists a subject is on out, read for one
subject and over every subject, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func, select
from typer.testing import CliRunner

from xinyong.catalog.loader import default_catalog
from xinyong.cli import app
from xinyong.lists.cases import load_cases, run_list_cases
from xinyong.lists.definitions import load_definitions
from xinyong.subjects.models import Subject

CATALOG = default_catalog()
DEFINITIONS = load_definitions(CATALOG)
CASES = load_cases()


def test_every_shipped_list_case_passes_both_ways(session):
    assert len(CASES.cases) >= 4
    results = run_list_cases(session, DEFINITIONS, CATALOG, CASES)
    failed = [r.describe() for r in results if not r.passed]
    assert not failed, "\n".join(failed)
    assert all(set(r.outputs) == {"单个主体", "全部主体"} for r in results)


def test_list_cases_leave_nothing_behind(session):
    before = session.scalar(select(func.count()).select_from(Subject))
    run_list_cases(session, DEFINITIONS, CATALOG, CASES)
    assert session.scalar(select(func.count()).select_from(Subject)) == before


def test_a_wrong_list_expectation_is_reported_in_chinese(session):
    case = CASES.cases[1]
    wrong = case.model_copy(update={"expect": {"lists": ["red"]}})
    [result] = run_list_cases(
        session, DEFINITIONS, CATALOG, CASES.model_copy(update={"cases": [wrong]})
    )
    assert "单个主体：所在名单为 black，应为 red" in result.mismatches


def test_the_shipped_list_cases_pass_from_the_command_line():
    result = CliRunner().invoke(app, ["lists", "test"])
    assert result.exit_code == 0, result.output
    assert f"{len(CASES.cases)} passed, 0 failed" in result.output
