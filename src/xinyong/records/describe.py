"""How a record is described to each reader: its title, where a date falls in its publicity
window, which view a caller gets and what a third party may see of it.

Lists, scores and the credit file all describe records to the same readers, so these rules live
with the records, below every one of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from typing import Any

from xinyong.accounts.models import Role
from xinyong.accounts.principal import Principal
from xinyong.catalog.loader import Catalog
from xinyong.kit.identifiers import mask_names, mask_text_ids
from xinyong.records.errors import AsOfNotToday
from xinyong.records.models import Record, RecordStatus
from xinyong.subjects.models import Subject, SubjectKind

TITLE_FIELDS = (
    "decision_number",
    "honour_name",
    "list_name",
    "case_number",
    "document_name",
    "commitment_item",
    "contract_name",
    "task_name",
    "activity_name",
    "grade",
    "colour",
)

# Fields that are a value rather than a name: shown after the record type's name.
_VALUE_TITLES = frozenset({"grade", "colour"})


class View(StrEnum):
    """Who is looking decides what the file shows (C4)."""

    PUBLIC = "public"
    SELF = "self"
    # A third party (a bank) reading with the subject's authorization, limited to its scopes.
    AUTHORIZED = "authorized"
    INTERNAL = "internal"


class PublicityState(StrEnum):
    IN_PUBLICITY = "公示中"
    NOT_STARTED = "未到公示期"
    EXPIRED = "已过公示期"
    NOT_PUBLICISED = "不予公示"
    REPAIRED = "已修复（终止公示）"


def record_title(record: Record, catalog: Catalog) -> str:
    """How a record is named to applicants and reviewers: its decision number (or other
    title field), else the record type's Chinese name (``环境信用评价：红色``)."""
    rt = catalog.get(record.record_type)
    type_name = rt.name if rt else record.record_type
    values = record.fields or {}
    key = next((k for k in TITLE_FIELDS if values.get(k)), None)
    if key is None:
        return type_name
    return f"{type_name}：{values[key]}" if key in _VALUE_TITLES else str(values[key])


def publicity_state(record: Record, as_of: date) -> PublicityState:
    """Where ``as_of`` falls in the record's publicity window (SQL: ``predicates.in_publicity``).
    A repair is final: whatever ``as_of`` is asked, a repaired record stays repaired."""
    if record.repaired_on is not None:
        return PublicityState.REPAIRED
    if not record.publicised:
        return PublicityState.NOT_PUBLICISED
    if record.publicity_starts_on and as_of < record.publicity_starts_on:
        return PublicityState.NOT_STARTED
    if record.publicity_ends_on and as_of > record.publicity_ends_on:
        return PublicityState.EXPIRED
    return PublicityState.IN_PUBLICITY


def view_for(principal: Principal, subject: Subject) -> View:
    """Internal roles see everything; an enterprise account its own file; a bank what the
    subject authorized; others the public."""
    if principal.is_internal:
        return View.INTERNAL
    if principal.role is Role.ENTERPRISE and principal.subject_id == subject.id:
        return View.SELF
    if principal.role is Role.BANK:
        return View.AUTHORIZED
    return View.PUBLIC


def is_third_party(view: View) -> bool:
    """The public and an authorized third party (a bank): what they see is the public view,
    the bank's narrowed to the scopes the subject granted."""
    return view in (View.PUBLIC, View.AUTHORIZED)


def check_reading_date(*, third_party: bool, as_of: date, today: date) -> None:
    """Public and third-party readers see today's publicity only: ``as_of`` other than today
    would undo publicity rules (records whose period ended), so it is refused. The subject
    itself and government callers may look at another date (history)."""
    if third_party and as_of != today:
        raise AsOfNotToday()


def visible(record: Record, view: View, as_of: date) -> bool:
    """Whether ``view`` shows ``record``: a third party only records in publicity (never
    不予公示, not yet or no longer publicised, repaired: 终止公示、停止共享); the subject and
    staff every active record."""
    if record.status is not RecordStatus.ACTIVE:
        return False
    if is_third_party(view):
        return publicity_state(record, as_of) is PublicityState.IN_PUBLICITY
    return True


def people_named(subject: Subject, record: Record | None = None) -> list[str]:
    """The natural persons' names a third-party view must not show for ``subject`` (and on
    ``record``): the subject's own when a person, and every legal representative's."""
    values = (record.fields or {}) if record is not None else {}
    names = [subject.legal_rep, values.get("legal_rep")]
    if subject.kind is SubjectKind.PERSON:
        names += [subject.name, values.get("subject_name")]
    return [n for n in names if isinstance(n, str) and n.strip()]


def display(value: Any) -> str:
    """A field's value as text: a list is joined with 、."""
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def shown_text(text: str, *, hidden_names: Sequence[str]) -> str:
    """Free text as a view shows it: ID numbers masked, and the ``hidden_names`` (persons'
    names a third party may not read) masked wherever they occur."""
    return mask_names(mask_text_ids(text), hidden_names)
