"""Processing one chunk of rows: validate, resolve subjects, classify against what is stored,
write records, versions and quarantine. Runs inside the caller's transaction; never commits."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.catalog.classify import Classification, Classifier
from xinyong.catalog.loader import SUBJECT_CODE, Catalog
from xinyong.catalog.schemas import RecordType
from xinyong.catalog.validation import PERSON, Carried, RowResult, RowValidator, mask_id_value
from xinyong.db import JsonText, one_of
from xinyong.errors import FieldError
from xinyong.kit.identifiers import hash_resident_id, mask_text_ids
from xinyong.kit.storable import storable_copy
from xinyong.records import service as records
from xinyong.records.models import Record, RecordStatus
from xinyong.subjects.service import Registration, SubjectRef, apply_registration, resolve_many

REVOKED_VALUE = "撤销"
# Characters of one raw cell kept in a quarantined row: a display cut, not a limit on input
# (the cell itself is refused by the field's limit).
QUARANTINE_CELL_CHARS = 500


@dataclass(frozen=True)
class IngestContext:
    """Everything about a batch that every chunk needs."""

    catalog: Catalog
    record_type: RecordType
    validator: RowValidator
    department_id: int
    department_sector: str | None
    batch_id: int
    secret: bytes
    id_fields: frozenset[str]
    classifier: Classifier


def make_context(
    catalog: Catalog,
    record_type: RecordType,
    *,
    department_id: int,
    department_sector: str | None,
    batch_id: int,
    secret: bytes,
    strict_org_code: bool,
    max_field_chars: int,
    carried: Carried | None = None,
) -> IngestContext:
    return IngestContext(
        catalog=catalog,
        record_type=record_type,
        validator=RowValidator(
            record_type,
            strict_org_code=strict_org_code,
            carried=carried,
            max_chars=max_field_chars,
        ),
        department_id=department_id,
        department_sector=department_sector,
        batch_id=batch_id,
        secret=secret,
        id_fields=frozenset(f.name for f in record_type.fields if f.type == "id_number"),
        classifier=Classifier(catalog, record_type, department_sector),
    )


@dataclass
class Reject:
    row: int
    errors: list[FieldError]
    raw: dict[str, str]


class _Quarantine:
    """What a chunk sets aside: both while it is prepared and while it is stored."""

    rejects: list[Reject]

    def reject(
        self, ctx: IngestContext, row: int, raw: dict[str, str], field: str, code: str, message: str
    ) -> None:
        """Quarantine a row for one reason (raw cells kept with ID numbers masked)."""
        self.rejects.append(
            Reject(row, [FieldError(field, code, message)], _safe_raw(raw, ctx.id_fields))
        )


@dataclass
class ChunkOutcome(_Quarantine):
    accepted: int = 0
    updated: int = 0
    unchanged: int = 0
    revoked: int = 0
    rejects: list[Reject] = field(default_factory=list)
    filled: Counter[str] = field(default_factory=Counter)
    valid_rows: int = 0
    # Subjects whose records the chunk inserted, corrected or revoked: their grades are stale.
    changed_subjects: set[int] = field(default_factory=set)

    @property
    def rejected(self) -> int:
        return len(self.rejects)


@dataclass
class Prepared(_Quarantine):
    """A validated chunk waiting to be stored (picklable)."""

    items: list[_Valid] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    filled: Counter[str] = field(default_factory=Counter)
    valid_rows: int = 0


@dataclass
class _Valid:
    row: int
    raw: dict[str, str]
    values: dict[str, Any]
    subject: SubjectRef
    decided_on: date
    revoke: bool
    key: str = ""
    content_hash: str = ""
    fields_json: dict[str, Any] = field(default_factory=dict)
    fields_text: str = ""
    judged: Classification | None = None


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _shown(text: str) -> str:
    """A cell as quarantine shows it: enough to find it in the file, never the megabyte."""
    if len(text) <= QUARANTINE_CELL_CHARS:
        return text
    kept = QUARANTINE_CELL_CHARS
    return f"{text[:kept]}…（共 {len(text)} 个字符，此处只保留前 {kept} 个）"


def _safe_raw(raw: dict[str, str], id_fields: frozenset[str]) -> dict[str, str]:
    """Raw cells as kept in quarantine: ID-number cells masked, any ID-like text masked, long
    cells cut, and what the database cannot hold (NUL, lone surrogates) dropped or replaced."""
    return {
        # masked before it is cut, so that a cut never leaves part of an ID number unmasked
        storable_copy(k): storable_copy(
            _shown(mask_id_value(v) if k in id_fields else mask_text_ids(v))
        )
        for k, v in raw.items()
        if v
    }


def _record_key(rt: RecordType, values: dict[str, Any], subject_key: str) -> str | None:
    for fields in (rt.key_fields, rt.fallback_key_fields):
        if not fields:
            continue
        parts = []
        for name in fields:
            v = subject_key if name == SUBJECT_CODE else values.get(name)
            if v in (None, ""):
                break
            parts.append(str(_jsonable(v)))
        else:
            return "|".join(parts)
    return None


def prepare_chunk(ctx: IngestContext, rows: Sequence[tuple[int, dict[str, str]]]) -> Prepared:
    """The CPU part of a chunk, no database: validate, identify subjects and records, hash,
    judge polarity, severity and publicity, and reject duplicates within the chunk. Its result
    pickles, so it can run in a worker process while the previous chunk is being stored."""
    out = Prepared()
    valid = [item for number, raw in rows if (item := _prepare_row(ctx, out, number, raw))]
    out.items.extend(_first_of_each_key(ctx, out, valid))
    return out


def _subject(ctx: IngestContext, result: RowResult) -> SubjectRef:
    values = result.values
    is_person = values.get("subject_category") == PERSON
    # A correction carrying the person's masked number identifies them by the stored hash.
    id_hash = result.person_hash or (
        hash_resident_id(result.person_id, ctx.secret) if is_person and result.person_id else None
    )
    return SubjectRef(
        name=values.get("subject_name", ""),
        category=values.get("subject_category"),
        uscc=None if is_person else values.get("uscc"),
        id_hash=id_hash,
        id_masked=values.get("id_number") if is_person else None,
        legal_rep=values.get("legal_rep"),
    )


def _prepare_row(
    ctx: IngestContext, out: Prepared, number: int, raw: dict[str, str]
) -> _Valid | None:
    """One row validated, its subject and record identified, hashed and judged; ``None`` when
    it is rejected (into ``out``)."""
    rt = ctx.record_type
    result = ctx.validator.validate(raw)
    if result.errors:
        out.rejects.append(Reject(number, result.errors, _safe_raw(raw, ctx.id_fields)))
        return None
    values = result.values
    subject = _subject(ctx, result)
    if not subject.uscc and not subject.id_hash:
        out.reject(
            ctx,
            number,
            raw,
            "uscc",
            "subject.unidentified",
            "无法识别行政相对人：缺少统一社会信用代码或证件号码",
        )
        return None
    key = _record_key(rt, values, subject.key)
    if key is None:
        names = "、".join(f.label for f in rt.fields if f.name in rt.key_fields)
        out.reject(
            ctx,
            number,
            raw,
            rt.key_fields[0],
            "record.no_key",
            f"无法识别记录：缺少{names}，且无可替代的记录标识",
        )
        return None
    status = values.get(rt.status_field) if rt.status_field else None
    item = _Valid(
        number, raw, values, subject, values[rt.decision_date_field], status == REVOKED_VALUE
    )
    item.key = key
    item.fields_json = {k: _jsonable(v) for k, v in values.items()}
    item.fields_text = json.dumps(item.fields_json, sort_keys=True, ensure_ascii=False)
    item.content_hash = hashlib.blake2b(item.fields_text.encode(), digest_size=16).hexdigest()
    item.judged = ctx.classifier.classify(values, item.decided_on)
    out.valid_rows += 1
    out.filled.update(k for k, v in values.items() if v not in (None, "", []))
    return item


def _first_of_each_key(ctx: IngestContext, out: Prepared, valid: list[_Valid]) -> list[_Valid]:
    """The same key twice in this chunk: the later row is a duplicate."""
    first_row: dict[str, int] = {}
    unique: list[_Valid] = []
    for item in valid:
        if item.key in first_row:
            out.reject(
                ctx,
                item.row,
                item.raw,
                ctx.record_type.key_fields[0],
                "row.duplicate",
                f"与第{first_row[item.key]}行重复（同一数据来源、信息类型和记录标识）",
            )
            continue
        first_row[item.key] = item.row
        unique.append(item)
    return unique


def _to_store(
    ctx: IngestContext, out: ChunkOutcome, items: list[_Valid], existing: dict[str, Record]
) -> list[_Valid]:
    """The items that may be stored: not a key this batch already stored, not a revocation
    of a record that does not exist."""
    rt = ctx.record_type
    kept: list[_Valid] = []
    for item in items:
        current = existing.get(item.key)
        if current is not None and current.batch_id == ctx.batch_id:
            out.reject(
                ctx,
                item.row,
                item.raw,
                rt.key_fields[0],
                "row.duplicate",
                "与本文件中此前的行重复（同一数据来源、信息类型和记录标识）",
            )
            continue
        if current is None and item.revoke:
            out.reject(
                ctx,
                item.row,
                item.raw,
                rt.status_field or "status",
                "record.revoke_unknown",
                "要撤销的记录不存在（未找到同一数据来源、信息类型和记录标识的记录）",
            )
            continue
        kept.append(item)
    return kept


def _supersede(
    session: Session,
    ctx: IngestContext,
    current: Record,
    item: _Valid,
    columns: dict[str, Any],
    now: datetime,
) -> None:
    """Keep ``current`` as a version and write ``item`` over it (a correction or revocation)."""
    columns.pop("created_at")
    columns["fields"] = item.fields_json  # an UPDATE goes through the JSON type
    records.supersede(session, current, columns, batch_id=ctx.batch_id, now=now)


def store_chunk(
    session: Session, ctx: IngestContext, prepared: Prepared, *, now: datetime
) -> ChunkOutcome:
    """The database part of a chunk: compare with stored records, create subjects, insert,
    correct or revoke. Runs in the caller's transaction."""
    out = ChunkOutcome(
        rejects=list(prepared.rejects), filled=prepared.filled, valid_rows=prepared.valid_rows
    )
    existing = _existing(session, ctx, [i.key for i in prepared.items])
    pending = _to_store(ctx, out, prepared.items, existing)
    subject_ids = resolve_many(session, (i.subject for i in pending), now=now)
    inserts: list[dict[str, Any]] = []
    for item in pending:
        subject_id = subject_ids[item.subject.key]
        current = existing.get(item.key)
        if current is not None and current.content_hash == item.content_hash:
            out.unchanged += 1
            continue
        out.changed_subjects.add(subject_id)
        columns = _columns(ctx, item, subject_id, now)
        if current is None:
            inserts.append(columns)
            out.accepted += 1
        else:
            _supersede(session, ctx, current, item, columns, now)
            if item.revoke:
                out.revoked += 1
            else:
                out.updated += 1
        if ctx.record_type.creates_subject and not item.revoke:
            apply_registration(
                session, subject_id, _registration(item.values), as_of=item.decided_on, now=now
            )
    records.store_new(session, inserts)
    return out


def process_chunk(
    session: Session,
    ctx: IngestContext,
    rows: Sequence[tuple[int, dict[str, str]]],
    *,
    now: datetime,
) -> ChunkOutcome:
    """Validate and store ``rows`` (row number, field → raw text). Good rows land even when
    others in the chunk are rejected; rejected rows go to ``outcome.rejects``."""
    return store_chunk(session, ctx, prepare_chunk(ctx, rows), now=now)


def _columns(ctx: IngestContext, item: _Valid, subject_id: int, now: datetime) -> dict[str, Any]:
    rt = ctx.record_type
    judged = item.judged
    if judged is None:
        raise RuntimeError("a row was stored without being prepared")
    polarity, severity, pub = judged.polarity, judged.severity, judged.publicity
    return {
        "subject_id": subject_id,
        "record_type": rt.code,
        "source_department_id": ctx.department_id,
        "source_key": item.key,
        "status": (RecordStatus.REVOKED if item.revoke else RecordStatus.ACTIVE).value,
        "decided_on": item.decided_on,
        "polarity": polarity.value,
        "severity": severity.value if severity else None,
        "publicised": pub.publicised,
        "publicity_starts_on": pub.starts_on,
        "publicity_ends_on": pub.ends_on,
        "repair_possible_from": pub.repair_possible_from,
        "regime_id": pub.regime_id,
        "fields": JsonText(item.fields_text, item.fields_json),
        "content_hash": item.content_hash,
        "batch_id": ctx.batch_id,
        "created_at": now,
        "updated_at": now,
    }


def _registration(values: dict[str, Any]) -> Registration:
    return Registration(
        name=values["subject_name"],
        legal_rep=values.get("legal_rep"),
        status=values.get("registration_status", "存续"),
        established_on=values.get("established_on"),
        registered_capital_wan=values.get("registered_capital"),
        industry=values.get("industry"),
        district=values.get("district"),
        address=values.get("address"),
        registration_authority=values.get("registration_authority"),
    )


def _existing(session: Session, ctx: IngestContext, keys: list[str]) -> dict[str, Record]:
    found: dict[str, Record] = {}
    for i in range(0, len(keys), 5000):
        chunk = keys[i : i + 5000]
        stmt = select(Record).where(
            Record.source_department_id == ctx.department_id,
            Record.record_type == ctx.record_type.code,
            one_of(session, Record.source_key, chunk),
        )
        for record in session.scalars(stmt):
            found[record.source_key] = record
    return found
