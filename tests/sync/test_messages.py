"""The one message every credit platform receives about a changed record: its shape is pinned,
and a natural person is never named in it."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from xinyong.subjects.models import SubjectKind
from xinyong.sync.messages import PERSON, Cause, Change, RecordChangeMessage, RecordRef

SNAPSHOT = Path(__file__).parent / "snapshots" / "record_change_message.schema.json"
PENALTY = RecordRef(
    id=7,
    type="administrative_penalty",
    version=2,
    decision_number="杭西市监罚〔2025〕12号",
    decided_on=date(2025, 3, 1),
    source_department="330106-SCJG",
)


def message(kind: str, code: str, name: str, corrected: dict | None = None) -> RecordChangeMessage:
    return RecordChangeMessage.build(
        change=Change.CORRECTED if corrected else Change.REPAIRED,
        record=PENALTY,
        subject_kind=kind,
        subject_code=code,
        subject_name=name,
        effective_on=date(2026, 3, 2),
        cause=Cause(type="objection", id=3),
        corrected=corrected,
    )


def test_the_message_schema_is_the_committed_one():
    """A change here changes what four platforms parse: update the snapshot deliberately."""
    schema = RecordChangeMessage.model_json_schema()
    assert schema == json.loads(SNAPSHOT.read_text("utf-8"))


def test_a_person_is_sent_masked_name_and_id_number():
    sent = message(PERSON, "33010619900101123X", "高佳娜").payload()
    assert sent["subject"] == {"kind": "person", "code": "330106********123X", "name": "高**"}
    assert "高佳娜" not in json.dumps(sent, ensure_ascii=False)


def test_a_person_already_masked_stays_masked_once():
    sent = message(PERSON, "330106********123X", "高**").payload()
    assert sent["subject"] == {"kind": "person", "code": "330106********123X", "name": "高**"}


def test_a_persons_corrected_values_do_not_name_them_either():
    corrected = {"facts": "高佳娜（33010619900101123X）无照经营", "amount": 5000}
    sent = message(PERSON, "33010619900101123X", "高佳娜", corrected).payload()
    text = json.dumps(sent, ensure_ascii=False)
    assert "高佳娜" not in text and "19900101123X" not in text
    assert sent["corrected"]["amount"] == 5000


def test_an_enterprise_is_sent_by_its_public_name_and_code():
    sent = message("enterprise", "91330106MA2KXXXX1X", "杭州示范科技有限公司").payload()
    assert sent["subject"]["name"] == "杭州示范科技有限公司"
    assert sent["subject"]["code"] == "91330106MA2KXXXX1X"


def test_the_person_kind_is_the_subjects_own():
    assert SubjectKind.PERSON.value == PERSON
