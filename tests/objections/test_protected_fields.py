"""更正 through an objection carries every protected field (each ID-number field of a record
type, which the platform keeps only masked) without unmasking it: an untouched field keeps its
stored masked value, a new full number is validated and masked as usual, and a department's
push of a masked value is still refused. Checked for every catalog type with such a field."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories.accounts import make_department
from objections.world import NOW, USCC
from xinyong.accounts.models import Role
from xinyong.accounts.principal import Principal
from xinyong.catalog.loader import default_catalog
from xinyong.catalog.schemas import FieldType, RecordType
from xinyong.catalog.validation import Carried, RowValidator
from xinyong.config import Settings
from xinyong.ingest.service import Actor, ingest_rows
from xinyong.objections.decision import decide
from xinyong.objections.errors import CorrectionRejected
from xinyong.objections.schemas import ObjectionCreate, ObjectionDecision
from xinyong.objections.service import file_objection
from xinyong.objections.setup import ObjectionSetup
from xinyong.records.models import Record, RecordStatus
from xinyong.sync.outbox import SyncOutbox
from xinyong.sync.platforms import load_platforms

CATALOG = default_catalog()
SECRET = b"test-secret"
AUTHORITY_USCC = "11230500001755309F"
PERSON_ID = "11010519491231002X"
LEGAL_REP_ID = "330106199001011237"
NEW_LEGAL_REP_ID = "110105194912310029"
SUBJECT_ONLY = frozenset({"subject_category", "uscc", "id_type", "id_number", "legal_rep"})
NOT_CORRECTED = SUBJECT_ONLY | {"subject_name", "legal_rep_id_type", "source_unit"}


def _protected(rt: RecordType) -> list[str]:
    return [f.name for f in rt.fields if f.type is FieldType.ID_NUMBER]


PROTECTED_TYPES = [rt for rt in CATALOG.types.values() if _protected(rt)]
# Types that can be about a person (not keyed on an organisation's code) and hold their ID.
PERSON_TYPES = [
    rt for rt in PROTECTED_TYPES if "id_number" in _protected(rt) and "uscc" not in rt.key_fields
]


def _value(rt: RecordType, name: str) -> str | None:
    """A valid cell for a field, from its catalog type alone."""
    f = next(f for f in rt.fields if f.name == name)
    if f.type is FieldType.ENUM:
        return next(iter(f.values or {}))
    if name == rt.publicity.end_field:
        return None  # still in force
    return {
        FieldType.DATE: "2026-04-10",
        FieldType.AMOUNT_WAN: "1",
        FieldType.INTEGER: "1",
        FieldType.USCC: AUTHORITY_USCC,
    }.get(f.type, f"{f.label}{rt.code}")


def row_for(rt: RecordType, *, person: bool) -> dict[str, str]:
    """A valid row of ``rt`` about the test enterprise (with its legal representative's ID
    number) or about a person (with the person's own ID number)."""
    subject = (
        {"subject_category": "自然人", "id_type": "身份证", "id_number": PERSON_ID}
        if person
        else {
            "subject_category": "法人及非法人组织",
            "uscc": USCC,
            "legal_rep": "张三",
            "legal_rep_id_number": LEGAL_REP_ID,
        }
    )
    row = {
        f.name: value
        for f in rt.fields
        if f.name not in SUBJECT_ONLY | {"legal_rep_id_number"}
        and (value := _value(rt, f.name)) is not None
    }
    return {**row, **subject}


def correctable(rt: RecordType) -> str:
    """A field a reviewer may correct: free text that neither identifies nor protects."""
    keys = set(rt.key_fields) | set(rt.fallback_key_fields) | set(_protected(rt))
    return next(
        f.name
        for f in sorted(rt.fields, key=lambda f: f.type is not FieldType.TEXT)
        if f.type in (FieldType.STRING, FieldType.TEXT)
        and f.name not in keys | NOT_CORRECTED
        and f.name != rt.status_field
    )


@pytest.fixture
def setup(settings: Settings) -> ObjectionSetup:
    return ObjectionSetup(
        catalog=CATALOG, secret=SECRET, scorecards={}, outbox=SyncOutbox(load_platforms(settings))
    )


def _push(session: Session, rt: RecordType, rows: list[dict[str, str]], source: str) -> dict:
    return ingest_rows(
        session,
        CATALOG,
        record_type=rt.code,
        source=source,
        rows=rows,
        actor=Actor("test", "system"),
        secret=SECRET,
        strict_org_code=False,
        now=NOW,
    )


def _source(session: Session, rt: RecordType) -> str:
    return make_department(
        session, sector=rt.sources[0] if rt.sources else "market_regulation", now=NOW
    ).code


def _record(session: Session, rt: RecordType, *, person: bool) -> Record:
    report = _push(session, rt, [row_for(rt, person=person)], _source(session, rt))
    assert report["accepted"] == 1, report["rejects"]
    return session.scalars(select(Record).where(Record.record_type == rt.code)).one()


def _subject(record: Record) -> Principal:
    return Principal(
        kind="user",
        id=7001,
        role=Role.ENTERPRISE,
        department_code=None,
        subject_id=record.subject_id,
        name="信息主体",
    )


ADMIN = Principal(
    kind="user", id=7002, role=Role.ADMIN, department_code=None, subject_id=None, name="信用办"
)


def _correct(
    session: Session, setup: ObjectionSetup, record: Record, values: dict[str, str], *, now=NOW
):
    filed = file_objection(
        session,
        setup,
        principal=_subject(record),
        data=ObjectionCreate(record_id=record.id, reason="内容有误"),
        now=now,
    )
    return decide(
        session,
        setup,
        principal=ADMIN,
        objection_id=filed.id,
        data=ObjectionDecision(outcome="corrected", reason="核实有误", corrected=values),
        now=now,
    )


@pytest.mark.parametrize("rt", PROTECTED_TYPES, ids=lambda rt: rt.code)
def test_correction_carries_the_legal_representatives_masked_id_untouched(session, setup, rt):
    record = _record(session, rt, person=False)
    stored = dict(record.fields)
    assert "*" in stored["legal_rep_id_number"]
    field = correctable(rt)
    decided = _correct(session, setup, record, {field: "经核实更正后的内容"})
    session.refresh(record)
    assert decided.status == "corrected"
    assert record.version == 2
    assert record.fields[field] == "经核实更正后的内容"
    for name in _protected(rt):
        assert record.fields.get(name) == stored.get(name), name


@pytest.mark.parametrize("rt", PERSON_TYPES, ids=lambda rt: rt.code)
def test_correction_carries_a_persons_own_masked_id_and_keeps_the_subject(session, setup, rt):
    record = _record(session, rt, person=True)
    stored_id, subject_id = record.fields["id_number"], record.subject_id
    assert "*" in stored_id
    field = correctable(rt)
    _correct(session, setup, record, {field: "经核实更正后的内容"})
    session.refresh(record)
    assert record.version == 2
    assert (record.fields["id_number"], record.subject_id) == (stored_id, subject_id)
    assert record.fields[field] == "经核实更正后的内容"


PENALTY = CATALOG.types["administrative_penalty"]


def test_a_new_full_number_from_the_reviewer_is_validated_and_masked(session, setup):
    record = _record(session, PENALTY, person=False)
    _correct(session, setup, record, {"legal_rep_id_number": NEW_LEGAL_REP_ID})
    session.refresh(record)
    assert record.fields["legal_rep_id_number"] == "110105********0029"
    assert NEW_LEGAL_REP_ID not in str(record.fields)


def test_a_malformed_new_number_from_the_reviewer_is_refused_on_its_field(session, setup):
    record = _record(session, PENALTY, person=False)
    with pytest.raises(CorrectionRejected) as refused:
        _correct(session, setup, record, {"CF_FR_ZJHM": "3301"})
    assert [e.field for e in refused.value.errors] == ["corrected.legal_rep_id_number"]


def test_another_masked_value_is_not_carried(session, setup):
    record = _record(session, PENALTY, person=False)
    with pytest.raises(CorrectionRejected) as refused:
        _correct(session, setup, record, {"legal_rep_id_number": "330106********9999"})
    assert refused.value.errors[0].field == "corrected.legal_rep_id_number"
    assert refused.value.errors[0].code == "id_number.format"


def test_a_departments_push_of_the_masked_value_is_still_refused(session):
    source = _source(session, PENALTY)
    first = _push(session, PENALTY, [row_for(PENALTY, person=False)], source)
    assert first["accepted"] == 1
    record = session.scalars(select(Record).where(Record.record_type == PENALTY.code)).one()
    again = row_for(PENALTY, person=False) | {
        "legal_rep_id_number": record.fields["legal_rep_id_number"],
        "penalty_content": "改写后的内容",
    }
    report = _push(session, PENALTY, [again], source)
    assert report["updated"] == 0
    assert [(r["field"], r["code"]) for r in report["rejects"]] == [
        ("legal_rep_id_number", "id_number.format")
    ]


class TestCarriedValues:
    """The validator accepts a carried value for exactly its field and value, nothing else."""

    validator = RowValidator(
        PENALTY,
        carried=Carried(
            masked={"legal_rep_id_number": "330106********1237"}, person_hash="stored-hash"
        ),
    )

    def test_the_stored_masked_value_is_kept_as_it_is(self):
        result = self.validator.validate(
            row_for(PENALTY, person=False) | {"legal_rep_id_number": "330106********1237"}
        )
        assert result.errors == []
        assert result.values["legal_rep_id_number"] == "330106********1237"

    def test_the_same_masked_value_in_another_protected_field_is_refused(self):
        row = row_for(PENALTY, person=True) | {"id_number": "330106********1237"}
        result = self.validator.validate(row)
        assert [e.field for e in result.errors] == ["id_number"]
        assert result.person_hash is None

    def test_without_carried_values_a_masked_cell_is_refused(self):
        row = row_for(PENALTY, person=False) | {"legal_rep_id_number": "330106********1237"}
        result = RowValidator(PENALTY).validate(row)
        assert [(e.field, e.code) for e in result.errors] == [
            ("legal_rep_id_number", "id_number.format")
        ]


def test_carried_values_belong_to_one_row_only(session):
    rows = [row_for(PENALTY, person=False)] * 2
    with pytest.raises(ValueError):
        ingest_rows(
            session,
            CATALOG,
            record_type=PENALTY.code,
            source=_source(session, PENALTY),
            rows=rows,
            actor=Actor("test", "system"),
            secret=SECRET,
            strict_org_code=False,
            now=NOW,
            carried=Carried(),
        )


def test_a_persons_record_is_withdrawn_without_the_full_id_number(session, setup):
    record = _record(session, PENALTY, person=True)
    filed = file_objection(
        session,
        setup,
        principal=_subject(record),
        data=ObjectionCreate(record_id=record.id, reason="处罚已被撤销"),
        now=NOW,
    )
    decided = decide(
        session,
        setup,
        principal=ADMIN,
        objection_id=filed.id,
        data=ObjectionDecision(outcome="withdrawn", reason="处罚决定已撤销"),
        now=NOW,
    )
    session.refresh(record)
    assert decided.status == "withdrawn"
    assert record.status is RecordStatus.REVOKED
    assert "*" in record.fields["id_number"]
