"""Composing the credit file from the layers that feed it: records and lists."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime

from sqlalchemy.orm import Session

from xinyong.access.scopes import ScopeDefinitions
from xinyong.accounts.principal import Principal
from xinyong.catalog.loader import Catalog
from xinyong.lists.definitions import ListDefinitions
from xinyong.lists.schemas import ListMembership
from xinyong.lists.service import memberships, without_names
from xinyong.records.credit_file import (
    RepairStatusFn,
    is_third_party,
)
from xinyong.records.schemas import CreditFile, View
from xinyong.records.service import read_subject_file
from xinyong.rules.loader import LoadedScorecard
from xinyong.scoring.read import file_grades
from xinyong.subjects import service as subjects
from xinyong.subjects.models import Subject


class CreditFileWithLists(CreditFile):
    """信用档案 with the subject's current list memberships (the public sees public lists; an
    authorized reader sees them only with the ``lists`` scope, otherwise ``lists`` is null)."""

    lists: list[ListMembership] | None


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
