"""Use cases of credit files: which view a caller gets, reading a file, searching subjects."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from xinyong.accounts.models import Role
from xinyong.accounts.principal import Principal
from xinyong.audit import service as audit
from xinyong.catalog.loader import Catalog
from xinyong.kit.identifiers import mask_person_name
from xinyong.records.credit_file import assemble
from xinyong.records.schemas import CreditFile, SubjectPage, SubjectSummary, View
from xinyong.subjects import service as subjects
from xinyong.subjects.models import Subject, SubjectKind


def view_for(principal: Principal, subject: Subject) -> View:
    """Internal roles see everything; an enterprise account its own file; others the public."""
    if principal.is_internal:
        return View.INTERNAL
    if principal.role is Role.ENTERPRISE and principal.subject_id == subject.id:
        return View.SELF
    return View.PUBLIC


def read_subject_file(
    session: Session,
    catalog: Catalog,
    *,
    subject: Subject,
    principal: Principal,
    as_of: date,
    now: datetime,
) -> CreditFile:
    """The credit file of ``subject`` in the view ``principal`` is entitled to."""
    view = view_for(principal, subject)
    credit_file = assemble(session, catalog, subject, view=view, as_of=as_of)
    if view is not View.PUBLIC:
        audit.record(
            session,
            actor=principal.actor,
            actor_role=principal.role.value if principal.role else None,
            action=f"file.read_{view.value}",
            object_type="subject",
            object_id=subject.id,
            detail={"view": view.value, "as_of": as_of.isoformat()},
            now=now,
        )
    return credit_file


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
            actor_role=principal.role.value if principal.role else None,
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
