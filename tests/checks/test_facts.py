"""The facts a check reads agree with the credit file: counted records are exactly the bad
records the public sees in publicity on that day."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from factories.accounts import make_department
from factories.records import NOW, USCC, penalty_row, push
from xinyong.catalog.loader import default_catalog
from xinyong.checks.facts import gather
from xinyong.lists.definitions import load_definitions
from xinyong.records.describe import PublicityState, publicity_state
from xinyong.records.models import Record
from xinyong.scoring.shipped import load_all
from xinyong.subjects.models import Subject

CATALOG = default_catalog()


def test_counts_match_the_publicity_window_day_by_day(session):
    source = make_department(session).code
    push(
        session,
        source,
        [
            penalty_row(CF_JDRQ="2023-03-01", CF_YXQ="2024-03-01"),  # order 58, fine
            penalty_row(CF_JDRQ="2025-06-15", CF_CFLB="吊销营业执照"),  # serious
            penalty_row(CF_JDRQ="2026-04-10", CF_CFLB="警告", 处罚程序="简易程序"),  # not shown
            penalty_row(CF_JDRQ="2026-04-10"),
        ],
    )
    subject_id = session.scalars(select(Subject.id).where(Subject.uscc == USCC)).one()
    records = session.scalars(select(Record).where(Record.subject_id == subject_id)).all()
    scorecards, lists = load_all(CATALOG), load_definitions(CATALOG)
    day = date(2023, 1, 1)
    while day < date(2029, 12, 31):
        facts = gather(
            session,
            CATALOG,
            scorecards,
            lists,
            subjects={subject_id: "enterprise"},
            as_of=day,
            now=NOW,
        )[subject_id]
        shown = [
            r
            for r in records
            if r.decided_on <= day
            and publicity_state(r, day) is PublicityState.IN_PUBLICITY
            and r.polarity == "失信"
        ]
        assert facts.bad_records == len(shown), day
        assert facts.serious_bad_records == sum(r.severity == "严重" for r in shown), day
        day += timedelta(days=37)
