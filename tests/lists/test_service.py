"""List entries derived from records at query time: expiry, revocation, black over red."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from factories.accounts import make_department
from factories.records import NOW, SECRET, penalty_row, push
from lists.rows import USCC, black_row, red_row
from xinyong.accounts.models import Role
from xinyong.accounts.principal import ANONYMOUS, Principal
from xinyong.audit.models import AuditEntry
from xinyong.catalog.loader import default_catalog
from xinyong.kit.clock import local_date
from xinyong.kit.dates import add_months
from xinyong.lists import service
from xinyong.lists.definitions import load_definitions
from xinyong.lists.entries import earliest_start
from xinyong.lists.errors import InvalidPeriod, ListAdminOnly, ListNotPublic
from xinyong.lists.models import ListConflict
from xinyong.lists.schemas import ManualEntryCreate
from xinyong.records.errors import AsOfNotToday
from xinyong.records.models import Record
from xinyong.subjects.models import Subject

CATALOG = default_catalog()
DEFINITIONS = load_definitions(CATALOG)
ADMIN = Principal("user", 1, Role.ADMIN, None, None, "管理员")
ENTERPRISE = Principal("user", 2, Role.ENTERPRISE, None, None, "企业")


@pytest.fixture
def source(session):
    return make_department(session).code


def _subject_id(session, uscc=USCC):
    return session.scalars(select(Subject.id).where(Subject.uscc == uscc)).one()


def _lists(session, as_of, uscc=USCC):
    found = service.memberships(
        session, DEFINITIONS, CATALOG, subject_id=_subject_id(session, uscc), as_of=as_of, now=NOW
    )
    return {(m.list_id, m.suppressed_by) for m in found}


def _page(session, list_id, as_of, size=20):
    return service.list_page(
        session,
        DEFINITIONS,
        CATALOG,
        list_id=list_id,
        principal=ADMIN,
        as_of=as_of,
        page=1,
        size=size,
        now=NOW,
    )


def _conflicts(session):
    return session.scalar(select(func.count()).select_from(ListConflict))


class TestFromRecords:
    def test_serious_dishonesty_record_lists_subject_black_until_valid_to_then_not(
        self, session, source
    ):
        push(session, source, [black_row()], record_type="serious_dishonesty_list")
        assert _lists(session, date(2026, 1, 9)) == set()
        assert _lists(session, date(2026, 1, 10)) == {("black", None)}
        (black,) = service.memberships(
            session,
            DEFINITIONS,
            CATALOG,
            subject_id=_subject_id(session),
            as_of=date(2027, 1, 9),
            now=NOW,
        )
        assert (black.starts_on, black.ends_on) == (date(2026, 1, 10), date(2027, 1, 9))
        assert black.rule_id == "black_serious_dishonesty_list"
        assert black.source_record_id is not None
        assert "第二十五条" in (black.reference or "")
        # No job ran: the day after its end the entry is simply not there.
        assert _lists(session, date(2027, 1, 10)) == set()
        assert _page(session, "black", date(2027, 1, 9)).total == 1
        assert _page(session, "black", date(2027, 1, 10)).total == 0

    def test_serious_dishonesty_without_end_date_lasts_36_months(self, session, source):
        push(session, source, [black_row(有效期至="")], record_type="serious_dishonesty_list")
        (black,) = service.memberships(
            session,
            DEFINITIONS,
            CATALOG,
            subject_id=_subject_id(session),
            as_of=date(2027, 1, 1),
            now=NOW,
        )
        assert black.ends_on == date(2029, 1, 10)
        assert _lists(session, date(2029, 1, 10)) == {("black", None)}
        assert _lists(session, date(2029, 1, 11)) == set()

    def test_revoking_the_source_record_removes_the_entry(self, session, source):
        row = black_row()
        push(session, source, [row], record_type="serious_dishonesty_list")
        assert _lists(session, date(2026, 6, 1)) == {("black", None)}
        report = push(
            session, source, [{**row, "当前状态": "撤销"}], record_type="serious_dishonesty_list"
        )
        assert report["revoked"] == 1
        assert _lists(session, date(2026, 6, 1)) == set()
        assert _page(session, "black", date(2026, 6, 1)).total == 0

    def test_good_faith_incentive_lists_subject_red(self, session, source):
        push(session, source, [red_row()], record_type="good_faith_incentive")
        assert _lists(session, date(2026, 3, 1)) == {("red", None)}
        page = _page(session, "red", date(2026, 3, 1))
        assert [i.code for i in page.items] == [USCC]
        assert page.items[0].entries[0].ends_on == date(2028, 1, 31)

    def test_serious_penalty_revoking_licence_lists_black_for_its_publicity(self, session, source):
        push(
            session,
            source,
            [
                penalty_row(CF_WSH="罚〔吊销〕", CF_CFLB="吊销营业执照", CF_NR_FK=""),
                penalty_row(CF_WSH="罚〔一般〕"),
            ],
        )
        record = session.scalars(select(Record).where(Record.severity == "严重")).one()
        found = service.memberships(
            session,
            DEFINITIONS,
            CATALOG,
            subject_id=record.subject_id,
            as_of=date(2026, 5, 1),
            now=NOW,
        )
        assert [(m.rule_id, m.source_record_id) for m in found] == [
            ("black_serious_penalty", record.id)
        ]
        assert found[0].ends_on == record.publicity_ends_on
        assert found[0].starts_on == record.publicity_starts_on


class TestBlackWins:
    def test_red_is_suppressed_and_one_conflict_is_opened(self, session, source):
        push(session, source, [red_row()], record_type="good_faith_incentive")
        push(session, source, [black_row()], record_type="serious_dishonesty_list")
        as_of = date(2026, 3, 1)
        assert _lists(session, as_of) == {("red", "black"), ("black", None)}
        assert _conflicts(session) == 1
        assert _lists(session, as_of) == {("red", "black"), ("black", None)}
        assert _conflicts(session) == 1, "a second read opens no second conflict"
        assert _page(session, "red", as_of).total == 0
        assert [i.code for i in _page(session, "black", as_of).items] == [USCC]

    def test_admin_sees_conflicts_of_every_subject_without_reading_their_files(
        self, session, source
    ):
        push(session, source, [red_row()], record_type="good_faith_incentive")
        push(session, source, [black_row()], record_type="serious_dishonesty_list")
        now = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
        found = service.open_conflicts(
            session, DEFINITIONS, CATALOG, as_of=date(2026, 3, 1), now=now
        )
        assert [s.uscc for _, s in found] == [USCC]
        conflict, _ = found[0]
        service.resolve_conflict(
            session, principal=ADMIN, conflict_id=conflict.id, note="黑名单优先，已核实", now=now
        )
        again = service.open_conflicts(
            session, DEFINITIONS, CATALOG, as_of=date(2026, 3, 2), now=now
        )
        assert again == [], "a resolved conflict is not raised again for the same entries"
        # A new black entry starting after the resolution raises it again.
        push(
            session,
            source,
            [black_row(列入日期="2026-03-05")],
            record_type="serious_dishonesty_list",
        )
        later = service.open_conflicts(
            session, DEFINITIONS, CATALOG, as_of=date(2026, 3, 6), now=now
        )
        assert [s.uscc for _, s in later] == [USCC]


class TestManualEntries:
    def test_admin_lists_a_subject_by_hand_and_revokes_it(self, session, source):
        push(session, source, [red_row()], record_type="good_faith_incentive")
        data = ManualEntryCreate(
            subject_code=USCC,
            starts_on=date(2026, 3, 1),
            ends_on=date(2026, 12, 31),
            basis="多次违反安全生产规定，经联席会议决定列入",
            reference="《上海市社会信用条例》第三十条",
        )
        entry, _ = service.add_manual_entry(
            session,
            DEFINITIONS,
            principal=ADMIN,
            list_id="key_supervision",
            data=data,
            secret=SECRET,
            now=NOW,
        )
        assert _lists(session, date(2026, 12, 31)) == {("red", None), ("key_supervision", None)}
        assert _lists(session, date(2027, 1, 1)) == {("red", None)}
        public = service.memberships(
            session,
            DEFINITIONS,
            CATALOG,
            subject_id=_subject_id(session),
            as_of=date(2026, 6, 1),
            now=NOW,
            public_only=True,
        )
        assert [m.list_id for m in public] == ["red"]
        service.revoke_manual_entry(
            session, principal=ADMIN, list_id="key_supervision", entry_id=entry.id, now=NOW
        )
        assert _lists(session, date(2026, 6, 1)) == {("red", None)}
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions[-2:] == ["lists.entry_add", "lists.entry_revoke"]

    def test_only_admins_and_a_sound_period(self, session, source):
        push(session, source, [red_row()], record_type="good_faith_incentive")
        data = ManualEntryCreate(
            subject_code=USCC, starts_on=date(2026, 3, 1), basis="依据", ends_on=None
        )
        kwargs = dict(list_id="black", secret=SECRET, now=NOW)
        with pytest.raises(ListAdminOnly):
            service.add_manual_entry(
                session, DEFINITIONS, principal=ENTERPRISE, data=data, **kwargs
            )
        backwards = data.model_copy(update={"ends_on": date(2026, 2, 1)})
        with pytest.raises(InvalidPeriod) as exc:
            service.add_manual_entry(
                session, DEFINITIONS, principal=ADMIN, data=backwards, **kwargs
            )
        assert exc.value.errors[0].field == "ends_on"


def test_earliest_start_is_the_exact_inverse_of_add_months():
    # For every start: add_months(start, m) >= as_of  ⇔  start >= earliest_start(as_of, m).
    for months in (1, 3, 12, 36):
        as_of = date(2027, 1, 25)
        for _ in range(80):
            bound = earliest_start(as_of, months)
            for start in (bound - timedelta(days=k) for k in range(-3, 4)):
                assert (add_months(start, months) >= as_of) == (start >= bound), (as_of, start)
            as_of += timedelta(days=1)


class TestWhoReadsWhichList:
    def test_public_list_is_of_today_only_for_outsiders(self, session):
        with pytest.raises(AsOfNotToday):
            service.list_page(
                session,
                DEFINITIONS,
                CATALOG,
                list_id="black",
                principal=ANONYMOUS,
                as_of=date(2023, 6, 1),
                page=1,
                size=20,
                now=NOW,
            )
        assert _page(session, "black", date(2023, 6, 1)).list_id == "black"

    def test_key_supervision_list_read_is_audited(self, session):
        _page(session, "key_supervision", NOW.date())
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (entry.action, entry.object_id) == ("lists.read_non_public", "key_supervision")

    def test_key_supervision_list_is_refused_to_a_bank(self, session):
        bank = Principal("user", 4, Role.BANK, "BANK-1", None, "银行")
        with pytest.raises(ListNotPublic):
            service.list_page(
                session,
                DEFINITIONS,
                CATALOG,
                list_id="key_supervision",
                principal=bank,
                as_of=local_date(NOW),
                page=1,
                size=20,
                now=NOW,
            )


def test_a_manual_entrys_basis_names_no_person_outside_government(session):
    push(session, make_department(session).code, [penalty_row(CF_FRDB="李四明")])
    service.add_manual_entry(
        session,
        DEFINITIONS,
        principal=ADMIN,
        list_id="black",
        data=ManualEntryCreate(
            subject_code="91330106MA2000086A",
            starts_on=date(2025, 6, 1),
            basis="法定代表人李四明拒不履行法院判决",
            reference="《浙江省公共信用信息管理条例》第十二条",
        ),
        secret=SECRET,
        now=NOW,
    )
    kwargs = {"list_id": "black", "as_of": local_date(NOW), "page": 1, "size": 20, "now": NOW}
    public = service.list_page(session, DEFINITIONS, CATALOG, principal=ANONYMOUS, **kwargs)
    bases = [e.basis for item in public.items for e in item.entries if e.manual]
    assert bases == ["法定代表人李**拒不履行法院判决"]
    internal = service.list_page(session, DEFINITIONS, CATALOG, principal=ADMIN, **kwargs)
    assert [e.basis for i in internal.items for e in i.entries if e.manual] == [
        "法定代表人李四明拒不履行法院判决"
    ]
