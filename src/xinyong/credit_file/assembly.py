"""Assembling a subject's credit file for one view.

One assembly with view filters: the public sees basic information and records inside their
publicity window (desensitised, disputed ones flagged); a third party reading with the
subject's authorization sees exactly the public view narrowed to the granted scopes; the
subject itself sees every active record with its publicity dates and earliest repair date;
internal callers see everything. Revoked records appear in no view.

In the public and third-party views no natural person is named: the subject's name (when a
person) and every legal representative's name are masked wherever they occur, in the basic
section, record titles and every field (张*), and ID numbers in free text are masked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.accounts.models import Department
from xinyong.catalog.loader import Catalog
from xinyong.catalog.schemas import Polarity, RecordType
from xinyong.credit_file.schemas import (
    CreditFile,
    FieldValue,
    NameRead,
    RecordRead,
    RepairStatus,
    SubjectBasic,
)
from xinyong.kit.identifiers import mask_person_name
from xinyong.records.describe import (
    TITLE_FIELDS,
    View,
    display,
    is_third_party,
    people_named,
    publicity_state,
    shown_text,
    visible,
)
from xinyong.records.models import Record, RecordStatus
from xinyong.subjects.models import Subject, SubjectKind
from xinyong.subjects.service import name_history

DISPUTED = "异议处理中"
# Fields that identify the subject: shown once in the basic section, not on every record.
SUBJECT_FIELD_NAMES = frozenset(
    {
        "subject_name",
        "subject_category",
        "uscc",
        "legal_rep",
        "id_type",
        "id_number",
        "legal_rep_id_type",
        "legal_rep_id_number",
        "business_reg_no",
        "org_code",
        "tax_reg_no",
        "institution_cert_no",
        "social_org_cert_no",
    }
)


# Answers "can these records be repaired now?" (the repair domain, injected by the app).
RepairStatusFn = Callable[[Session, Sequence[Record], date], Mapping[int, RepairStatus]]


def _fields(
    rt: RecordType | None, values: dict[str, Any], view: View, hidden_names: Sequence[str]
) -> list[FieldValue]:
    if rt is None:
        return []
    out = []
    for f in rt.fields:
        if f.name in SUBJECT_FIELD_NAMES or values.get(f.name) in (None, "", []):
            continue
        if is_third_party(view) and not f.public:
            continue
        text = shown_text(display(values[f.name]), hidden_names=hidden_names)
        out.append(FieldValue(name=f.name, label=f.label, value=text))
    return out


def _record(
    record: Record,
    rt: RecordType | None,
    view: View,
    as_of: date,
    sources: dict[int, str],
    hidden_names: Sequence[str],
) -> RecordRead:
    values = record.fields or {}
    title = next((str(display(values[k])) for k in TITLE_FIELDS if values.get(k)), "")
    # Everyone sees the publicity window of what they see; the rest only the subject and staff.
    own: dict[str, Any] = {}
    if not is_third_party(view):
        own = {
            "publicity_state": publicity_state(record, as_of),
            "repair_possible_from": (
                record.repair_possible_from if record.polarity == Polarity.BAD else None
            ),
            "repaired_on": record.repaired_on,
            "regime": record.regime_id,
            "version": record.version,
        }
    return RecordRead(
        id=record.id,
        record_type=record.record_type,
        type_name=rt.name if rt else record.record_type,
        decided_on=record.decided_on,
        polarity=record.polarity,
        severity=record.severity,
        source=sources.get(record.source_department_id, ""),
        title=shown_text(title, hidden_names=hidden_names),
        fields=_fields(rt, values, view, hidden_names),
        disputed=record.disputed,
        dispute_label=DISPUTED if record.disputed else None,
        publicity_starts_on=record.publicity_starts_on,
        publicity_ends_on=record.publicity_ends_on,
        **own,
    )


def _basic(session: Session, subject: Subject, view: View) -> SubjectBasic:
    is_person = subject.kind is SubjectKind.PERSON
    third_party = is_third_party(view)
    names = (
        []
        if is_person
        else [
            NameRead(name=n.name, valid_from=n.valid_from, valid_to=n.valid_to)
            for n in name_history(session, subject.id)
            if n.name != subject.name
        ]
    )
    return SubjectBasic(
        code=subject.code,
        kind=subject.kind.value,
        kind_label=subject.kind.label,
        subtype=subject.subtype,
        name=mask_person_name(subject.name) if third_party and is_person else subject.name,
        legal_rep=(
            mask_person_name(subject.legal_rep)
            if third_party and subject.legal_rep
            else subject.legal_rep
        ),
        status=subject.status,
        district=subject.district,
        industry=subject.industry,
        address=None if is_person else subject.address,
        established_on=subject.established_on,
        registered_capital_wan=(
            _plain_decimal(subject.registered_capital_wan)
            if subject.registered_capital_wan is not None
            else None
        ),
        registration_authority=subject.registration_authority,
        former_names=names,
    )


def _plain_decimal(value: Decimal) -> str:
    """``100.0000`` → ``100``, ``12.5000`` → ``12.5``; never exponent notation."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _source_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.execute(select(Department.id, Department.name).where(Department.id.in_(wanted)))
    return {department_id: name for department_id, name in rows}


def assemble(
    session: Session,
    catalog: Catalog,
    subject: Subject,
    *,
    view: View,
    as_of: date,
    record_types: frozenset[str] | None = None,
    repair_status: RepairStatusFn | None = None,
) -> CreditFile:
    """The credit file of ``subject`` as ``view`` may see it on ``as_of``; ``record_types``,
    when given, limits the records to those types (an authorized reader's scopes)."""
    query = select(Record).where(
        Record.subject_id == subject.id, Record.status == RecordStatus.ACTIVE
    )
    if record_types is not None:
        query = query.where(Record.record_type.in_(sorted(record_types) or [""]))
    records = [
        r
        for r in session.scalars(query.order_by(Record.decided_on.desc(), Record.id.desc()))
        if visible(r, view, as_of)
    ]
    sources = _source_names(session, (r.source_department_id for r in records))
    repairs: Mapping[int, RepairStatus] = {}
    if repair_status is not None and view in (View.SELF, View.INTERNAL):
        repairs = repair_status(session, [r for r in records if r.polarity == Polarity.BAD], as_of)
    sections: dict[str, list[RecordRead]] = {"守信": [], "失信": [], "基础": []}
    third_party = is_third_party(view)
    for r in records:
        hidden = people_named(subject, r) if third_party else ()
        read = _record(r, catalog.get(r.record_type), view, as_of, sources, hidden)
        read.repair = repairs.get(r.id)
        sections.setdefault(r.polarity, []).append(read)
    notes = []
    if view is View.PUBLIC:
        notes.append(
            "仅显示处于公示期内的信息；自然人姓名、证件号码已脱敏。标注“异议处理中”的信息正在核查。"
        )
    elif view is View.AUTHORIZED:
        notes.append(
            "本视图为经企业授权的查询结果，仅包含授权范围内、处于公示期的公开信息，自然人姓名已脱敏；"
            "本次查询已登记，企业可查看。"
        )
    elif view is View.SELF:
        notes.append(
            "本视图包含您的全部有效信息，含已过公示期和不予公示的信息；失信信息注明最早可申请信用修复的日期。"
        )
    return CreditFile(
        view=view,
        as_of=as_of,
        subject=_basic(session, subject, view),
        good=sections["守信"],
        bad=sections["失信"],
        other=sections["基础"],
        notes=notes,
    )
