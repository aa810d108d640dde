"""Importing files: every bad input is reported with a stable code, a Chinese message and the
field, and the good rows of the same file still land."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.engine import Engine

from factories.ingest import (
    SECRET,
    licence_row,
    make_resident_id,
    make_uscc,
    penalty_row,
    person_penalty_row,
    run_file,
    titled,
    with_stale_dimension,
    write_csv,
    write_table_csv,
    write_xlsx,
    wrong_check_uscc,
)
from factories.records import (
    batches_of,
    department_id,
    make_source,
    quarantined,
    record_by_key,
    records_of,
    subject_of,
    version_count,
    versions_of,
)
from xinyong.catalog.loader import default_catalog
from xinyong.db import Base, unit_of_work
from xinyong.ingest.errors import MissingColumns, UnknownRecordType, UnknownSource
from xinyong.ingest.models import BatchStatus
from xinyong.ingest.readers import SNIFF_BYTES, UnreadableFile
from xinyong.ingest.service import quality_report
from xinyong.kit.identifiers import hash_resident_id
from xinyong.records.models import RecordStatus
from xinyong.subjects.models import SubjectKind


def keys(rows: list[dict[str, str]]) -> set[str]:
    return {r["CF_ID"] if "CF_ID" in r else r["信息ID"] for r in rows}


def stored_keys(engine: Engine, source: str) -> set[str]:
    return {r.source_key for r in records_of(engine, source)}


def only_reject(report: dict[str, Any]) -> dict[str, Any]:
    [reject] = report["rejects"]
    return reject


def dump_database(engine: Engine) -> str:
    """Every row of every table as text, to prove a value is stored nowhere."""
    parts = []
    with unit_of_work(engine) as session:
        for table in Base.metadata.sorted_tables:
            parts.extend(str(tuple(row)) for row in session.execute(select(table)))
    return "\n".join(parts)


class TestSubjectCodes:
    def test_wrong_uscc_check_character_is_rejected(self, file_engine, tmp_path):
        source = make_source(file_engine)
        good = [penalty_row(), penalty_row()]
        bad = penalty_row(CF_XDR_SHXYM=wrong_check_uscc(901))
        report = run_file(
            file_engine, write_csv(tmp_path / "p.csv", [good[0], bad, good[1]]), source
        )
        assert only_reject(report) == {
            "row": 3,
            "field": "uscc",
            "code": "uscc.check_digit",
            "message": f"统一社会信用代码校验位错误（第18位应为{make_uscc(901)[17]}）",
        }
        assert (report["accepted"], report["rejected"]) == (2, 1)
        assert stored_keys(file_engine, source) == keys(good)

    def test_lowercase_and_spaced_uscc_is_stored_upper_case_without_spaces(
        self, file_engine, tmp_path
    ):
        source = make_source(file_engine)
        code = make_uscc(902)
        messy = f"  {code[:6].lower()} {code[6:12]}-{code[12:].lower()}\u3000"
        row = penalty_row(CF_XDR_SHXYM=messy)
        report = run_file(file_engine, write_csv(tmp_path / "p.csv", [row]), source)
        assert (report["accepted"], report["rejects"]) == (1, [])
        [record] = records_of(file_engine, source)
        assert record.fields["uscc"] == code
        assert subject_of(file_engine, record).uscc == code

    def test_legacy_15_digit_id_is_rejected_and_never_stored(self, file_engine, tmp_path):
        source = make_source(file_engine)
        legacy = "330106880512345"  # unique to this test
        good = penalty_row()
        bad = person_penalty_row(id_number=legacy, CF_SY=f"当事人（身份证号{legacy}）无证经营")
        report = run_file(file_engine, write_csv(tmp_path / "p.csv", [good, bad]), source)
        assert only_reject(report) == {
            "row": 3,
            "field": "id_number",
            "code": "resident_id.legacy_15",
            "message": "证件号码：不再接受15位旧身份证号码，请提供18位居民身份证号码",
        }
        assert stored_keys(file_engine, source) == keys([good])
        assert legacy not in json.dumps(report, ensure_ascii=False)
        [row] = quarantined(file_engine, report["batch_id"])
        assert row.row_number == 3
        assert row.raw["id_number"] == "330106*****2345"
        assert legacy not in json.dumps(row.raw, ensure_ascii=False)
        assert legacy not in json.dumps(row.errors, ensure_ascii=False)
        assert legacy not in dump_database(file_engine)

    def test_natural_person_subject_keeps_only_hash_and_masked_id(self, file_engine, tmp_path):
        source = make_source(file_engine)
        number = make_resident_id(903)
        row = person_penalty_row(id_number=number[:6] + " " + number[6:].lower())
        report = run_file(file_engine, write_csv(tmp_path / "p.csv", [row]), source)
        assert (report["accepted"], report["rejects"]) == (1, [])
        [record] = records_of(file_engine, source)
        subject = subject_of(file_engine, record)
        assert subject.kind is SubjectKind.PERSON
        assert subject.uscc is None
        assert subject.id_hash == hash_resident_id(number, SECRET)
        assert subject.id_masked == number[:6] + "********" + number[-4:]
        assert record.fields["id_number"] == subject.id_masked
        assert number not in dump_database(file_engine)

    def test_same_person_from_two_rows_is_one_subject(self, file_engine, tmp_path):
        source = make_source(file_engine)
        number = make_resident_id(904)
        rows = [person_penalty_row(id_number=number), person_penalty_row(id_number=number)]
        run_file(file_engine, write_csv(tmp_path / "p.csv", rows), source)
        records = records_of(file_engine, source)
        assert len(records) == 2
        assert records[0].subject_id == records[1].subject_id

    def test_non_ascii_foreign_document_number_does_not_abort_the_import(
        self, file_engine, tmp_path
    ):
        source = make_source(file_engine)
        good = penalty_row()
        odd = person_penalty_row(id_number="Ｅ１２３４５６７８", CF_XDR_ZJLX="护照")
        report = run_file(file_engine, write_csv(tmp_path / "p.csv", [good, odd]), source)
        assert keys([good]) <= stored_keys(file_engine, source)
        assert report["accepted"] + report["rejected"] == 2


class TestEncodingsAndLayouts:
    def test_gb18030_file_with_chinese_headers(self, file_engine, tmp_path):
        source = make_source(file_engine)
        good = [titled(penalty_row(CF_XDR_MC="杭州𠮷野家餐饮有限公司")), titled(penalty_row())]
        bad = titled(penalty_row(CF_JDRQ="2024-02-30"))
        path = write_csv(tmp_path / "p.csv", [good[0], bad, good[1]], encoding="gb18030")
        with pytest.raises(UnicodeDecodeError):
            path.read_bytes().decode("utf-8")
        report = run_file(file_engine, path, source)
        assert only_reject(report) == {
            "row": 3,
            "field": "decision_date",
            "code": "date.invalid",
            "message": "处罚决定日期：日期不存在：2024-02-30",
        }
        assert stored_keys(file_engine, source) == keys(good)
        names = {r.fields["subject_name"] for r in records_of(file_engine, source)}
        assert "杭州𠮷野家餐饮有限公司" in names

    def test_utf8_file_with_bom(self, file_engine, tmp_path):
        source = make_source(file_engine)
        good = [penalty_row(), penalty_row()]
        bad = penalty_row(CF_NR_FK="-3")
        path = write_csv(tmp_path / "p.csv", [*good, bad], encoding="utf-8-sig")
        assert path.read_bytes().startswith(b"\xef\xbb\xbfCF_ID")
        report = run_file(file_engine, path, source)
        assert report["unknown_columns"] == []  # the BOM did not spoil the first title
        assert only_reject(report) == {
            "row": 4,
            "field": "fine_amount",
            "code": "value.negative",
            "message": "罚款金额（万元）不能为负数",
        }
        assert stored_keys(file_engine, source) == keys(good)

    def test_xlsx_with_title_row_merged_across_all_columns(self, file_engine, tmp_path):
        source = make_source(file_engine)
        good = [titled(penalty_row()), titled(penalty_row())]
        bad = titled(penalty_row(CF_YJ=""))
        header = list(good[0])
        last = get_column_letter(len(header))
        lines = [
            ["杭州市市场监督管理局行政处罚信息公示表（2024年）"],
            header,
            *[list(r.values()) for r in (good[0], bad, good[1])],
        ]
        path = write_xlsx(tmp_path / "p.xlsx", lines, merges=[f"A1:{last}1"])
        report = run_file(file_engine, path, source)
        assert only_reject(report) == {
            "row": 4,  # the row number Excel shows
            "field": "legal_basis",
            "code": "field.required",
            "message": "处罚依据不能为空",
        }
        assert stored_keys(file_engine, source) == keys(good)

    def test_xlsx_with_two_row_header_merged_vertically(self, file_engine, tmp_path):
        source = make_source(file_engine)
        good = [titled(penalty_row()), titled(penalty_row())]
        bad = titled(penalty_row(CF_XDR_SHXYM=wrong_check_uscc(905)))
        header = list(good[0])
        n = len(header)
        # Columns 2–4 sit under a group title; every other title spans both header rows.
        group = [*header[:1], "行政相对人信息", None, None, *header[4:]]
        sub = [None, *header[1:4], *[None] * (n - 4)]
        vertical = [f"{c}2:{c}3" for c in (get_column_letter(i + 1) for i in [0, *range(4, n)])]
        lines = [
            ["行政处罚信息"],
            group,
            sub,
            *[list(r.values()) for r in (good[0], bad, good[1])],
        ]
        merges = [f"A1:{get_column_letter(n)}1", "B2:D2", *vertical]
        path = write_xlsx(tmp_path / "p.xlsx", lines, merges=merges)
        report = run_file(file_engine, path, source)
        assert report["unknown_columns"] == []
        assert only_reject(report) == {
            "row": 5,
            "field": "uscc",
            "code": "uscc.check_digit",
            "message": f"统一社会信用代码校验位错误（第18位应为{make_uscc(905)[17]}）",
        }
        assert stored_keys(file_engine, source) == keys(good)

    def test_xlsx_typed_cells_dates_and_numbers(self, file_engine, tmp_path):
        source = make_source(file_engine)
        row = titled(penalty_row())
        header = list(row)
        cells: list[Any] = list(row.values())
        cells[header.index("处罚决定日期")] = date(2024, 6, 1)
        cells[header.index("罚款金额（万元）")] = 5.0
        path = write_xlsx(tmp_path / "p.xlsx", [header, cells])
        report = run_file(file_engine, path, source)
        assert (report["accepted"], report["rejects"]) == (1, [])
        [record] = records_of(file_engine, source)
        assert record.decided_on == date(2024, 6, 1)
        assert record.fields["fine_amount"] == "5"

    @pytest.mark.parametrize("columns", ["B", "all"])
    def test_xlsx_with_a_stale_dimension_imports_every_row(self, file_engine, tmp_path, columns):
        source = make_source(file_engine)
        rows = [titled(penalty_row()) for _ in range(10)]
        lines = [list(rows[0]), *[list(r.values()) for r in rows]]
        last = "B" if columns == "B" else get_column_letter(len(lines[0]))
        path = with_stale_dimension(write_xlsx(tmp_path / "p.xlsx", lines), f"A1:{last}3")
        report = run_file(file_engine, path, source)
        assert (report["accepted"], report["rejected"]) == (10, 0)
        assert stored_keys(file_engine, source) == keys(rows)
        [batch] = batches_of(file_engine, source)
        assert (batch.status, batch.rows_done) == (BatchStatus.COMPLETED, 10)

    def test_stored_file_name_has_no_control_characters(self, file_engine, tmp_path):
        source = make_source(file_engine)
        path = write_csv(tmp_path / "处罚\x1b[31m数据\r\n（2024）.csv", [penalty_row()])
        run_file(file_engine, path, source)
        [batch] = batches_of(file_engine, source)
        assert batch.filename == "处罚[31m数据（2024）.csv"

    def test_blank_lines_are_skipped(self, file_engine, tmp_path):
        source = make_source(file_engine)
        rows = [penalty_row(), penalty_row()]
        header = list(rows[0])
        lines = [header, list(rows[0].values()), [""] * len(header), [], list(rows[1].values())]
        report = run_file(file_engine, write_table_csv(tmp_path / "p.csv", lines), source)
        assert (report["accepted"], report["rejected"]) == (2, 0)


class TestFileLevelErrors:
    @pytest.mark.parametrize(
        ("name", "content"),
        [("empty.csv", b""), ("blank.csv", b" \r\n\r\n"), ("bom-only.csv", b"\xef\xbb\xbf")],
    )
    def test_empty_csv(self, file_engine, tmp_path, name, content):
        source = make_source(file_engine)
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(UnreadableFile) as exc:
            run_file(file_engine, path, source)
        assert (exc.value.code, exc.value.status) == ("ingest.empty_file", 422)
        assert exc.value.title == "文件为空，没有表头和数据行"
        assert [(e.field, e.code) for e in exc.value.errors] == [("file", "ingest.empty_file")]
        assert batches_of(file_engine, source) == []

    def test_empty_xlsx(self, file_engine, tmp_path):
        source = make_source(file_engine)
        path = write_xlsx(tmp_path / "empty.xlsx", [])
        with pytest.raises(UnreadableFile) as exc:
            run_file(file_engine, path, source)
        assert exc.value.code == "ingest.empty_file"
        assert batches_of(file_engine, source) == []

    def test_unknown_columns_are_ignored_and_reported(self, file_engine, tmp_path):
        source = make_source(file_engine)
        rows = [{**penalty_row(), "经办人": "赵六", "内部流水号": "N-1"} for _ in range(2)]
        report = run_file(file_engine, write_csv(tmp_path / "p.csv", rows), source)
        assert report["unknown_columns"] == ["经办人", "内部流水号"]
        assert (report["accepted"], report["rejects"]) == (2, [])
        assert all("经办人" not in r.fields for r in records_of(file_engine, source))
        [batch] = batches_of(file_engine, source)
        assert batch.unknown_columns == ["经办人", "内部流水号"]

    def test_missing_required_column_stores_nothing(self, file_engine, tmp_path):
        source = make_source(file_engine)
        rows = [penalty_row(), penalty_row()]
        for r in rows:
            del r["CF_YJ"]
        with pytest.raises(MissingColumns) as exc:
            run_file(file_engine, write_csv(tmp_path / "p.csv", rows), source)
        assert (exc.value.code, exc.value.status) == ("ingest.missing_columns", 422)
        assert exc.value.title == "文件缺少必填列：处罚依据，整个文件未导入"
        assert [e.as_dict() for e in exc.value.errors] == [
            {
                "field": "处罚依据",
                "code": "ingest.missing_column",
                "message": "缺少必填列：处罚依据",
            }
        ]
        assert batches_of(file_engine, source) == []
        assert records_of(file_engine, source) == []

    def test_unknown_record_type(self, file_engine, tmp_path):
        source = make_source(file_engine)
        path = write_csv(tmp_path / "p.csv", [penalty_row()])
        with pytest.raises(UnknownRecordType) as exc:
            run_file(file_engine, path, source, record_type="penalty")
        assert (exc.value.code, exc.value.status) == ("ingest.unknown_type", 422)
        assert exc.value.title == "未知的信息类型：penalty（可用 `xinyong catalog list` 查看）"
        assert [(e.field, e.code) for e in exc.value.errors] == [("type", "ingest.unknown_type")]
        assert batches_of(file_engine, source) == []

    def test_unknown_source(self, file_engine, tmp_path):
        path = write_csv(tmp_path / "p.csv", [penalty_row()])
        with pytest.raises(UnknownSource) as exc:
            run_file(file_engine, path, "330100-NOPE")
        assert (exc.value.code, exc.value.status) == ("ingest.unknown_source", 422)
        assert exc.value.title == "未知的数据来源单位：330100-NOPE"
        assert [(e.field, e.code) for e in exc.value.errors] == [
            ("source", "ingest.unknown_source")
        ]

    def test_encoding_error_after_first_megabyte_stores_nothing_or_only_that_row(
        self, file_engine, tmp_path
    ):
        source = make_source(file_engine)
        facts = "当事人销售的食品经抽检不合格。" * 300  # ~13 KB per row
        rows = [penalty_row(CF_SY=facts) for _ in range(100)]
        path = write_csv(tmp_path / "p.csv", rows)
        assert path.stat().st_size > SNIFF_BYTES
        late = penalty_row(CF_XDR_MC="国标编码的公司")
        with path.open("ab") as fh:  # a GB18030 row appended to a UTF-8 export
            fh.write(",".join(late.values()).encode("gb18030") + b"\r\n")
        try:
            report = run_file(file_engine, path, source, chunk_rows=20)
        except UnreadableFile as exc:
            assert exc.code == "ingest.encoding"
            assert records_of(file_engine, source) == []
        else:
            assert report["accepted"] == 100
            assert [r["row"] for r in report["rejects"]] == [102]

    def test_unsupported_format(self, file_engine, tmp_path):
        source = make_source(file_engine)
        path = tmp_path / "p.docx"
        path.write_bytes(b"PK\x03\x04")
        with pytest.raises(UnreadableFile) as exc:
            run_file(file_engine, path, source)
        assert exc.value.code == "ingest.unsupported_format"
        assert batches_of(file_engine, source) == []


class TestRowErrors:
    @pytest.mark.parametrize(
        ("column", "value", "field", "code", "message"),
        [
            ("CF_WSH", "", "decision_number", "field.required", "行政处罚决定书文号不能为空"),
            ("CF_SJLY", " ", "source_unit", "field.required", "数据来源单位不能为空"),
            ("CF_JDRQ", "2024-02-30", "decision_date", "date.invalid", "处罚决定日期：日期不存在：2024-02-30"),
            ("CF_NR_FK", "-0.5", "fine_amount", "value.negative", "罚款金额（万元）不能为负数"),
            ("CF_CFCX", "特别程序", "procedure", "value.not_in_list", "处罚程序的取值不在规定范围内（简易程序、普通程序）"),
        ],
        ids=["required", "required-blank", "date", "negative", "enum"],
    )  # fmt: skip
    def test_bad_cell_rejects_its_row_only(
        self, file_engine, tmp_path, column, value, field, code, message
    ):
        source = make_source(file_engine)
        good = [penalty_row(), penalty_row(), penalty_row()]
        bad = penalty_row(**{column: value})
        rows = [good[0], good[1], bad, good[2]]
        report = run_file(file_engine, write_csv(tmp_path / "p.csv", rows), source)
        assert only_reject(report) == {"row": 4, "field": field, "code": code, "message": message}
        assert (report["accepted"], report["rejected"]) == (3, 1)
        assert stored_keys(file_engine, source) == keys(good)
        [row] = quarantined(file_engine, report["batch_id"])
        assert row.raw["record_id"] == bad["CF_ID"]
        assert [e["code"] for e in row.errors] == [code]

    def test_good_rows_of_every_chunk_land(self, file_engine, tmp_path):
        source = make_source(file_engine)
        rows = [
            penalty_row(CF_JDRQ="2024-02-30") if i % 3 == 0 else penalty_row() for i in range(10)
        ]
        report = run_file(file_engine, write_csv(tmp_path / "p.csv", rows), source, chunk_rows=4)
        assert [r["row"] for r in report["rejects"]] == [2, 5, 8, 11]
        assert stored_keys(file_engine, source) == keys(
            [r for r in rows if r["CF_JDRQ"] != "2024-02-30"]
        )
        [batch] = batches_of(file_engine, source)
        assert (batch.status, batch.rows_done) == (BatchStatus.COMPLETED, 10)
        assert batch.stats["reject_codes"] == {"date.invalid": 4}


class TestDuplicatesAndVersions:
    def test_same_row_twice_in_one_file(self, file_engine, tmp_path):
        source = make_source(file_engine)
        row, other = penalty_row(), penalty_row()
        report = run_file(file_engine, write_csv(tmp_path / "p.csv", [row, other, row]), source)
        assert only_reject(report) == {
            "row": 4,
            "field": "record_id",
            "code": "row.duplicate",
            "message": "与第2行重复（同一数据来源、信息类型和记录标识）",
        }
        assert stored_keys(file_engine, source) == keys([row, other])

    def test_same_row_twice_in_different_chunks(self, file_engine, tmp_path):
        source = make_source(file_engine)
        row, other = penalty_row(), penalty_row()
        path = write_csv(tmp_path / "p.csv", [row, other, row])
        report = run_file(file_engine, path, source, chunk_rows=2)
        assert only_reject(report) == {
            "row": 4,
            "field": "record_id",
            "code": "row.duplicate",
            "message": "与本文件中此前的行重复（同一数据来源、信息类型和记录标识）",
        }
        assert stored_keys(file_engine, source) == keys([row, other])

    def test_rows_without_record_id_are_keyed_by_number_and_subject(self, file_engine, tmp_path):
        source = make_source(file_engine)
        row = penalty_row(CF_ID="")
        report = run_file(file_engine, write_csv(tmp_path / "p.csv", [row, dict(row)]), source)
        assert [(r["row"], r["code"]) for r in report["rejects"]] == [(3, "row.duplicate")]
        [record] = records_of(file_engine, source)
        assert record.source_key == f"{row['CF_WSH']}|{row['CF_XDR_SHXYM']}"

    def test_same_file_twice_changes_nothing(self, file_engine, tmp_path):
        source = make_source(file_engine)
        rows = [penalty_row() for _ in range(5)]
        path = write_csv(tmp_path / "p.csv", rows)
        first = run_file(file_engine, path, source, chunk_rows=2)
        before = {
            r.id: (r.version, r.content_hash, r.batch_id) for r in records_of(file_engine, source)
        }
        second = run_file(file_engine, path, source, chunk_rows=2)
        assert first["accepted"] == 5
        assert {
            k: second[k] for k in ("accepted", "updated", "unchanged", "revoked", "rejected")
        } == {
            "accepted": 0,
            "updated": 0,
            "unchanged": 5,
            "revoked": 0,
            "rejected": 0,
        }
        assert second["batch_id"] != first["batch_id"]
        after = {
            r.id: (r.version, r.content_hash, r.batch_id) for r in records_of(file_engine, source)
        }
        assert after == before
        assert version_count(file_engine, source) == 0

    def test_corrected_row_is_a_new_version(self, file_engine, tmp_path):
        source = make_source(file_engine)
        row = penalty_row(CF_NR_FK="5", CF_NR="罚款人民币伍万元")
        first = run_file(file_engine, write_csv(tmp_path / "v1.csv", [row]), source)
        corrected = {**row, "CF_NR_FK": "150", "CF_NR": "罚款人民币壹佰伍拾万元"}
        second = run_file(file_engine, write_csv(tmp_path / "v2.csv", [corrected]), source)
        assert (second["updated"], second["accepted"], second["unchanged"]) == (1, 0, 0)
        record = record_by_key(file_engine, source, row["CF_ID"])
        assert record.version == 2
        assert record.status is RecordStatus.ACTIVE
        assert record.fields["fine_amount"] == "150"
        assert record.severity == "严重"  # reclassified with the corrected amount
        assert record.batch_id == second["batch_id"]
        [old] = versions_of(file_engine, record.id)
        assert (old.version, old.status, old.batch_id) == (
            1,
            RecordStatus.ACTIVE,
            first["batch_id"],
        )
        assert old.superseded_by_batch_id == second["batch_id"]
        assert old.fields["fine_amount"] == "5"

    def test_revocation_marks_record_revoked(self, file_engine, tmp_path):
        source = make_source(file_engine)
        row, kept = penalty_row(), penalty_row()
        run_file(file_engine, write_csv(tmp_path / "v1.csv", [row, kept]), source)
        revocation = {**row, "CF_ZT": "撤销"}
        report = run_file(file_engine, write_csv(tmp_path / "v2.csv", [revocation]), source)
        assert (report["revoked"], report["updated"], report["rejects"]) == (1, 0, [])
        record = record_by_key(file_engine, source, row["CF_ID"])
        assert (record.status, record.version) == (RecordStatus.REVOKED, 2)
        [old] = versions_of(file_engine, record.id)
        assert old.status is RecordStatus.ACTIVE
        assert record_by_key(file_engine, source, kept["CF_ID"]).status is RecordStatus.ACTIVE

    def test_revocation_of_unknown_record(self, file_engine, tmp_path):
        source = make_source(file_engine)
        good = penalty_row()
        ghost = penalty_row(CF_ZT="撤销")
        report = run_file(file_engine, write_csv(tmp_path / "p.csv", [ghost, good]), source)
        assert only_reject(report) == {
            "row": 2,
            "field": "status",
            "code": "record.revoke_unknown",
            "message": "要撤销的记录不存在（未找到同一数据来源、信息类型和记录标识的记录）",
        }
        assert stored_keys(file_engine, source) == keys([good])

    def test_records_of_another_source_are_not_touched(self, file_engine, tmp_path):
        first, second = make_source(file_engine), make_source(file_engine)
        row = penalty_row()
        run_file(file_engine, write_csv(tmp_path / "p.csv", [row]), first)
        report = run_file(
            file_engine, write_csv(tmp_path / "r.csv", [{**row, "CF_ZT": "撤销"}]), second
        )
        assert only_reject(report)["code"] == "record.revoke_unknown"
        assert record_by_key(file_engine, first, row["CF_ID"]).status is RecordStatus.ACTIVE


class TestLegacyTemplate:
    def test_legacy_columns_and_status_code(self, file_engine, tmp_path):
        source = make_source(file_engine)
        header = [
            "CF_ID", "CF_CFMC", "CF_XDR_MC", "CF_XDR_LB", "CF_XDR_SHXYM", "CF_FRDB", "CF_WSH",
            "CF_WFXW", "CF_SY", "CF_YJ", "处罚类别1", "处罚类别2", "CF_CFCX", "CF_NR",
            "CF_NR_FK", "CF_JDRQ", "CF_YXQ", "CF_XZJG", "CF_CFJGDM", "CF_SJLY", "CF_SJLYDM",
            "CF_ZT",
        ]  # fmt: skip

        def legacy(row: dict[str, str], status: str) -> list[str]:
            cells = {**row, "CF_CFMC": "销售不合格食品案", "处罚类别1": "1", "处罚类别2": "4"}
            cells.update(CF_XZJG=row["CF_CFJG"], CF_ZT=status)
            return [cells[c] for c in header]

        row, other = penalty_row(CF_NR_FK="5"), penalty_row()
        first = run_file(
            file_engine,
            write_table_csv(tmp_path / "v1.csv", [header, legacy(row, "0"), legacy(other, "")]),
            source,
        )
        assert (first["accepted"], first["rejects"], first["unknown_columns"]) == (2, [], [])
        record = record_by_key(file_engine, source, row["CF_ID"])
        assert record.fields["penalty_categories"] == ["罚款", "暂扣许可证件"]  # legacy code 4
        assert record.fields["case_name"] == "销售不合格食品案"
        assert record.fields["authority"] == row["CF_CFJG"]
        assert record.severity == "一般"  # 罚款 + 暂扣许可证件
        # legacy CF_ZT = "1" means 撤销
        second = run_file(
            file_engine, write_table_csv(tmp_path / "v2.csv", [header, legacy(row, "1")]), source
        )
        assert second["revoked"] == 1
        assert record_by_key(file_engine, source, row["CF_ID"]).status is RecordStatus.REVOKED


class TestStoredJudgements:
    def test_food_department_penalty_stored_with_one_year_minimum(self, file_engine, tmp_path):
        source = make_source(file_engine, sector="food")
        row = penalty_row(CF_JDRQ="2024-06-01", CF_NR_FK="5")
        run_file(file_engine, write_csv(tmp_path / "p.csv", [row]), source)
        [record] = records_of(file_engine, source)
        assert (record.polarity, record.severity, record.regime_id) == (
            "失信",
            "一般",
            "ndrc-order-58-key-sectors",
        )
        assert (record.publicised, record.publicity_starts_on, record.publicity_ends_on) == (
            True,
            date(2024, 6, 1),
            date(2027, 6, 1),
        )
        assert record.repair_possible_from == date(2025, 6, 2)
        assert record.source_department_id == department_id(file_engine, source)

    def test_warning_only_stored_but_not_publicised(self, file_engine, tmp_path):
        source = make_source(file_engine)
        row = penalty_row(CF_JDRQ="2024-06-01", CF_CFLB="警告", CF_NR_FK="")
        run_file(file_engine, write_csv(tmp_path / "p.csv", [row]), source)
        [record] = records_of(file_engine, source)
        assert (record.severity, record.publicised, record.regime_id) == (
            "轻微",
            False,
            "samr-order-45",
        )

    def test_licence_file_in_xk_columns(self, file_engine, tmp_path):
        source = make_source(file_engine)
        good = [licence_row(), licence_row()]
        bad = licence_row(XK_XKLB="临时")
        path = write_csv(tmp_path / "l.csv", [good[0], bad, good[1]])
        report = run_file(file_engine, path, source, record_type="administrative_licence")
        assert only_reject(report) == {
            "row": 3,
            "field": "licence_category",
            "code": "value.not_in_list",
            "message": "许可类别的取值不在规定范围内（普通、特许、认可、核准、登记、其他）",
        }
        records = records_of(file_engine, source)
        assert {r.source_key for r in records} == {r["XK_ID"] for r in good}
        assert {(r.polarity, r.publicity_ends_on) for r in records} == {("基础", date(2029, 2, 28))}


def test_dump_database_sees_stored_values(file_engine, tmp_path):
    # the "stored nowhere" checks above would pass vacuously if the dump missed records
    source = make_source(file_engine)
    row = penalty_row(CF_WSH="独一无二的文号-XYZ")
    run_file(file_engine, write_csv(tmp_path / "p.csv", [row]), source)
    assert "独一无二的文号-XYZ" in dump_database(file_engine)


def test_quality_report_shows_an_example_message_per_reject_reason(file_engine, tmp_path):
    source = make_source(file_engine)
    path = write_csv(tmp_path / "p.csv", [penalty_row(), penalty_row(CF_JDRQ="2024-02-30")])
    [reject] = run_file(file_engine, path, source)["rejects"]
    with unit_of_work(file_engine) as session:
        [quality] = quality_report(session, default_catalog(), source=source)
    assert quality.reject_reasons == {"date.invalid": 1}
    assert quality.reject_examples == {"date.invalid": reject["message"]}
