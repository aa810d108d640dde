"""The credit file: one assembly, three views; publicity windows decide what the public sees."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import pytest
from sqlalchemy import select

from factories.accounts import make_department
from factories.records import NOW as NOW_DT
from factories.records import PERSON_ID, SECRET, penalty_row, person_penalty_row, push
from xinyong.access.scopes import load_scopes
from xinyong.accounts.models import Role
from xinyong.accounts.principal import ANONYMOUS, Principal
from xinyong.audit.models import AuditEntry
from xinyong.catalog.loader import default_catalog
from xinyong.credit_file import assembly, service
from xinyong.kit.clock import SHANGHAI
from xinyong.lists.definitions import load_definitions
from xinyong.records.describe import PublicityState, View
from xinyong.records.models import Record
from xinyong.subjects.errors import (
    InvalidSubjectCode,
    PersonNameRequired,
    PersonNotFound,
    SubjectNotFound,
)
from xinyong.subjects.models import Subject

USCC = "91330106MA2000086A"
LISTS = load_definitions(default_catalog())
SCOPES = load_scopes(default_catalog())


def _read(session, principal, as_of, code=USCC, **kwargs):
    """The file read on the day ``as_of`` (the public sees today only)."""
    return service.read_file(
        session,
        default_catalog(),
        LISTS,
        code=code,
        principal=principal,
        scope_definitions=SCOPES,
        secret=SECRET,
        as_of=as_of,
        now=datetime.combine(as_of, time(10), tzinfo=SHANGHAI),
        **kwargs,
    )


def _titles(section):
    return {r.title for r in section}


@pytest.fixture
def source(session):
    return make_department(session, sector="other").code


def test_penalty_public_only_inside_its_publicity_window(session, source):
    # Order 36, general penalty decided 2026-04-10: public 2026-04-10 … 2027-04-10.
    push(session, source, [penalty_row(CF_WSH="罚〔2026〕窗口")])
    before = _read(session, ANONYMOUS, date(2026, 4, 9))
    during = _read(session, ANONYMOUS, date(2027, 4, 10))
    after = _read(session, ANONYMOUS, date(2027, 4, 11))
    assert _titles(before.bad) == set()
    assert _titles(during.bad) == {"罚〔2026〕窗口"}
    assert _titles(after.bad) == set()


def test_minor_penalty_never_public_but_seen_by_subject_with_state(session, source):
    push(
        session,
        source,
        [penalty_row(CF_WSH="罚〔2026〕简易", 处罚程序="简易程序", CF_CFLB="警告", CF_NR_FK="")],
    )
    public = _read(session, ANONYMOUS, date(2026, 5, 1))
    owner = Principal("user", 1, Role.ENTERPRISE, None, _subject_id(session), "企业")
    own = _read(session, owner, date(2026, 5, 1))
    assert public.bad == []
    assert own.view is View.SELF
    (record,) = own.bad
    assert record.publicity_state is PublicityState.NOT_PUBLICISED


def test_self_view_shows_expired_records_and_earliest_repair_date(session, source):
    push(session, source, [penalty_row(CF_WSH="罚〔2026〕自查")])
    owner = Principal("user", 1, Role.ENTERPRISE, None, _subject_id(session), "企业")
    (record,) = _read(session, owner, date(2027, 6, 1)).bad
    assert record.publicity_state is PublicityState.EXPIRED
    assert record.repair_possible_from == date(2026, 7, 11)
    assert record.publicity_ends_on == date(2027, 4, 10)


def test_another_enterprise_gets_the_public_view(session, source):
    push(session, source, [penalty_row()])
    other = Principal("user", 2, Role.ENTERPRISE, None, 999_999, "别的企业")
    assert _read(session, other, date(2026, 5, 1)).view is View.PUBLIC


def test_internal_view_is_audited_and_public_view_is_not(session, source):
    push(session, source, [penalty_row()])
    count = session.query(AuditEntry).count()
    _read(session, ANONYMOUS, date(2026, 5, 1))
    assert session.query(AuditEntry).count() == count
    officer = Principal("user", 3, Role.DEPARTMENT, source, None, "部门")
    internal = _read(session, officer, date(2026, 5, 1))
    assert internal.view is View.INTERNAL
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "file.read_internal"


def test_revoked_record_is_gone_from_every_view(session, source):
    row = penalty_row(CF_WSH="罚〔2026〕撤")
    push(session, source, [row])
    report = push(session, source, [{**row, "CF_ZT": "撤销"}])
    assert report["revoked"] == 1
    officer = Principal("user", 3, Role.ADMIN, None, None, "管理员")
    for principal in (ANONYMOUS, officer):
        assert _read(session, principal, date(2026, 5, 1)).bad == []


def test_disputed_record_is_flagged_publicly(session, source):
    push(session, source, [penalty_row(CF_WSH="罚〔2026〕异议")])
    session.execute(Record.__table__.update().values(disputed=True))
    (record,) = _read(session, ANONYMOUS, date(2026, 5, 1)).bad
    assert record.dispute_label == "异议处理中"


def test_person_file_masks_name_and_id_for_public(session, source):
    push(session, source, [person_penalty_row()])
    public = _read(session, ANONYMOUS, date(2026, 5, 1), code=PERSON_ID, name="王小明")
    assert public.subject.name == "王**"
    dumped = public.model_dump_json()
    assert PERSON_ID not in dumped
    assert "360426********0071" in dumped


def test_persons_name_is_masked_wherever_it_occurs_in_a_public_record(session, source):
    push(
        session,
        source,
        [
            person_penalty_row(
                CF_WSH="杭市监罚〔2026〕王小明案",
                CF_SY="王小明未取得营业执照从事经营活动（王小明无照经营案）",
                CF_NR="对王小明罚款人民币伍万元",
            )
        ],
    )
    public = _read(session, ANONYMOUS, date(2026, 5, 1), code=PERSON_ID, name="王小明")
    dumped = public.model_dump_json()
    assert "王小明" not in dumped
    assert "王**无照经营案" in dumped
    officer = Principal("user", 3, Role.ADMIN, None, None, "管理员")
    assert (
        "王小明无照经营案"
        in _read(session, officer, date(2026, 5, 1), code=PERSON_ID).model_dump_json()
    )


def test_legal_representative_is_not_named_in_the_public_view(session, source):
    push(session, source, [penalty_row(CF_SY="法定代表人张三明知未年报仍继续经营", CF_FRDB="张三")])
    public = _read(session, ANONYMOUS, date(2026, 5, 1))
    dumped = public.model_dump_json()
    assert "张三" not in dumped
    assert "法定代表人张*明知" in dumped


def test_person_file_needs_the_persons_name_from_anyone_outside_government(session, source):
    push(session, source, [person_penalty_row()])
    enterprise = Principal("user", 2, Role.ENTERPRISE, None, 999_999, "某企业")
    for principal in (ANONYMOUS, enterprise):
        with pytest.raises(PersonNameRequired):
            _read(session, principal, date(2026, 5, 1), code=PERSON_ID)
    officer = Principal("user", 3, Role.DEPARTMENT, source, None, "部门")
    assert _read(session, officer, date(2026, 5, 1), code=PERSON_ID).view is View.INTERNAL


def test_wrong_name_and_unknown_number_get_the_same_answer_and_both_are_audited(session, source):
    push(session, source, [person_penalty_row()])
    unknown_person = "11010519491231002X"
    answers = []
    for code, name in ((PERSON_ID, "王大明"), (unknown_person, "王小明")):
        with pytest.raises(PersonNotFound) as miss:
            _read(session, ANONYMOUS, date(2026, 5, 1), code=code, name=name)
        assert miss.value.keep_changes
        answers.append(miss.value.problem())
    assert answers[0] == answers[1]
    _read(session, ANONYMOUS, date(2026, 5, 1), code=PERSON_ID, name=" 王小明 ")
    lookups = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "subject.person_lookup")
        .order_by(AuditEntry.id)
    ).all()
    assert [e.detail["found"] for e in lookups] == [False, False, True]
    assert [e.detail["code"] for e in lookups] == [
        "360426********0071",
        "110105********002X",
        "360426********0071",
    ]


def test_invalid_code_is_422_unknown_code_is_404(session):
    with pytest.raises(InvalidSubjectCode) as bad:
        _read(session, ANONYMOUS, date(2026, 5, 1), code="91330106MA2000086B")
    assert bad.value.code == "uscc.check_digit"
    with pytest.raises(SubjectNotFound):
        _read(session, ANONYMOUS, date(2026, 5, 1), code="91330106MA20003340")


def _subject_id(session):
    return session.scalar(select(Subject.id).where(Subject.uscc == USCC))


def test_internal_search_listing_persons_is_audited(session, source):
    push(session, source, [person_penalty_row()])
    officer = Principal("user", 3, Role.DEPARTMENT, source, None, "部门")
    page = service.search_subjects(session, q="王", page=1, size=20, principal=officer, now=NOW_DT)
    assert [s.name for s in page.items] == ["王**"]
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "subject.search_internal"
    public = service.search_subjects(
        session, q="王", page=1, size=20, principal=ANONYMOUS, now=NOW_DT
    )
    assert public.items == []


def test_registered_capital_is_shown_without_trailing_zeros():
    assert assembly._plain_decimal(Decimal("100.0000")) == "100"
    assert assembly._plain_decimal(Decimal("12.5000")) == "12.5"
    assert assembly._plain_decimal(Decimal("1E+3")) == "1000"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("91330106000000111T", "uscc.check_digit"),  # an all-digit USCC, wrong check character
        ("91330106000000111S", "uscc.format"),  # S is not in the USCC alphabet, nor an ID
        ("360426199101010072", "resident_id.check_digit"),  # a real birth date, wrong check
        ("360426910101007", "resident_id.legacy_15"),
    ],
)
def test_a_mistyped_code_is_named_for_what_it_is_closest_to(session, code, expected):
    with pytest.raises(InvalidSubjectCode) as bad:
        _read(session, ANONYMOUS, date(2026, 5, 1), code=code)
    assert bad.value.code == expected
