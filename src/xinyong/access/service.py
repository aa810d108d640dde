"""Authorizations (授权) and the query log (查询登记).

An enterprise grants an organisation (a bank) scopes of its file for a purpose and at most 365
days; it can revoke at any time. A bank's read passes only with an active grant and only for
the scopes granted. Every non-public read of a subject, whoever makes it, is written to the
query log, which the subject itself can read.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, exists, func, select, true
from sqlalchemy.orm import Session

from xinyong.access.errors import (
    GrantEnterpriseOnly,
    GrantExpired,
    GrantNotFound,
    GrantOnlyOwnFile,
    GrantRevoked,
    GrantTooLong,
    NoGrant,
    QueryLogForbidden,
    ScopeNotGranted,
    UnknownGrantee,
)
from xinyong.access.models import CHANNEL_LABELS, Grant, QueryChannel, QueryLogEntry
from xinyong.access.schemas import GrantCreate, GrantRead, GrantStatus, QueryLogItem, QueryLogPage
from xinyong.access.scopes import ScopeDefinitions
from xinyong.accounts.models import ApiKey, Department, Role, User
from xinyong.accounts.principal import Principal
from xinyong.audit import service as audit
from xinyong.errors import Unauthorized
from xinyong.kit.clock import aware
from xinyong.subjects import service as subjects
from xinyong.subjects.models import Subject

MAX_GRANT_DAYS: Final = 365
# The purpose recorded for a government read that gives none.
INTERNAL_PURPOSE: Final = "政府部门履职查询"


@dataclass(frozen=True)
class GrantUse:
    """One grant behind a read: the scopes it allowed in this read, and its purpose."""

    grant_id: int
    purpose: str
    scopes: list[str]

    @property
    def reference(self) -> str:
        return f"grant:{self.grant_id}"


@dataclass(frozen=True)
class Authorization:
    """What a bank reads of one subject now (``scopes``), for each scope the grant that allows
    it (the newest active grant naming that scope), and every scope its active grants give."""

    scopes: list[str]
    uses: list[GrantUse]
    granted: list[str]


def grant_status(grant: Grant, now: datetime) -> GrantStatus:
    if grant.revoked_at is not None:
        return "revoked"
    if grant.expires_at <= now:
        return "expired"
    return "active"


def _require_enterprise(principal: Principal) -> int:
    if principal.is_anonymous:
        raise Unauthorized()
    if principal.role is not Role.ENTERPRISE or principal.subject_id is None:
        raise GrantEnterpriseOnly()
    return principal.subject_id


def _grantee(session: Session, code: str) -> Department:
    """The organisation to grant to: registered, with at least one usable bank account."""
    department = session.scalar(select(Department).where(Department.code == code))
    if department is None:
        raise UnknownGrantee(code)
    has_bank_user = exists().where(
        User.department_id == department.id, User.role == Role.BANK, User.active.is_(True)
    )
    has_bank_key = exists().where(
        ApiKey.department_id == department.id,
        ApiKey.role == Role.BANK,
        ApiKey.revoked_at.is_(None),
    )
    if not session.scalar(select(has_bank_user | has_bank_key)):
        raise UnknownGrantee(code)
    return department


def _read(grant: Grant, subject: Subject, grantee: Department, now: datetime) -> GrantRead:
    return GrantRead(
        id=grant.id,
        subject_code=subject.code,
        subject_name=subject.name,
        grantee_code=grantee.code,
        grantee_name=grantee.name,
        scopes=list(grant.scopes),
        purpose=grant.purpose,
        granted_at=grant.granted_at,
        expires_at=grant.expires_at,
        revoked_at=grant.revoked_at,
        status=grant_status(grant, now),
    )


def create_grant(
    session: Session,
    definitions: ScopeDefinitions,
    *,
    principal: Principal,
    data: GrantCreate,
    secret: bytes,
    now: datetime,
) -> GrantRead:
    """The enterprise behind ``principal`` grants ``data.grantee_code`` the scopes asked for."""
    own_subject_id = _require_enterprise(principal)
    if data.days > MAX_GRANT_DAYS:
        raise GrantTooLong(data.days, MAX_GRANT_DAYS)
    scopes = definitions.check(data.scopes)
    subject = subjects.own_subject(
        session,
        data.subject_code,
        own_subject_id=own_subject_id,
        secret=secret,
        refused=GrantOnlyOwnFile(),
    )
    grantee = _grantee(session, data.grantee_code)
    grant = Grant(
        subject_id=subject.id,
        grantee_department_id=grantee.id,
        scopes=scopes,
        purpose=data.purpose,
        granted_by=principal.actor,
        granted_at=now,
        expires_at=now + timedelta(days=data.days),
    )
    session.add(grant)
    session.flush()
    audit.record(
        session,
        actor=principal.actor,
        actor_role=principal.role_name,
        action="access.grant",
        object_type="grant",
        object_id=grant.id,
        detail={
            "subject_id": subject.id,
            "grantee": grantee.code,
            "scopes": scopes,
            "purpose": data.purpose,
            "expires_at": grant.expires_at,
        },
        now=now,
    )
    return _read(grant, subject, grantee, now)


def revoke_grant(
    session: Session, *, principal: Principal, grant_id: int, now: datetime
) -> GrantRead:
    """The granting enterprise withdraws a grant; reads stop at once. Revoking twice keeps the
    first time."""
    own_subject_id = _require_enterprise(principal)
    grant = session.get(Grant, grant_id)
    if grant is None or grant.subject_id != own_subject_id:
        raise GrantNotFound()
    if grant.revoked_at is None:
        grant.revoked_at = now
        grant.revoked_by = principal.actor
        session.flush()
        audit.record(
            session,
            actor=principal.actor,
            actor_role=principal.role_name,
            action="access.revoke",
            object_type="grant",
            object_id=grant.id,
            detail={"subject_id": grant.subject_id},
            now=now,
        )
    subject = session.get_one(Subject, grant.subject_id)
    grantee = session.get_one(Department, grant.grantee_department_id)
    return _read(grant, subject, grantee, now)


def _grants_visible_to(principal: Principal) -> ColumnElement[bool]:
    if principal.is_anonymous:
        raise Unauthorized()
    if principal.is_admin:
        return true()
    if principal.role is Role.ENTERPRISE and principal.subject_id is not None:
        return Grant.subject_id == principal.subject_id
    if principal.role is Role.BANK and principal.department_code:
        return Department.code == principal.department_code
    raise GrantEnterpriseOnly()


def list_grants(session: Session, *, principal: Principal, now: datetime) -> list[GrantRead]:
    """Grants the caller may see: an enterprise its own, a bank those to its organisation, an
    admin all; newest first."""
    condition = _grants_visible_to(principal)
    rows = session.execute(
        select(Grant, Subject, Department)
        .join(Subject, Subject.id == Grant.subject_id)
        .join(Department, Department.id == Grant.grantee_department_id)
        .where(condition)
        .order_by(Grant.granted_at.desc(), Grant.id.desc())
        .limit(1000)
    )
    return [_read(g, s, d, now) for g, s, d in rows]


def authorized_scopes(
    session: Session,
    *,
    principal: Principal,
    subject_id: int,
    requested: Sequence[str] | None,
    definitions: ScopeDefinitions,
    now: datetime,
) -> Authorization:
    """The scopes a bank may read now: the union of the organisation's active grants by the
    subject, narrowed to ``requested``. No grant, only expired or only revoked ones, or a
    requested scope outside the grants: 403 with a code saying which."""
    wanted = definitions.check(requested, field_name="scopes") if requested else None
    grants = (
        session.scalars(
            select(Grant)
            .join(Department, Department.id == Grant.grantee_department_id)
            .where(Grant.subject_id == subject_id, Department.code == principal.department_code)
            .order_by(Grant.granted_at.desc(), Grant.id.desc())
        ).all()
        if principal.department_code
        else []
    )
    active = [g for g in grants if grant_status(g, now) == "active"]
    if not active:
        if not grants:
            raise NoGrant()
        if grant_status(grants[0], now) == "revoked":
            raise GrantRevoked()
        raise GrantExpired()
    granted = {s for g in active for s in g.scopes}
    missing = [s for s in wanted or [] if s not in granted]
    if missing:
        raise ScopeNotGranted(missing)
    scopes = wanted if wanted is not None else [s for s in definitions.ids if s in granted]
    return Authorization(
        scopes=scopes,
        uses=grant_uses(active, scopes),
        granted=[s for s in definitions.ids if s in granted],
    )


def grant_uses(active: Sequence[Grant], scopes: Sequence[str]) -> list[GrantUse]:
    """Attribute each scope read to the newest of the ``active`` grants (newest first) that
    names it; one use per grant that allowed something, in the order of ``scopes``."""
    owner: dict[str, Grant] = {}
    for scope in scopes:
        grant = next((g for g in active if scope in g.scopes), None)
        if grant is not None:
            owner[scope] = grant
    uses: dict[int, GrantUse] = {}
    for scope, grant in owner.items():
        use = uses.setdefault(grant.id, GrantUse(grant.id, grant.purpose, []))
        use.scopes.append(scope)
    return list(uses.values())


def log_queries(
    session: Session,
    *,
    principal: Principal,
    subject_ids: Sequence[int],
    channel: QueryChannel,
    purpose: str,
    now: datetime,
    references: Sequence[str | None],
    scopes: Sequence[str] | None = None,
) -> None:
    """Lines of the query log, one per subject, in one statement (a batch check logs many)."""
    if not subject_ids:
        return
    session.execute(
        QueryLogEntry.__table__.insert(),
        [
            {
                "subject_id": subject_id,
                "at": now,
                "actor": principal.actor,
                "actor_role": principal.role_name,
                "actor_name": principal.name[:128],
                "organisation_code": principal.department_code,
                "channel": channel.value,
                "purpose": purpose[:200],
                "scopes": list(scopes) if scopes is not None else None,
                "reference": reference,
            }
            for subject_id, reference in zip(subject_ids, references, strict=True)
        ],
    )


def log_read(
    session: Session,
    *,
    principal: Principal,
    subject_id: int,
    channel: QueryChannel,
    authorization: Authorization | None,
    purpose: str | None,
    now: datetime,
) -> None:
    """One non-public read of a subject: an authorized one as one line per grant used (the
    scopes that grant allowed, its purpose and id), a government one for the ``purpose`` it
    gave (or the generic one)."""
    if authorization is None:
        log_queries(
            session,
            principal=principal,
            subject_ids=[subject_id],
            channel=channel,
            purpose=purpose or INTERNAL_PURPOSE,
            now=now,
            references=[None],
        )
        return
    for use in authorization.uses:
        log_queries(
            session,
            principal=principal,
            subject_ids=[subject_id],
            channel=channel,
            purpose=use.purpose,
            now=now,
            references=[use.reference],
            scopes=use.scopes,
        )


def log_non_public_read(
    session: Session,
    *,
    principal: Principal,
    action: str,
    object_type: str,
    object_id: str | int | None,
    subject_ids: Collection[int],
    channel: QueryChannel,
    detail: Mapping[str, Any],
    now: datetime,
) -> None:
    """A read of non-public information (SPEC: every read of non-public data is audited): one
    audit row, and a line in the query log of every subject read by someone other than the
    subject itself (查询登记), so that a subject sees who looked at its repair applications,
    objections, commitments or check results."""
    readers_own = principal.subject_id if principal.role is Role.ENTERPRISE else None
    others = sorted({s for s in subject_ids if s != readers_own})
    audit.record(
        session,
        actor=principal.actor,
        actor_role=principal.role_name,
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail={**detail, "subjects": len(set(subject_ids))},
        now=now,
    )
    log_queries(
        session,
        principal=principal,
        subject_ids=others,
        channel=channel,
        purpose=INTERNAL_PURPOSE if principal.is_internal else channel.label,
        now=now,
        references=[f"{object_type}:{object_id}" if object_id is not None else None] * len(others),
    )


def _page(
    session: Session, condition: ColumnElement[bool], *, page: int, size: int, with_subject: bool
) -> QueryLogPage:
    total = session.scalar(select(func.count()).select_from(QueryLogEntry).where(condition)) or 0
    rows = session.execute(
        select(QueryLogEntry, Department.name, Subject)
        .join(Subject, Subject.id == QueryLogEntry.subject_id)
        .outerjoin(Department, Department.code == QueryLogEntry.organisation_code)
        .where(condition)
        .order_by(QueryLogEntry.at.desc(), QueryLogEntry.id.desc())
        .offset((page - 1) * size)
        .limit(size)
    )
    items = [
        QueryLogItem(
            at=e.at,
            subject_code=subject.code if with_subject else None,
            actor=e.actor,
            actor_name=e.actor_name,
            actor_role=e.actor_role,
            organisation_code=e.organisation_code,
            organisation_name=org_name,
            channel=e.channel,
            channel_label=CHANNEL_LABELS.get(QueryChannel(e.channel), e.channel),
            purpose=e.purpose,
            scopes=e.scopes,
            reference=e.reference,
        )
        for e, org_name, subject in rows
    ]
    return QueryLogPage(items=items, total=total, page=page, size=size)


def subject_query_log(
    session: Session,
    *,
    principal: Principal,
    code: str,
    secret: bytes,
    page: int,
    size: int,
    now: datetime,
) -> QueryLogPage:
    """Who read the subject's non-public information: the subject itself or an admin."""
    if principal.is_anonymous:
        raise Unauthorized()
    if principal.is_admin:
        subject = subjects.find_by_code(session, code, secret=secret)
    elif principal.role is Role.ENTERPRISE and principal.subject_id is not None:
        subject = subjects.own_subject(
            session,
            code,
            own_subject_id=principal.subject_id,
            secret=secret,
            refused=QueryLogForbidden(),
        )
    else:
        raise QueryLogForbidden()
    if principal.is_admin:
        audit.record(
            session,
            actor=principal.actor,
            actor_role=principal.role_name,
            action="access.query_log_read",
            object_type="subject",
            object_id=subject.id,
            detail={"page": page},
            now=now,
        )
    return _page(
        session, QueryLogEntry.subject_id == subject.id, page=page, size=size, with_subject=False
    )


def search_query_log(
    session: Session,
    *,
    principal: Principal,
    subject_code: str | None,
    organisation_code: str | None,
    channel: QueryChannel | None,
    from_at: datetime | None,
    to_at: datetime | None,
    secret: bytes,
    page: int,
    size: int,
    now: datetime,
) -> QueryLogPage:
    """The whole query log, filtered (admins only; the search itself is audited)."""
    principal.require_admin(QueryLogForbidden())
    conditions: list[ColumnElement[bool]] = []
    if subject_code:
        subject = subjects.find_by_code(session, subject_code, secret=secret)
        conditions.append(QueryLogEntry.subject_id == subject.id)
    if organisation_code:
        conditions.append(QueryLogEntry.organisation_code == organisation_code)
    if channel is not None:
        conditions.append(QueryLogEntry.channel == channel.value)
    if from_at is not None:
        conditions.append(QueryLogEntry.at >= aware(from_at))
    if to_at is not None:
        conditions.append(QueryLogEntry.at < aware(to_at))
    audit.record(
        session,
        actor=principal.actor,
        actor_role=principal.role_name,
        action="access.query_log_search",
        object_type="query_log",
        object_id=None,
        detail={
            "subject_code": subject_code,
            "organisation_code": organisation_code,
            "channel": channel.value if channel else None,
            "page": page,
        },
        now=now,
    )
    return _page(session, and_(true(), *conditions), page=page, size=size, with_subject=True)
