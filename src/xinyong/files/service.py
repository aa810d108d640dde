"""Composing the credit file from the layers that feed it: records and lists."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from xinyong.access.scopes import ScopeDefinitions
from xinyong.accounts.principal import Principal
from xinyong.catalog.loader import Catalog
from xinyong.lists.definitions import ListDefinitions
from xinyong.lists.schemas import ListMembership
from xinyong.lists.service import memberships
from xinyong.records.credit_file import RepairStatusFn
from xinyong.records.schemas import CreditFile, View
from xinyong.records.service import read_subject_file
from xinyong.subjects import service as subjects


class CreditFileWithLists(CreditFile):
    """信用档案 with the subject's current list memberships (the public sees public lists; an
    authorized reader sees them only with the ``lists`` scope, otherwise ``lists`` is null)."""

    lists: list[ListMembership] | None


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
    repair_status: RepairStatusFn | None = None,
) -> CreditFileWithLists:
    """The credit file of the subject with ``code`` and its list memberships on ``as_of``."""
    subject = subjects.find_by_code(session, code, secret=secret)
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
    if base.view is View.AUTHORIZED and not scope_definitions.includes(base.scopes or [], "lists"):
        return CreditFileWithLists(**base.model_dump(), lists=None)
    entries = memberships(
        session,
        definitions,
        catalog,
        subject_id=subject.id,
        as_of=as_of,
        now=now,
        public_only=base.view is View.PUBLIC,
    )
    return CreditFileWithLists(**base.model_dump(), lists=entries)
