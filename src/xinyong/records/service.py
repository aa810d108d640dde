"""Use cases of credit files: which view a caller gets, reading a file, searching subjects."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from xinyong.access import service as access
from xinyong.access.models import QueryChannel
from xinyong.access.scopes import ScopeDefinitions
from xinyong.accounts.models import Role
from xinyong.accounts.principal import Principal
from xinyong.audit import service as audit
from xinyong.catalog.loader import Catalog
from xinyong.kit.clock import local_date
from xinyong.kit.identifiers import mask_person_name
from xinyong.records.credit_file import RepairStatusFn, assemble, is_third_party
from xinyong.records.errors import AsOfNotToday
from xinyong.records.schemas import CreditFile, SubjectPage, SubjectSummary, View
from xinyong.subjects import service as subjects
from xinyong.subjects.models import Subject, SubjectKind


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


def check_reading_date(*, third_party: bool, as_of: date, today: date) -> None:
    """Public and third-party readers see today's publicity only: ``as_of`` other than today
    would undo publicity rules (records whose period ended), so it is refused. The subject
    itself and government callers may look at another date (history)."""
    if third_party and as_of != today:
        raise AsOfNotToday()


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
