from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from stdnum.cn import uscc as stdnum_uscc

from xinyong.catalog.loader import default_catalog
from xinyong.catalog.schemas import FieldType
from xinyong.kit.identifiers import validate_resident_id, validate_uscc
from xinyong.synth import SynthManifest, generate, read_manifest
from xinyong.synth.generate import column_name, plan_counts
from xinyong.synth.names import DISTRICTS

from .conftest import ENTERPRISES, PERSONS, RECORDS

HANGZHOU_DISTRICTS = {d.code for d in DISTRICTS}


def _rows(out: Path, name: str) -> Iterator[dict[str, str]]:
    with (out / name).open(encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)


def _typed_columns(record_type: str, kind: FieldType) -> list[str]:
    rt = default_catalog().types[record_type]
    return [column_name(rt, f.name) for f in rt.fields if f.type is kind]


def test_same_seed_gives_byte_identical_files(
    synth_set: tuple[Path, SynthManifest], tmp_path: Path
) -> None:
    out, manifest = synth_set
    again = generate(tmp_path / "b", enterprises=ENTERPRISES, records=RECORDS, persons=PERSONS)
    assert again == manifest
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in names:
        assert (out / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_another_seed_gives_other_data(
    synth_set: tuple[Path, SynthManifest], tmp_path: Path
) -> None:
    out, _ = synth_set
    generate(tmp_path, enterprises=ENTERPRISES, records=RECORDS, persons=PERSONS, seed=7)
    name = "administrative_penalty__330100-SCJG.csv"
    assert (out / name).read_bytes() != (tmp_path / name).read_bytes()


def test_manifest_round_trips_and_counts_add_up(synth_set: tuple[Path, SynthManifest]) -> None:
    out, manifest = synth_set
    assert read_manifest(out) == manifest
    counts = manifest.counts
    assert counts["registration"] == ENTERPRISES
    assert sum(n for code, n in counts.items() if code != "registration") == RECORDS
    assert counts["administrative_licence"] == 400
    assert counts["administrative_penalty"] == 250
    assert counts["serious_dishonesty_list"] == 5
    assert set(counts) == set(default_catalog().types)
    for code, n in counts.items():
        assert sum(f.rows for f in manifest.files if f.record_type == code) == n
    for item in manifest.files:
        with (out / item.files["csv"]).open(encoding="utf-8") as fh:
            assert sum(1 for _ in fh) == item.rows + 1
        assert pq.ParquetFile(out / item.files["parquet"]).metadata.num_rows == item.rows


def test_enterprise_year_types_are_capped_and_excess_goes_to_licences() -> None:
    counts = plan_counts(10_000, rated_subjects=10)
    assert counts["tax_credit_rating"] == 70
    assert counts["environmental_credit"] == 70
    assert sum(counts.values()) == 10_000


def test_headers_use_the_shuanggongshi_codes(synth_set: tuple[Path, SynthManifest]) -> None:
    out, _ = synth_set
    with (out / "administrative_penalty__330100-SCJG.csv").open(encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert header[:3] == ["CF_XDR_MC", "CF_XDR_LB", "CF_XDR_SHXYM"]
    assert {"CF_WSH", "CF_CFLB", "CF_CFCX", "CF_NR_FK", "CF_JDRQ", "CF_CFJGDM"} <= set(header)
    with (out / "administrative_licence__330100-SCJG.csv").open(encoding="utf-8") as fh:
        assert {"XK_XDR_MC", "XK_XKWS", "XK_XKLB", "XK_YXQZI"} <= set(next(csv.reader(fh)))
    with (out / "tax_credit_rating__330100-SWJ.csv").open(encoding="utf-8") as fh:
        assert {"行政相对人名称", "评价年度", "纳税信用等级"} <= set(next(csv.reader(fh)))


def test_every_uscc_passes_the_strict_check(synth_set: tuple[Path, SynthManifest]) -> None:
    out, manifest = synth_set
    seen = 0
    for item in manifest.files:
        columns = _typed_columns(item.record_type, FieldType.USCC)
        for row in _rows(out, item.files["csv"]):
            for column in columns:
                if row[column]:
                    assert validate_uscc(row[column], strict_org_code=True) == row[column]
                    assert stdnum_uscc.is_valid(row[column])
                    seen += 1
    assert seen > RECORDS
    for row in _rows(out, "departments.csv"):
        validate_uscc(row["uscc"], strict_org_code=True)


def test_subjects_have_unique_codes_of_the_right_kind(
    synth_set: tuple[Path, SynthManifest],
) -> None:
    out, manifest = synth_set
    codes: list[str] = []
    for item in manifest.files:
        if item.record_type != "registration":
            continue
        for row in _rows(out, item.files["csv"]):
            code = row["统一社会信用代码"]
            codes.append(code)
            assert code[2:8] in HANGZHOU_DISTRICTS
            assert (code[:2] == "92") == (row["行政相对人类别"] == "个体工商户")
            assert row["法定代表人"]
            if code[:2] == "92":
                assert not row["行政相对人名称"].endswith("公司")
            if code[:2] == "91":
                assert row["行政相对人名称"].endswith("有限公司")
    assert len(codes) == len(set(codes)) == ENTERPRISES
    prefixes = Counter(c[:2] for c in codes)
    assert set(prefixes) <= {"91", "92", "93", "52", "53", "12", "11"}
    assert prefixes["91"] > prefixes["92"] > 0


def test_every_id_number_is_valid(synth_set: tuple[Path, SynthManifest]) -> None:
    out, manifest = synth_set
    persons: set[str] = set()
    for item in manifest.files:
        rt = default_catalog().types[item.record_type]
        id_col = column_name(rt, "id_number")
        rep_col = column_name(rt, "legal_rep_id_number")
        type_col = column_name(rt, "id_type")
        for row in _rows(out, item.files["csv"]):
            if row[id_col]:
                number = validate_resident_id(row[id_col])
                assert row[type_col] == "身份证"
                assert number.startswith("3301")
                assert 1960 <= int(number[6:10]) <= 2004
                persons.add(number)
            if row[rep_col]:
                validate_resident_id(row[rep_col])
    assert 0 < len(persons) <= PERSONS


def test_persons_appear_in_penalties_and_volunteer_records(
    synth_set: tuple[Path, SynthManifest],
) -> None:
    out, manifest = synth_set
    categories: dict[str, Counter[str]] = {}
    for item in manifest.files:
        rt = default_catalog().types[item.record_type]
        col = column_name(rt, "subject_category")
        c = categories.setdefault(item.record_type, Counter())
        c.update(row[col] for row in _rows(out, item.files["csv"]))
    assert categories["administrative_penalty"]["自然人"] > 0
    assert categories["volunteer_service"]["自然人"] > categories["volunteer_service"].total() / 2


def test_penalties_are_realistic(synth_set: tuple[Path, SynthManifest]) -> None:
    out, manifest = synth_set
    rows = [
        row
        for item in manifest.files
        if item.record_type == "administrative_penalty"
        for row in _rows(out, item.files["csv"])
    ]
    assert len(rows) == 250
    simple = sum(r["CF_CFCX"] == "简易程序" for r in rows)
    assert 0.2 < simple / len(rows) < 0.4
    categories = Counter(c for r in rows for c in r["CF_CFLB"].split(";"))
    assert categories["罚款"] > categories["警告"] > 0
    assert categories["没收违法所得"] > 0
    decided = [date.fromisoformat(r["CF_JDRQ"]) for r in rows]
    assert min(decided) >= date(2019, 1, 1)
    assert max(decided) <= date(2026, 10, 31)
    assert {d.year for d in decided} == set(range(2019, 2027))
    for r in rows:
        assert date.fromisoformat(r["CF_YXQ"]) > date.fromisoformat(r["CF_JDRQ"])
        assert r["CF_CFJG"] == r["CF_SJLY"]
        if r["CF_NR_FK"]:
            fine = Decimal(r["CF_NR_FK"])
            assert Decimal("0.005") <= fine <= Decimal("800")
            assert f"罚款人民币{int(fine * 10000)}元" in r["CF_NR"]
            if r["CF_CFCX"] == "简易程序":
                assert fine <= Decimal("0.3")


def test_departments_are_allowed_to_send_their_types(
    synth_set: tuple[Path, SynthManifest],
) -> None:
    out, manifest = synth_set
    sectors = {row["code"]: row["sector"] for row in _rows(out, "departments.csv")}
    assert {f.department for f in manifest.files} == set(sectors)
    catalog = default_catalog()
    for item in manifest.files:
        rt = catalog.types[item.record_type]
        if rt.sources:
            assert sectors[item.department] in rt.sources, item


def test_parquet_holds_the_same_rows_as_csv(synth_set: tuple[Path, SynthManifest]) -> None:
    out, manifest = synth_set
    item = next(f for f in manifest.files if f.record_type == "administrative_penalty")
    with (out / item.files["csv"]).open(encoding="utf-8", newline="") as fh:
        from_csv = list(csv.reader(fh))
    table = pq.read_table(out / item.files["parquet"])
    assert table.column_names == from_csv[0]
    from_parquet = [[v or "" for v in row.values()] for row in table.to_pylist()]
    assert from_parquet == from_csv[1:]


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="xlsx"):
        generate(tmp_path, enterprises=1, records=1, persons=0, formats=("xlsx",))


def test_csv_only_and_no_persons(tmp_path: Path) -> None:
    manifest = generate(tmp_path, enterprises=30, records=200, persons=0, formats=("csv",))
    assert not list(tmp_path.glob("*.parquet"))
    assert all(set(f.files) == {"csv"} for f in manifest.files)
    assert sum(manifest.counts.values()) == 230
