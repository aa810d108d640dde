"""Batches: start or resume, apply a processed chunk with its checkpoint, report, quality.

Each function runs in the caller's transaction. The file runner commits once per chunk, so
the counters, quarantine rows and checkpoint of a chunk land together with its records.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from xinyong.accounts.models import Department
from xinyong.accounts.principal import Principal
from xinyong.audit import service as audit
from xinyong.catalog.loader import Catalog
from xinyong.catalog.schemas import RecordType
from xinyong.catalog.validation import Carried, alias_index, header_key
from xinyong.errors import NotFound, XinyongError
from xinyong.freshness.service import ingest_reason, mark_stale
from xinyong.ingest.errors import (
    SourceNotAllowed,
    TooManyRejects,
    TooManyRows,
    UnknownRecordType,
    UnknownSource,
)
from xinyong.ingest.limits import DEFAULT_LIMITS, IngestLimits, too_many_rejects
from xinyong.ingest.models import Batch, BatchStatus, QuarantinedRow
from xinyong.ingest.pipeline import ChunkOutcome, make_context, process_chunk
from xinyong.ingest.workflow import BATCH, BatchAction
from xinyong.kit.storable import storable_copy
from xinyong.kit.uploads import safe_filename
from xinyong.workflow import move

MAX_REJECTS_REPORTED = 10_000
MAX_API_ROWS = 5_000
# Names of unrecognised columns or keys kept with a batch, for the report only.
MAX_UNKNOWN_KEPT = 100
UNKNOWN_NAME_CHARS = 100


@dataclass(frozen=True)
class Actor:
    """Who ingests: an audit actor string and role."""

    actor: str
    role: str | None

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        """The principal as the ingest path records it."""
        return cls(principal.actor, principal.role_name)


def _audit_batch(
    session: Session, actor: Actor, action: str, batch: Batch, detail: dict[str, Any], now: datetime
) -> None:
    audit.record(
        session,
        actor=actor.actor,
        actor_role=actor.role,
        action=action,
        object_type="ingest_batch",
        object_id=batch.id,
        detail=detail,
        now=now,
    )


def resolve_target(
    session: Session, catalog: Catalog, *, record_type: str, source: str
) -> tuple[RecordType, Department]:
    """The record type and source department, or the error saying which is unknown."""
    rt = catalog.get(record_type)
    if rt is None:
        raise UnknownRecordType(record_type)
    department = session.scalars(select(Department).where(Department.code == source)).first()
    if department is None:
        raise UnknownSource(source)
    if rt.sources and department.sector not in rt.sources:
        raise SourceNotAllowed(source, rt.name)
    return rt, department


def find_resumable(
    session: Session, *, department_id: int, record_type: str, file_sha256: str
) -> Batch | None:
    """An unfinished batch of the same file from the same source: a killed import to finish."""
    return session.scalars(
        select(Batch)
        .where(
            Batch.source_department_id == department_id,
            Batch.record_type == record_type,
            Batch.file_sha256 == file_sha256,
            Batch.status == BatchStatus.RUNNING,
        )
        .order_by(Batch.id.desc())
    ).first()


def start_batch(
    session: Session,
    *,
    department: Department,
    record_type: RecordType,
    channel: str,
    actor: Actor,
    now: datetime,
    filename: str | None = None,
    file_sha256: str | None = None,
    file_size: int | None = None,
    unknown_columns: Sequence[str] = (),
) -> Batch:
    if filename is not None:
        filename = safe_filename(filename)  # shown and exported: never a path or control chars
    batch = Batch(
        source_department_id=department.id,
        record_type=record_type.code,
        channel=channel,
        filename=filename,
        file_sha256=file_sha256,
        file_size=file_size,
        status=BatchStatus.RUNNING,
        rows_done=0,
        accepted=0,
        updated=0,
        unchanged=0,
        revoked=0,
        rejected=0,
        unknown_columns=[
            storable_copy(c[:UNKNOWN_NAME_CHARS]) for c in list(unknown_columns)[:MAX_UNKNOWN_KEPT]
        ],
        stats={"filled": {}, "valid_rows": 0, "reject_codes": {}},
        actor=actor.actor,
        started_at=now,
    )
    session.add(batch)
    session.flush()
    _audit_batch(
        session,
        actor,
        "ingest.batch_start",
        batch,
        {
            "source": department.code,
            "type": record_type.code,
            "channel": channel,
            "filename": filename,
            "sha256": file_sha256,
        },
        now,
    )
    return batch


def _merged_stats(stats: dict[str, Any], outcome: ChunkOutcome) -> dict[str, Any]:
    """The batch's quality statistics with one more chunk: filled fields, reject codes with
    one example message each (shown by ``xinyong quality``), valid rows."""
    filled = Counter(stats.get("filled", {}))
    filled.update(outcome.filled)
    codes = Counter(stats.get("reject_codes", {}))
    codes.update(e.code for r in outcome.rejects for e in r.errors)
    examples = dict(stats.get("reject_examples", {}))
    for r in outcome.rejects:
        for e in r.errors:
            examples.setdefault(e.code, e.message)
    return {
        **stats,
        "filled": dict(filled),
        "reject_codes": dict(codes),
        "reject_examples": examples,
        "valid_rows": int(stats.get("valid_rows", 0)) + outcome.valid_rows,
    }


def apply_outcome(
    session: Session,
    batch: Batch,
    outcome: ChunkOutcome,
    *,
    rows_done: int,
    actor: Actor,
    now: datetime,
) -> None:
    """Counters, quarantine, quality statistics and the checkpoint of one processed chunk; the
    subjects whose records it changed are marked stale in the same transaction."""
    mark_stale(session, outcome.changed_subjects, reason=ingest_reason(batch.id), now=now)
    if outcome.rejects:
        session.execute(
            insert(QuarantinedRow),
            [
                {
                    "batch_id": batch.id,
                    "row_number": r.row,
                    "raw": r.raw,
                    "errors": [e.as_dict() for e in r.errors],
                    "created_at": now,
                }
                for r in outcome.rejects
            ],
        )
    batch.accepted += outcome.accepted
    batch.updated += outcome.updated
    batch.unchanged += outcome.unchanged
    batch.revoked += outcome.revoked
    batch.rejected += outcome.rejected
    batch.rows_done = rows_done
    batch.stats = _merged_stats(batch.stats or {}, outcome)
    _audit_batch(
        session,
        actor,
        "ingest.chunk",
        batch,
        {
            "rows_done": rows_done,
            "accepted": outcome.accepted,
            "updated": outcome.updated,
            "unchanged": outcome.unchanged,
            "revoked": outcome.revoked,
            "rejected": outcome.rejected,
        },
        now,
    )
    session.flush()


def finish_batch(session: Session, batch: Batch, *, actor: Actor, now: datetime) -> None:
    """The whole file (or API call) is stored: the batch is completed."""
    move(session, BATCH, batch, BatchAction.FINISH, values={"finished_at": now})
    _audit_batch(
        session,
        actor,
        "ingest.batch_finish",
        batch,
        {
            "accepted": batch.accepted,
            "updated": batch.updated,
            "unchanged": batch.unchanged,
            "revoked": batch.revoked,
            "rejected": batch.rejected,
        },
        now,
    )
    session.flush()


def stop_batch(
    session: Session, batch: Batch, reason: XinyongError, *, actor: Actor, now: datetime
) -> None:
    """End ``batch`` early for ``reason`` (a limit, or a problem found mid-file): the chunks
    already stored stay, the batch is never resumed, and the report says why."""
    stats = {**(batch.stats or {}), "stop": {"code": reason.code, "message": reason.title}}
    move(session, BATCH, batch, BatchAction.STOP, values={"finished_at": now, "stats": stats})
    _audit_batch(
        session,
        actor,
        "ingest.batch_stop",
        batch,
        {"code": reason.code, "rows_done": batch.rows_done, "rejected": batch.rejected},
        now,
    )
    session.flush()


def batch_report(session: Session, batch: Batch) -> dict[str, Any]:
    """The one JSON shape the CLI prints and the API returns."""
    rejects = session.execute(
        select(QuarantinedRow.row_number, QuarantinedRow.errors)
        .where(QuarantinedRow.batch_id == batch.id)
        .order_by(QuarantinedRow.row_number, QuarantinedRow.id)
        .limit(MAX_REJECTS_REPORTED)
    ).all()
    return {
        "batch_id": batch.id,
        "status": batch.status.value,
        "stop": (batch.stats or {}).get("stop"),
        "accepted": batch.accepted,
        "updated": batch.updated,
        "unchanged": batch.unchanged,
        "revoked": batch.revoked,
        "rejected": batch.rejected,
        "rejects": [
            {"row": row, "field": e["field"], "code": e["code"], "message": e["message"]}
            for row, errors in rejects
            for e in errors
        ],
        "unknown_columns": list(batch.unknown_columns or []),
    }


def _cell(value: Any) -> str:
    """A JSON value as the text a file cell would hold; lists are multi-valued fields."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ";".join(_cell(v) for v in value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


class BatchNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("ingest.batch_not_found", "未找到该导入批次", field_name="batch_id")


def get_batch(session: Session, batch_id: int, *, department_code: str | None) -> Batch:
    """A batch, visible to its own source department (``department_code``) or to everyone
    when ``department_code`` is None (admins). Another source's batch is reported as missing."""
    stmt = select(Batch).where(Batch.id == batch_id)
    if department_code is not None:
        stmt = stmt.join(Department, Department.id == Batch.source_department_id).where(
            Department.code == department_code
        )
    batch = session.scalars(stmt).first()
    if batch is None:
        raise BatchNotFound()
    return batch


@dataclass(frozen=True)
class BatchSummary:
    batch_id: int
    source: str
    record_type: str
    channel: str
    filename: str | None
    status: str
    rows_done: int
    accepted: int
    updated: int
    unchanged: int
    revoked: int
    rejected: int
    started_at: datetime
    finished_at: datetime | None


def read_batch_report(
    session: Session,
    batch_id: int,
    *,
    principal: Principal,
    department_code: str | None,
    now: datetime,
) -> dict[str, Any]:
    """A batch's report (its rejects name rows of departments' raw data): visible as
    :func:`get_batch` says, and every read is audited."""
    batch = get_batch(session, batch_id, department_code=department_code)
    report = batch_report(session, batch)
    audit.record(
        session,
        actor=principal.actor,
        actor_role=principal.role_name,
        action="ingest.batch_read",
        object_type="ingest_batch",
        object_id=batch.id,
        detail={"rejected": batch.rejected, "status": batch.status.value},
        now=now,
    )
    return report


def list_batches(
    session: Session, *, department_code: str | None, page: int, size: int
) -> tuple[list[BatchSummary], int]:
    """Newest batches first; a department sees only its own."""
    stmt = select(Batch, Department.code).join(
        Department, Department.id == Batch.source_department_id
    )
    if department_code is not None:
        stmt = stmt.where(Department.code == department_code)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(stmt.order_by(Batch.id.desc()).offset((page - 1) * size).limit(size))
    items = [
        BatchSummary(
            batch_id=b.id,
            source=code,
            record_type=b.record_type,
            channel=b.channel,
            filename=b.filename,
            status=b.status.value,
            rows_done=b.rows_done,
            accepted=b.accepted,
            updated=b.updated,
            unchanged=b.unchanged,
            revoked=b.revoked,
            rejected=b.rejected,
            started_at=b.started_at,
            finished_at=b.finished_at,
        )
        for b, code in rows
    ]
    return items, total


def _mapped_rows(
    rt: RecordType, rows: Sequence[Mapping[str, Any]]
) -> tuple[list[tuple[int, dict[str, str]]], list[str]]:
    """(row number, field → cell text) of each row, and the keys no field is known by."""
    index = alias_index(rt)
    unknown: set[str] = set()
    mapped: list[tuple[int, dict[str, str]]] = []
    for number, row in enumerate(rows, start=1):
        fields: dict[str, str] = {}
        for key, value in row.items():
            name = index.get(header_key(key))
            if name is None:
                unknown.add(str(key))
                continue
            text = _cell(value)
            fields[name] = (
                f"{fields[name]};{text}"
                if fields.get(name) and text
                else (text or fields.get(name, ""))
            )
        mapped.append((number, fields))
    return mapped, sorted(unknown)


def ingest_rows(
    session: Session,
    catalog: Catalog,
    *,
    record_type: str,
    source: str,
    rows: Sequence[Mapping[str, Any]],
    actor: Actor,
    secret: bytes,
    strict_org_code: bool,
    now: datetime,
    limits: IngestLimits = DEFAULT_LIMITS,
    carried: Carried | None = None,
) -> dict[str, Any]:
    """The API path: a batch of row objects (keys in any alias form) in one transaction. Past
    the reject limit the whole call is refused (nothing of it is stored).

    ``carried`` is for the single row of a correction only (an objection's 更正): the masked
    ID numbers it keeps from the record's current version. Department pushes never pass it."""
    if len(rows) > MAX_API_ROWS:
        raise TooManyRows(MAX_API_ROWS)
    if carried is not None and len(rows) != 1:
        raise ValueError("carried values belong to the one row of a correction")
    rt, department = resolve_target(session, catalog, record_type=record_type, source=source)
    mapped, unknown = _mapped_rows(rt, rows)
    # A savepoint, so that a refused call leaves nothing behind even in a caller's transaction
    # that goes on (an objection decision re-ingesting a corrected record).
    with session.begin_nested():
        batch = start_batch(
            session,
            department=department,
            record_type=rt,
            channel="api",
            actor=actor,
            now=now,
            unknown_columns=unknown,
        )
        ctx = make_context(
            catalog,
            rt,
            department_id=department.id,
            department_sector=department.sector,
            batch_id=batch.id,
            secret=secret,
            strict_org_code=strict_org_code,
            max_field_chars=limits.max_field_chars,
            carried=carried,
        )
        outcome = process_chunk(session, ctx, mapped, now=now)
        if too_many_rejects(outcome.rejected, limits):
            raise TooManyRejects(limits.max_rejects, field_name="rows")
        apply_outcome(session, batch, outcome, rows_done=len(rows), actor=actor, now=now)
        finish_batch(session, batch, actor=actor, now=now)
    return batch_report(session, batch)


@dataclass(frozen=True)
class FieldQuality:
    field: str
    label: str
    filled: int
    missing_rate: float


@dataclass(frozen=True)
class SourceQuality:
    source: str
    source_name: str
    record_type: str
    batches: int
    rows: int
    valid_rows: int
    rejected: int
    reject_rate: float
    reject_reasons: dict[str, int]
    reject_examples: dict[str, str]
    fields: list[FieldQuality]


def quality_report(
    session: Session, catalog: Catalog, *, source: str | None = None
) -> list[SourceQuality]:
    """Per source and record type: reject reasons and per-field missing rates of valid rows."""
    stmt = select(Batch, Department.code, Department.name).join(
        Department, Department.id == Batch.source_department_id
    )
    if source is not None:
        stmt = stmt.where(Department.code == source)
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for batch, code, name in session.execute(stmt.order_by(Batch.id)):
        g = groups.setdefault(
            (code, batch.record_type),
            {
                "name": name,
                "batches": 0,
                "rows": 0,
                "valid": 0,
                "rejected": 0,
                "codes": Counter(),
                "filled": Counter(),
                "examples": {},
            },
        )
        stats = batch.stats or {}
        g["batches"] += 1
        g["rows"] += batch.rows_done
        g["valid"] += int(stats.get("valid_rows", 0))
        g["rejected"] += batch.rejected
        g["codes"].update(stats.get("reject_codes", {}))
        for code, message in stats.get("reject_examples", {}).items():
            g["examples"].setdefault(code, message)
        g["filled"].update(stats.get("filled", {}))
    report = []
    for (code, type_code), g in sorted(groups.items()):
        rt = catalog.get(type_code)
        fields = []
        if rt is not None:
            for f in rt.fields:
                n = g["filled"].get(f.name, 0)
                rate = 1 - n / g["valid"] if g["valid"] else 0.0
                fields.append(FieldQuality(f.name, f.label, n, round(rate, 4)))
        report.append(
            SourceQuality(
                source=code,
                source_name=g["name"],
                record_type=type_code,
                batches=g["batches"],
                rows=g["rows"],
                valid_rows=g["valid"],
                rejected=g["rejected"],
                reject_rate=round(g["rejected"] / g["rows"], 4) if g["rows"] else 0.0,
                reject_reasons=dict(g["codes"].most_common()),
                reject_examples=g["examples"],
                fields=fields,
            )
        )
    return report
