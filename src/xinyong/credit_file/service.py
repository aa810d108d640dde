"""Use cases of the credit file: reading it in the caller's view (records and list
memberships, audited when not public) and searching subjects."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime

from sqlalchemy.orm import Session

from xinyong.access import service as access
from xinyong.access.models import QueryChannel
from xinyong.access.scopes import ScopeDefinitions
from xinyong.accounts.principal import Principal
from xinyong.audit import service as audit
from xinyong.catalog.loader import Catalog
from xinyong.credit_file.assembly import RepairStatusFn, assemble
from xinyong.credit_file.schemas import (
    CreditFile,
    CreditFileWithLists,
    SubjectPage,
    SubjectSummary,
)
from xinyong.kit.clock import local_date
from xinyong.kit.identifiers import mask_person_name
from xinyong.lists.definitions import ListDefinitions
from xinyong.lists.schemas import ListMembership
from xinyong.lists.service import memberships, without_names
from xinyong.records.describe import View, check_reading_date, is_third_party, view_for
from xinyong.rules.loader import LoadedScorecard
from xinyong.scoring.read import file_grades
from xinyong.subjects import service as subjects
from xinyong.subjects.models import Subject, SubjectKind


def _shown_record_ids(credit_file: CreditFile) -> set[int]:
    return {r.id for r in (*credit_file.good, *credit_file.bad, *credit_file.other)}


def third_party_memberships(
    found: Sequence[ListMembership],
    *,
    subject: Subject,
    view: View,
    shown_records: Collection[int],
) -> list[ListMembership]:
    """The memberships a third-party view may show: public lists only (never 重点监管); for an
    authorized reader an entry derived from a record only when that record is itself in the
    view (its scope granted, in publicity); persons' names masked in the basis."""
    shown = [
        m
        for m in found
        if m.public
        and not (
            view is View.AUTHORIZED
            and m.source_record_id is not None
            and m.source_record_id not in shown_records
        )
    ]
    return without_names(shown, subject)


def _lists_shown(
    session: Session,
    definitions: ListDefinitions,
    catalog: Catalog,
    *,
    subject: Subject,
    base: CreditFile,
    scope_definitions: ScopeDefinitions,
    as_of: date,
    now: datetime,
) -> list[ListMembership] | None:
    """The memberships the file's view may show (None: an authorized reader without the
    ``lists`` scope)."""
    if base.view is View.AUTHORIZED and not scope_definitions.includes(base.scopes or [], "lists"):
        return None
    entries = memberships(
        session,
        definitions,
        catalog,
        subject_id=subject.id,
        as_of=as_of,
        now=now,
        public_only=is_third_party(base.view),
    )
    if is_third_party(base.view):
        entries = third_party_memberships(
            entries, subject=subject, view=base.view, shown_records=_shown_record_ids(base)
        )
    return entries


def read_file(
    session: Session,
    catalog: Catalog,
    definitions: ListDefinitions,
    *,
    code: str,
    principal: Principal,
    scope_definitions: ScopeDefinitions,
    secret: bytes,
    as_of: date,
    now: datetime,
    scopes: list[str] | None = None,
    purpose: str | None = None,
    name: str | None = None,
    repair_status: RepairStatusFn | None = None,
    scorecards: Mapping[str, LoadedScorecard] | None = None,
) -> CreditFileWithLists:
    """The credit file of the subject with ``code`` and its list memberships on ``as_of``.

    A person's file is found by a non-government caller only with the person's ``name``
    (:func:`subjects.find_for_reader`); third-party views are of today only. With the models
    in force (``scorecards``) the file also shows the grades its view may see."""
    subject = subjects.find_for_reader(
        session, code, principal=principal, name=name, secret=secret, now=now
    )
    base = read_subject_file(
        session,
        catalog,
        subject=subject,
        principal=principal,
        scope_definitions=scope_definitions,
        as_of=as_of,
        now=now,
        scopes=scopes,
        purpose=purpose,
        repair_status=repair_status,
    )
    if scorecards is not None:
        base.grades = file_grades(
            session,
            catalog,
            scorecards,
            subject=subject,
            view=base.view,
            scopes=base.scopes,
            scope_definitions=scope_definitions,
            as_of=as_of,
        )
    lists = _lists_shown(
        session,
        definitions,
        catalog,
        subject=subject,
        base=base,
        scope_definitions=scope_definitions,
        as_of=as_of,
        now=now,
    )
    return CreditFileWithLists(**base.model_dump(), lists=lists)


def read_subject_file(
    session: Session,
    catalog: Catalog,
    *,
    subject: Subject,
    principal: Principal,
    scope_definitions: ScopeDefinitions,
    as_of: date,
    now: datetime,
    scopes: list[str] | None = None,
    purpose: str | None = None,
    repair_status: RepairStatusFn | None = None,
) -> CreditFile:
    """The credit file of ``subject`` in the view ``principal`` is entitled to.

    A bank needs the subject's active grant and sees only the granted ``scopes`` (all granted
    ones when none are asked for). Internal and authorized reads go to the audit log and to
    the subject's query log."""
    view = view_for(principal, subject)
    check_reading_date(third_party=is_third_party(view), as_of=as_of, today=local_date(now))
    authorization = None
    record_types = None
    if view is View.AUTHORIZED:
        authorization = access.authorized_scopes(
            session,
            principal=principal,
            subject_id=subject.id,
            requested=scopes,
            definitions=scope_definitions,
            now=now,
        )
        record_types = scope_definitions.record_types(authorization.scopes)
    credit_file = assemble(
        session,
        catalog,
        subject,
        view=view,
        as_of=as_of,
        record_types=record_types,
        repair_status=repair_status,
    )
    credit_file.scopes = authorization.scopes if authorization else None
    _log_file_read(
        session,
        principal=principal,
        subject=subject,
        view=view,
        authorization=authorization,
        purpose=purpose,
        as_of=as_of,
        now=now,
    )
    return credit_file


def _log_file_read(
    session: Session,
    *,
    principal: Principal,
    subject: Subject,
    view: View,
    authorization: access.Authorization | None,
    purpose: str | None,
    as_of: date,
    now: datetime,
) -> None:
    """Every non-public view is audited; internal and authorized ones go to the query log."""
    if view is View.PUBLIC:
        return
    granted = authorization.scopes if authorization else None
    audit.record(
        session,
        actor=principal.actor,
        actor_role=principal.role_name,
        action=f"file.read_{view.value}",
        object_type="subject",
        object_id=subject.id,
        detail={"view": view.value, "as_of": as_of.isoformat(), "scopes": granted},
        now=now,
    )
    if view in (View.INTERNAL, View.AUTHORIZED):
        access.log_read(
            session,
            principal=principal,
            subject_id=subject.id,
            channel=(
                QueryChannel.AUTHORIZED_FILE
                if view is View.AUTHORIZED
                else QueryChannel.INTERNAL_FILE
            ),
            authorization=authorization,
            purpose=purpose,
            now=now,
        )


def search_subjects(
    session: Session, *, q: str, page: int, size: int, principal: Principal, now: datetime
) -> SubjectPage:
    """Search by name or USCC; persons are listed (names masked) only to internal callers,
    and such a search is a non-public read, so it is audited."""
    result = subjects.search(
        session, q=q, page=page, size=size, include_persons=principal.is_internal
    )
    if principal.is_internal:
        audit.record(
            session,
            actor=principal.actor,
            actor_role=principal.role_name,
            action="subject.search_internal",
            object_type="subject",
            object_id=None,
            detail={"q": q, "page": page, "results": result.total},
            now=now,
        )
    return SubjectPage(
        items=[
            SubjectSummary(
                code=s.code,
                name=mask_person_name(s.name) if s.kind is SubjectKind.PERSON else s.name,
                kind=s.kind.value,
                kind_label=s.kind.label,
                district=s.district,
                status=s.status,
            )
            for s in result.items
        ],
        total=result.total,
        page=result.page,
        size=result.size,
    )
