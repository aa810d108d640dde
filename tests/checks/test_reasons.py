"""What a check says in words: each list the subject is on is named once, with the number of its
entries where there are several, in the order of the list catalog."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from factories.accounts import make_department
from factories.records import NOW, USCC, penalty_row, push
from xinyong.catalog.loader import default_catalog
from xinyong.checks.decide import decide
from xinyong.checks.facts import gather
from xinyong.checks.measures import Area, load_measures
from xinyong.lists.definitions import load_definitions
from xinyong.lists.models import ManualListEntry
from xinyong.scoring.shipped import load_all
from xinyong.subjects.models import Subject

CATALOG = default_catalog()
TODAY = date(2026, 6, 1)


def _entry(subject_id: int, list_id: str, starts_on: date, basis: str) -> ManualListEntry:
    return ManualListEntry(
        subject_id=subject_id,
        list_id=list_id,
        starts_on=starts_on,
        ends_on=None,
        basis=basis,
        reference="《浙江省公共信用信息管理条例》第二十三条",
        created_by="user:1",
        created_at=NOW,
    )


def test_reasons_name_each_list_once_with_its_count_in_catalog_order(session):
    push(session, make_department(session).code, [penalty_row(CF_JDRQ="2026-04-10")])
    subject_id = session.scalars(select(Subject.id).where(Subject.uscc == USCC)).one()
    # Entered out of catalog order: abnormal, key supervision, abnormal, key supervision, abnormal.
    session.add_all(
        [
            _entry(subject_id, "abnormal", date(2026, 1, 5), "未按时公示年度报告"),
            _entry(subject_id, "key_supervision", date(2026, 2, 1), "信用核查第 1 号"),
            _entry(subject_id, "abnormal", date(2025, 7, 1), "通过登记的住所无法联系"),
            _entry(subject_id, "key_supervision", date(2025, 3, 1), "信用核查第 2 号"),
            _entry(subject_id, "abnormal", date(2026, 3, 1), "公示信息隐瞒真实情况"),
        ]
    )
    session.flush()
    scorecards, lists = load_all(CATALOG), load_definitions(CATALOG)
    facts = gather(
        session,
        CATALOG,
        scorecards,
        lists,
        subjects={subject_id: "enterprise"},
        as_of=TODAY,
        now=NOW,
    )[subject_id]
    decision = decide(load_measures(scorecards, lists), facts, Area.PUBLIC_RESOURCE_TRADING, TODAY)

    (strict,) = [m for m in decision.measures if m.id == "trading_strict_key_supervision"]
    assert strict.reason == "所在名单：重点监管对象名单（2 条）、经营异常名录（3 条）"
    assert all(r.count("重点监管对象名单") <= 1 for r in decision.reasons)
    assert [m.list_id for m in facts.lists] == ["key_supervision"] * 2 + ["abnormal"] * 3
    assert [m.starts_on for m in facts.lists][:2] == [date(2025, 3, 1), date(2026, 2, 1)]
