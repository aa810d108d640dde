"""The public facts engine: named facts over a subject's records as of a date, the same select
for one subject, some subjects and all of them; the records behind a fact are exactly those it
counts; a subject without records reads 0 for counts and unknown otherwise."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from factories.accounts import make_department
from factories.records import penalty_row, push
from xinyong.catalog.loader import default_catalog
from xinyong.rules.facts import Fact, Measure, Scope, fact_records, facts_select
from xinyong.subjects.models import Subject

AS_OF = date(2026, 11, 22)
CATALOG = default_catalog()
OTHER = "91330106MA20003340"
FACTS = {
    "recent_fines": Fact(
        measure=Measure.COUNT,
        record_types=["administrative_penalty"],
        where="fine_amount >= 1",
        window_months=36,
    ),
    "fines_total": Fact(
        measure=Measure.SUM, record_types=["administrative_penalty"], field="fine_amount"
    ),
    "days_since_penalty": Fact(measure=Measure.DAYS_SINCE, record_types=["administrative_penalty"]),
}


@pytest.fixture
def penalised(session):
    source = make_department(session, sector="market_regulation").code
    push(
        session,
        source,
        [
            penalty_row(CF_WSH="罚〔1〕", CF_NR_FK="5", CF_JDRQ="2025-03-01"),
            penalty_row(CF_WSH="罚〔2〕", CF_NR_FK="0.5", CF_JDRQ="2026-01-05"),
            penalty_row(CF_WSH="罚〔3〕", CF_NR_FK="3", CF_JDRQ="2019-06-01", CF_YXQ="2022-06-01"),
            penalty_row(
                CF_WSH="罚〔4〕", CF_XDR_SHXYM=OTHER, CF_XDR_MC="杭州无罚公司", CF_JDRQ="2030-01-01"
            ),
        ],
    )
    return session


def _rows(session, scope, **bound):
    compiled = facts_select(FACTS, CATALOG, dialect=session.bind.dialect.name, scope=scope)
    rows = session.execute(compiled.select, compiled.params(AS_OF, **bound))
    return {r.subject_id: dict(r._mapping) for r in rows}


def test_a_fact_counts_what_it_says_as_of_the_date(penalised):
    sid = penalised.scalar(select(Subject.id).where(Subject.uscc != OTHER))
    row = _rows(penalised, Scope.ALL)[sid]
    assert row["recent_fines"] == 1  # 罚〔1〕: 罚〔2〕 is under 1 万, 罚〔3〕 outside 36 months
    assert float(row["fines_total"]) == pytest.approx(8.5)
    assert int(row["days_since_penalty"]) == (AS_OF - date(2026, 1, 5)).days


def test_one_some_and_all_subjects_read_the_same_values(penalised):
    every = _rows(penalised, Scope.ALL)
    for sid, row in every.items():
        assert _rows(penalised, Scope.ONE, subject_id=sid) == {sid: row}
    assert _rows(penalised, Scope.SOME, subject_ids=list(every)) == every


def test_a_subject_whose_records_are_all_after_the_date_has_no_row(penalised):
    other = penalised.scalar(select(Subject.id).where(Subject.uscc == OTHER))
    assert other not in _rows(penalised, Scope.ALL)


def test_the_records_behind_a_fact_are_the_ones_it_counts(penalised):
    sid = penalised.scalar(select(Subject.id).where(Subject.uscc != OTHER))
    behind = fact_records(FACTS["recent_fines"], CATALOG)
    records = penalised.scalars(behind.select, behind.params(AS_OF, sid)).all()
    assert [r.decided_on for r in records] == [date(2025, 3, 1)]
