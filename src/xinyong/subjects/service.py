"""Finding, creating and searching subjects.

Organisations are keyed by USCC; persons by the HMAC of their normalised ID number, so the same
person sent by two departments is one subject and the number itself is never stored.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Select, func, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xinyong.accounts.principal import Principal
from xinyong.audit import service as audit
from xinyong.db import bulk_insert, one_of
from xinyong.errors import XinyongError
from xinyong.kit.identifiers import (
    IdentifierError,
    hash_resident_id,
    mask_resident_id,
    normalise,
    validate_resident_id,
    validate_uscc,
)
from xinyong.subjects.errors import (
    InvalidSubjectCode,
    PersonNameRequired,
    PersonNotFound,
    SubjectNotFound,
)
from xinyong.subjects.models import Subject, SubjectConsent, SubjectKind, SubjectName

PERSON_CATEGORY = "自然人"
INDIVIDUAL_BUSINESS = "个体工商户"


def kind_from_uscc(uscc: str, category: str | None = None) -> tuple[SubjectKind, str | None]:
    """Subject kind and subtype from USCC positions 1–2 (GB 32100 table, DOMAIN.md §1.1)."""
    authority, entity = uscc[0], uscc[1]
    if authority == "9":
        subtype = {"2": INDIVIDUAL_BUSINESS, "3": "农民专业合作社"}.get(entity)
        if category == INDIVIDUAL_BUSINESS:
            subtype = INDIVIDUAL_BUSINESS
        return SubjectKind.ENTERPRISE, subtype
    if authority == "1":
        if entity == "1":
            return SubjectKind.GOVERNMENT, "机关"
        if entity == "2":
            return SubjectKind.INSTITUTION, None
        return SubjectKind.SOCIAL_ORG, "群众团体" if entity == "3" else None
    if authority == "A":
        return SubjectKind.INSTITUTION, "军队事业单位"
    labels = {
        "3": "司法行政登记机构",
        "5": None,
        "7": "宗教活动场所",
        "8": "工会",
        "N": "农村集体经济组织",
    }
    return SubjectKind.SOCIAL_ORG, labels.get(authority)


@dataclass(frozen=True)
class SubjectRef:
    """What a record row says about its subject, enough to find or create it."""

    name: str
    category: str | None
    uscc: str | None = None
    id_hash: str | None = None
    id_masked: str | None = None
    legal_rep: str | None = None

    @property
    def key(self) -> str:
        return self.uscc or f"P:{self.id_hash}"


def resolve_many(session: Session, refs: Iterable[SubjectRef], *, now: datetime) -> dict[str, int]:
    """Map every ref's key to a subject id, creating the missing subjects in one statement."""
    by_key: dict[str, SubjectRef] = {}
    for ref in refs:
        by_key.setdefault(ref.key, ref)
    found = _lookup(session, by_key.values())
    missing = [r for k, r in by_key.items() if k not in found]
    if missing:
        _insert_subjects(session, [_new_subject_row(r, now) for r in missing])
        found.update(_lookup(session, missing))
    return found


def _insert_subjects(session: Session, rows: list[dict[str, object]]) -> None:
    """Create subjects; one that another transaction created meanwhile (two files naming the
    same new enterprise, imported at once) is taken as it is. The fast bulk path runs in a
    savepoint; only when it clashes are the rows inserted again, skipping existing codes."""
    try:
        with session.begin_nested():
            bulk_insert(
                session, Subject.__table__, list(rows[0]), [tuple(r.values()) for r in rows]
            )
    except IntegrityError:
        dialect = session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        session.execute(insert(Subject.__table__).on_conflict_do_nothing(), rows)


def _lookup(session: Session, refs: Iterable[SubjectRef]) -> dict[str, int]:
    refs = list(refs)
    usccs = [r.uscc for r in refs if r.uscc]
    hashes = [r.id_hash for r in refs if r.id_hash and not r.uscc]
    found: dict[str, int] = {}
    for chunk in _chunks(usccs, 5000):
        rows = session.execute(
            select(Subject.id, Subject.uscc).where(one_of(session, Subject.uscc, chunk))
        )
        found.update({uscc: sid for sid, uscc in rows if uscc is not None})
    for chunk in _chunks(hashes, 5000):
        rows = session.execute(
            select(Subject.id, Subject.id_hash).where(one_of(session, Subject.id_hash, chunk))
        )
        found.update({f"P:{id_hash}": sid for sid, id_hash in rows})
    return found


def _new_subject_row(ref: SubjectRef, now: datetime) -> dict[str, object]:
    if ref.uscc:
        kind, subtype = kind_from_uscc(ref.uscc, ref.category)
    else:
        kind, subtype = SubjectKind.PERSON, None
    return {
        "kind": kind.value,
        "subtype": subtype,
        "uscc": ref.uscc,
        "id_hash": None if ref.uscc else ref.id_hash,
        "id_masked": None if ref.uscc else ref.id_masked,
        "name": ref.name,
        "legal_rep": ref.legal_rep,
        "status": "存续",
        "created_at": now,
        "updated_at": now,
    }


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


@dataclass(frozen=True)
class Registration:
    """The 登记信息 facts that update a subject's basic information."""

    name: str
    legal_rep: str | None
    status: str
    established_on: date | None
    registered_capital_wan: Decimal | None
    industry: str | None
    district: str | None
    address: str | None
    registration_authority: str | None


def apply_registration(
    session: Session, subject_id: int, reg: Registration, *, as_of: date, now: datetime
) -> None:
    """Update basic information; a changed name closes the old name and opens the new one."""
    subject = session.get(Subject, subject_id)
    if subject is None:
        raise SubjectNotFound()
    if subject.name != reg.name:
        current = session.scalars(
            select(SubjectName).where(
                SubjectName.subject_id == subject_id, SubjectName.valid_to.is_(None)
            )
        ).first()
        if current is None:
            session.add(
                SubjectName(
                    subject_id=subject_id,
                    name=subject.name,
                    valid_from=None,
                    valid_to=as_of,
                    recorded_at=now,
                )
            )
        else:
            current.valid_to = as_of
        session.add(
            SubjectName(subject_id=subject_id, name=reg.name, valid_from=as_of, recorded_at=now)
        )
    subject.name = reg.name
    subject.legal_rep = reg.legal_rep or subject.legal_rep
    subject.status = reg.status
    subject.established_on = reg.established_on
    subject.registered_capital_wan = reg.registered_capital_wan
    subject.industry = reg.industry or subject.industry
    subject.district = reg.district or subject.district
    subject.address = reg.address or subject.address
    subject.registration_authority = reg.registration_authority
    subject.updated_at = now


def name_history(session: Session, subject_id: int) -> list[SubjectName]:
    return list(
        session.scalars(
            select(SubjectName).where(SubjectName.subject_id == subject_id).order_by(SubjectName.id)
        )
    )


def find_by_code(session: Session, code: str, *, secret: bytes) -> Subject:
    """A subject by USCC, or by resident ID number (hashed before the lookup).

    Raises InvalidSubjectCode (422) for a code that is neither, SubjectNotFound (404).
    """
    subject = session.scalars(subject_lookup(code, secret=secret)).first()
    if subject is None:
        raise SubjectNotFound()
    return subject


def _same_name(stored: str, given: str) -> bool:
    def clean(name: str) -> str:
        return "".join(unicodedata.normalize("NFKC", name).split())

    return bool(given.strip()) and clean(stored) == clean(given)


def find_for_reader(
    session: Session,
    code: str,
    *,
    principal: Principal,
    name: str | None,
    secret: bytes,
    now: datetime,
) -> Subject:
    """The subject a caller asks about by ``code``, found so that the answer never tells an
    outsider whether a person exists.

    Organisations' codes are public and are looked up as they are. A person is looked up by
    a government caller as is; anyone else (the public, enterprises, banks) must give the
    person's name with the ID number, as 信用中国 asks, and a wrong name gets the same 404 as
    an unknown number. Every such person look-up, found or not, is written to the audit log
    (with the number masked), and the row is kept when the answer is 404."""
    key = parse_code(code, secret=secret)
    if key.uscc is not None or principal.is_internal:
        subject = session.scalars(subject_lookup(code, secret=secret)).first()
        if subject is None:
            raise SubjectNotFound()
        return subject
    if not name or not name.strip():
        raise PersonNameRequired()
    subject = session.scalars(select(Subject).where(Subject.id_hash == key.id_hash)).first()
    found = subject is not None and _same_name(subject.name, name)
    audit.record(
        session,
        actor=principal.actor,
        actor_role=principal.role_name,
        action="subject.person_lookup",
        object_type="subject",
        object_id=subject.id if found and subject is not None else None,
        detail={"code": key.display, "found": found},
        now=now,
    )
    if subject is None or not found:
        raise PersonNotFound()
    return subject


def own_subject(
    session: Session,
    code: str,
    *,
    own_subject_id: int,
    secret: bytes,
    refused: XinyongError,
) -> Subject:
    """The caller's own subject, named by ``code``; ``refused`` for any other code, whether
    or not a subject has it (an account must not learn which ID numbers exist by naming them)."""
    key = parse_code(code, secret=secret)
    own = session.get(Subject, own_subject_id)
    if own is None:
        raise refused
    named = key.uscc == own.uscc if key.uscc is not None else key.id_hash == own.id_hash
    if not named:
        raise refused
    return own


@dataclass(frozen=True)
class SubjectKey:
    """A parsed subject code: the USCC, or the keyed hash of a resident ID number together
    with its masked form (the only forms xinyong keeps)."""

    uscc: str | None
    id_hash: str | None
    display: str


def parse_code(code: str, *, secret: bytes) -> SubjectKey:
    """USCC first; an 18-character number that is not a valid USCC is taken as a resident ID
    number. Raises InvalidSubjectCode naming the reading the input is closer to; messages
    never repeat the number."""
    compact = normalise(code)
    try:
        uscc = validate_uscc(compact)
        return SubjectKey(uscc=uscc, id_hash=None, display=uscc)
    except IdentifierError as error:
        uscc_error = error
        if not (len(compact) in (15, 18) and compact[:15].isdigit()):
            raise InvalidSubjectCode(uscc_error.code, uscc_error.message) from None
    try:
        number = validate_resident_id(compact)
    except IdentifierError as id_error:
        # Neither reading holds: name the one the input is closer to. A real birth date with a
        # wrong last character is a mistyped ID number; a well-formed code with a wrong check
        # character is a mistyped USCC; a 15-digit or dated number is an ID; else a USCC.
        if id_error.code == "resident_id.check_digit":
            closer = id_error
        elif uscc_error.code == "uscc.check_digit":
            closer = uscc_error
        elif id_error.code in ("resident_id.legacy_15", "resident_id.birth_date"):
            closer = id_error
        else:
            closer = uscc_error
        raise InvalidSubjectCode(closer.code, closer.message) from None
    return SubjectKey(
        uscc=None, id_hash=hash_resident_id(number, secret), display=mask_resident_id(number)
    )


def subject_lookup(code: str, *, secret: bytes) -> Select[Subject]:
    """The select for a code (:func:`parse_code`)."""
    key = parse_code(code, secret=secret)
    if key.uscc is not None:
        return select(Subject).where(Subject.uscc == key.uscc)
    return select(Subject).where(Subject.id_hash == key.id_hash)


def find_many(session: Session, keys: Iterable[SubjectKey]) -> dict[SubjectKey, Subject]:
    """The subjects of ``keys`` in two queries; unknown keys are absent."""
    wanted = list(dict.fromkeys(keys))
    by_uscc = [k.uscc for k in wanted if k.uscc]
    by_hash = [k.id_hash for k in wanted if k.id_hash]
    found: dict[str, Subject] = {}
    if by_uscc:
        found.update(
            (s.uscc, s)
            for s in session.scalars(select(Subject).where(one_of(session, Subject.uscc, by_uscc)))
            if s.uscc is not None  # always: the query matched on it (narrows for the type)
        )
    if by_hash:
        found.update(
            (s.id_hash, s)
            for s in session.scalars(
                select(Subject).where(one_of(session, Subject.id_hash, by_hash))
            )
            if s.id_hash is not None  # always, as above
        )
    return {k: found[k.uscc or k.id_hash or ""] for k in wanted if (k.uscc or k.id_hash) in found}


@dataclass(frozen=True)
class SearchPage:
    items: list[Subject]
    total: int
    page: int
    size: int


def search(
    session: Session,
    *,
    q: str,
    page: int,
    size: int,
    include_persons: bool,
) -> SearchPage:
    """Subjects whose name contains ``q`` or whose USCC starts with it.

    Persons are found by name only for internal callers; the public finds organisations.
    """
    term = q.strip()
    stmt = select(Subject)
    if term:
        code = normalise(term)
        stmt = stmt.where(
            or_(
                Subject.name.contains(term, autoescape=True),
                Subject.uscc.startswith(code, autoescape=True),
            )
        )
    if not include_persons:
        stmt = stmt.where(Subject.kind != SubjectKind.PERSON)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = list(
        session.scalars(
            stmt.order_by(Subject.name, Subject.id).offset((page - 1) * size).limit(size)
        )
    )
    return SearchPage(items, total, page, size)


PERSONAL_SCORE = "personal_score"


def grant_consent(
    session: Session, subject: Subject, *, purpose: str, channel: str, now: datetime
) -> SubjectConsent:
    """Record the subject's authorisation for ``purpose`` (idempotent while one is in force)."""
    current = active_consent(session, subject.id, purpose=purpose)
    if current is not None:
        return current
    consent = SubjectConsent(
        subject_id=subject.id, purpose=purpose, channel=channel, granted_at=now
    )
    session.add(consent)
    session.flush()
    return consent


def revoke_consent(session: Session, subject: Subject, *, purpose: str, now: datetime) -> bool:
    """Withdraw the authorisation; False when none was in force."""
    current = active_consent(session, subject.id, purpose=purpose)
    if current is None:
        return False
    current.revoked_at = now
    session.flush()
    return True


def active_consent(session: Session, subject_id: int, *, purpose: str) -> SubjectConsent | None:
    return session.scalars(
        select(SubjectConsent).where(
            SubjectConsent.subject_id == subject_id,
            SubjectConsent.purpose == purpose,
            SubjectConsent.revoked_at.is_(None),
        )
    ).first()
