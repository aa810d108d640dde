"""The API path: row objects keyed by any column alias, one transaction per call."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from factories.ingest import (
    SECRET,
    make_uscc,
    penalty_row,
    person_penalty_row,
    titled,
    wrong_check_uscc,
)
from xinyong.accounts.service import create_department
from xinyong.catalog.loader import default_catalog
from xinyong.ingest.errors import SourceNotAllowed, TooManyRows, UnknownRecordType, UnknownSource
from xinyong.ingest.models import Batch, BatchStatus, QuarantinedRow
from xinyong.ingest.service import MAX_API_ROWS, Actor, ingest_rows
from xinyong.kit.identifiers import hash_resident_id
from xinyong.records.models import Record, RecordStatus, RecordVersion
from xinyong.subjects.models import Subject

NOW = datetime(2025, 6, 30, 2, 0, tzinfo=UTC)
SYSTEM = Actor("api:test", "system")
CATALOG = default_catalog()


def department(session, code: str = "330100-API", sector: str | None = "market_regulation"):
    return create_department(session, code=code, name="杭州市接口测试局", sector=sector, now=NOW)


def submit(session, rows, *, source="330100-API", record_type="administrative_penalty"):
    return ingest_rows(
        session,
        CATALOG,
        record_type=record_type,
        source=source,
        rows=rows,
        actor=SYSTEM,
        secret=SECRET,
        strict_org_code=False,
        now=NOW,
    )


def keys_of(session, department_id: int) -> set[str]:
    return set(
        session.scalars(
            select(Record.source_key).where(Record.source_department_id == department_id)
        )
    )


class TestIngestRows:
    def test_rows_keyed_by_chinese_titles(self, session):
        dept = department(session)
        good = [titled(penalty_row()), titled(penalty_row())]
        bad = titled(penalty_row(CF_XDR_SHXYM=wrong_check_uscc(501)))
        report = submit(session, [good[0], bad, good[1]])
        assert report["rejects"] == [
            {
                "row": 2,
                "field": "uscc",
                "code": "uscc.check_digit",
                "message": f"统一社会信用代码校验位错误（第18位应为{make_uscc(501)[17]}）",
            }
        ]
        assert (report["accepted"], report["rejected"]) == (2, 1)
        assert keys_of(session, dept.id) == {r["信息ID"] for r in good}
        batch = session.get_one(Batch, report["batch_id"])
        assert (batch.channel, batch.status, batch.rows_done) == ("api", BatchStatus.COMPLETED, 3)

    def test_rows_keyed_by_codes_and_mixed_spellings(self, session):
        dept = department(session)
        row = penalty_row()
        mixed: dict[str, Any] = {k.lower(): v for k, v in row.items()}
        mixed["罚款金额(万元)"] = mixed.pop("cf_nr_fk")
        report = submit(session, [mixed])
        assert (report["accepted"], report["rejects"]) == (1, [])
        record = session.scalars(select(Record).where(Record.source_department_id == dept.id)).one()
        assert record.fields["fine_amount"] == "5"

    def test_typed_json_values(self, session):
        department(session)
        row: dict[str, Any] = titled(penalty_row())
        row["罚款金额（万元）"] = 0.5
        row["处罚决定日期"] = date(2024, 6, 1)
        row["备注"] = None
        report = submit(session, [row])
        assert (report["accepted"], report["rejects"]) == (1, [])

    def test_unknown_keys_reported(self, session):
        department(session)
        report = submit(session, [{**titled(penalty_row()), "经办人": "赵六", "x": 1}])
        assert report["unknown_columns"] == ["x", "经办人"]
        assert report["accepted"] == 1

    def test_legacy_category_keys_combine(self, session):
        department(session)
        row: dict[str, Any] = titled(penalty_row())
        del row["处罚类别"]
        row.update({"处罚类别1": "罚款", "处罚类别2": "吊销许可证件"})
        report = submit(session, [row])
        assert report["accepted"] == 1
        record = session.scalars(select(Record).where(Record.batch_id == report["batch_id"])).one()
        assert record.fields["penalty_categories"] == ["罚款", "吊销许可证件"]
        assert record.severity == "严重"

    def test_missing_required_value(self, session):
        dept = department(session)
        good = titled(penalty_row())
        bad = {k: v for k, v in titled(penalty_row()).items() if k != "违法事实"}
        report = submit(session, [bad, good])
        assert report["rejects"] == [
            {
                "row": 1,
                "field": "violation_facts",
                "code": "field.required",
                "message": "违法事实不能为空",
            }
        ]
        assert keys_of(session, dept.id) == {good["信息ID"]}

    def test_natural_person_is_stored_hashed(self, session):
        department(session)
        report = submit(session, [titled(person_penalty_row())])
        assert report["accepted"] == 1
        record = session.scalars(select(Record).where(Record.batch_id == report["batch_id"])).one()
        subject = session.get_one(Subject, record.subject_id)
        assert subject.id_hash == hash_resident_id(person_penalty_row()["CF_XDR_ZJHM"], SECRET)
        assert subject.id_masked == "360426********0071"
        assert subject.uscc is None

    def test_legacy_id_is_never_echoed(self, session):
        department(session)
        legacy = "330106880512346"
        report = submit(session, [titled(person_penalty_row(id_number=legacy))])
        assert [(r["field"], r["code"]) for r in report["rejects"]] == [
            ("id_number", "resident_id.legacy_15")
        ]
        assert legacy not in json.dumps(report, ensure_ascii=False)
        raw = session.scalars(
            select(QuarantinedRow.raw).where(QuarantinedRow.batch_id == report["batch_id"])
        ).one()
        assert legacy not in json.dumps(raw, ensure_ascii=False)

    def test_duplicate_in_one_call(self, session):
        department(session)
        row = titled(penalty_row())
        report = submit(session, [row, row])
        assert report["rejects"] == [
            {
                "row": 2,
                "field": "record_id",
                "code": "row.duplicate",
                "message": "与第1行重复（同一数据来源、信息类型和记录标识）",
            }
        ]

    def test_resubmission_unchanged_then_corrected_then_revoked(self, session):
        department(session)
        row = titled(penalty_row())
        assert submit(session, [row])["accepted"] == 1
        again = submit(session, [row])
        assert (again["unchanged"], again["accepted"]) == (1, 0)
        corrected = submit(session, [{**row, "违法事实": "更正后的违法事实"}])
        assert corrected["updated"] == 1
        revoked = submit(session, [{**row, "当前状态": "撤销"}])
        assert revoked["revoked"] == 1
        record = session.scalars(select(Record).where(Record.source_key == row["信息ID"])).one()
        assert (record.version, record.status) == (3, RecordStatus.REVOKED)
        versions = session.scalars(
            select(RecordVersion.version).where(RecordVersion.record_id == record.id)
        ).all()
        assert sorted(versions) == [1, 2]

    def test_revoke_unknown(self, session):
        department(session)
        report = submit(session, [titled(penalty_row(CF_ZT="撤销"))])
        assert [(r["field"], r["code"]) for r in report["rejects"]] == [
            ("status", "record.revoke_unknown")
        ]

    def test_unknown_record_type(self, session):
        department(session)
        with pytest.raises(UnknownRecordType) as exc:
            submit(session, [titled(penalty_row())], record_type="nope")
        assert exc.value.errors[0].field == "type"

    def test_unknown_source(self, session):
        with pytest.raises(UnknownSource) as exc:
            submit(session, [titled(penalty_row())], source="330100-NOPE")
        assert (exc.value.code, exc.value.errors[0].field) == ("ingest.unknown_source", "source")

    def test_too_many_rows(self, session):
        department(session)
        with pytest.raises(TooManyRows) as exc:
            submit(session, [{}] * (MAX_API_ROWS + 1))
        assert exc.value.code == "ingest.too_many_rows"
        assert exc.value.title == f"单次提交最多{MAX_API_ROWS}条记录，请分批提交或上传文件"
        assert session.scalars(select(Batch)).all() == []

    def test_source_not_allowed_for_type(self, session):
        department(session, sector="environment")  # 经营异常名录 comes from 市场监管 only
        with pytest.raises(SourceNotAllowed) as exc:
            submit(session, [], record_type="abnormal_operation")
        assert (exc.value.code, exc.value.status) == ("ingest.source_not_allowed", 403)
        assert exc.value.errors[0].field == "source"
        assert exc.value.title.startswith("数据来源单位 330100-API 无权报送")

    def test_multi_valued_field_as_json_list(self, session):
        department(session)
        row: dict[str, Any] = titled(penalty_row())
        row["处罚类别"] = ["罚款", "吊销许可证件"]
        report = submit(session, [row])
        assert (report["accepted"], report["rejects"]) == (1, [])

    def test_non_ascii_passport_number_is_a_row_error_not_a_crash(self, session):
        department(session)
        report = submit(
            session, [titled(person_penalty_row(id_number="护照E12345678", CF_XDR_ZJLX="护照"))]
        )
        assert report["accepted"] + report["rejected"] == 1
