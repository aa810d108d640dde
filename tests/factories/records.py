"""Builders of pushed records (one enterprise's Order 36 penalties) and readers for ingestion
tests that run on a committed (per-module) database."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from factories.ingest import AUTHORITY_USCC, PERSON_ID, SECRET
from xinyong.accounts.models import Department
from xinyong.accounts.service import create_department
from xinyong.catalog.loader import default_catalog
from xinyong.db import unit_of_work
from xinyong.ingest.models import Batch, QuarantinedRow
from xinyong.ingest.service import Actor, ingest_rows
from xinyong.records.models import Record, RecordVersion
from xinyong.subjects.models import Subject

NOW = datetime(2025, 6, 30, 2, 0, tzinfo=UTC)
USCC = "91330106MA2000086A"  # DOMAIN.md §13 fact 4
PUSHER = Actor("api:test", "system")

__all__ = ["NOW", "PERSON_ID", "SECRET", "USCC", "penalty_row", "person_penalty_row", "push"]

_seq = itertools.count(1)


def penalty_row(**overrides: Any) -> dict[str, str]:
    """A general penalty (罚款 5 万, 普通程序) of the enterprise ``USCC`` decided 2026-04-10, so
    Order 36 shows it 2026-04-10 … 2027-04-10 with repair from 2026-07-11. Keyed by CF_* codes
    except 处罚程序; one key per field, so overrides replace rather than add."""
    n = next(_seq)
    row = {
        "CF_XDR_MC": "杭州西湖示范科技有限公司",
        "CF_XDR_LB": "法人及非法人组织",
        "CF_XDR_SHXYM": USCC,
        "CF_FRDB": "张三",
        "CF_WSH": f"杭市监罚〔2026〕{n}号",
        "CF_WFXW": "未按规定公示年度报告",
        "CF_SY": "当事人未按规定公示年度报告",
        "CF_YJ": "《企业信息公示暂行条例》第十八条",
        "CF_CFLB": "罚款",
        "处罚程序": "普通程序",
        "CF_NR": "罚款人民币伍万元",
        "CF_NR_FK": "5",
        "CF_JDRQ": "2026-04-10",
        "CF_YXQ": "2027-04-10",
        "CF_CFJG": "杭州市市场监督管理局",
        "CF_CFJGDM": AUTHORITY_USCC,
        "CF_SJLY": "杭州市市场监督管理局",
        "CF_SJLYDM": AUTHORITY_USCC,
        "CF_ZT": "正常",
    }
    row.update(overrides)
    return row


def person_penalty_row(**overrides: Any) -> dict[str, str]:
    """``penalty_row`` of the natural person 王小明 with ID number ``PERSON_ID``."""
    row = penalty_row(
        CF_XDR_MC="王小明",
        CF_XDR_LB="自然人",
        CF_XDR_SHXYM="",
        CF_FRDB="",
        CF_XDR_ZJLX="身份证",
        CF_XDR_ZJHM=PERSON_ID,
    )
    row.update(overrides)
    return row


def push(
    session: Session,
    source: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    record_type: str = "administrative_penalty",
    **options: Any,
) -> dict[str, Any]:
    """Submit ``rows`` from department ``source`` through the API path; returns the report.
    ``options``: further keywords of ``ingest_rows`` (``limits``)."""
    return ingest_rows(
        session,
        default_catalog(),
        record_type=record_type,
        source=source,
        rows=rows,
        actor=PUSHER,
        secret=SECRET,
        strict_org_code=False,
        now=NOW,
        **options,
    )


def make_source(engine: Engine, *, sector: str | None = "market_regulation") -> str:
    """A new department (a source of records) committed in ``engine``; returns its code."""
    n = next(_seq)
    code = f"330100-S{n:04d}"
    with unit_of_work(engine) as session:
        create_department(session, code=code, name=f"杭州市数据来源局{n}", sector=sector, now=NOW)
    return code


def department_id(engine: Engine, code: str) -> int:
    with unit_of_work(engine) as session:
        return session.scalars(select(Department.id).where(Department.code == code)).one()


def records_of(engine: Engine, source: str) -> list[Record]:
    """Every stored record of ``source``, by source key."""
    with unit_of_work(engine) as session:
        return list(
            session.scalars(
                select(Record)
                .join(Department, Department.id == Record.source_department_id)
                .where(Department.code == source)
                .order_by(Record.source_key)
            )
        )


def record_by_key(engine: Engine, source: str, key: str) -> Record:
    [record] = [r for r in records_of(engine, source) if r.source_key == key]
    return record


def versions_of(engine: Engine, record_id: int) -> list[RecordVersion]:
    with unit_of_work(engine) as session:
        return list(
            session.scalars(
                select(RecordVersion)
                .where(RecordVersion.record_id == record_id)
                .order_by(RecordVersion.version)
            )
        )


def version_count(engine: Engine, source: str) -> int:
    with unit_of_work(engine) as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(RecordVersion)
                .join(Record, Record.id == RecordVersion.record_id)
                .join(Department, Department.id == Record.source_department_id)
                .where(Department.code == source)
            )
            or 0
        )


def batches_of(engine: Engine, source: str) -> list[Batch]:
    with unit_of_work(engine) as session:
        return list(
            session.scalars(
                select(Batch)
                .join(Department, Department.id == Batch.source_department_id)
                .where(Department.code == source)
                .order_by(Batch.id)
            )
        )


def quarantined(engine: Engine, batch_id: int) -> list[QuarantinedRow]:
    with unit_of_work(engine) as session:
        return list(
            session.scalars(
                select(QuarantinedRow)
                .where(QuarantinedRow.batch_id == batch_id)
                .order_by(QuarantinedRow.row_number)
            )
        )


def subject_of(engine: Engine, record: Record) -> Subject:
    with unit_of_work(engine) as session:
        return session.get_one(Subject, record.subject_id)
