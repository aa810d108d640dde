"""Use cases of lists: memberships for the credit file, public list pages, manual entries and
red/black conflicts.

Entries come from :mod:`xinyong.lists.entries` (computed from records at query time). When a
subject is on a list and on one of the lists that suppress it (red and black at once), the
suppressing list wins: the suppressed membership is reported with ``suppressed_by`` and left
off the suppressed list's page, and a conflict is opened for an admin (《上海市社会信用条例》
Art 25, 32: the black-list measures apply; an incentive cannot stand beside them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from xinyong.accounts.principal import Principal
from xinyong.audit import service as audit
from xinyong.catalog.loader import Catalog
from xinyong.kit.clock import local_date
from xinyong.kit.identifiers import mask_person_name
from xinyong.lists.definitions import ListDefinition, ListDefinitions
from xinyong.lists.entries import ListEntry, entries_query, fetch_entries
from xinyong.lists.errors import (
    ConflictNotFound,
    EntryNotFound,
    InvalidPeriod,
    ListAdminOnly,
    ListLoginRequired,
    ListNotPublic,
    UnknownList,
)
from xinyong.lists.models import ListConflict, ManualListEntry
from xinyong.lists.schemas import (
    ListedSubject,
    ListEntryRead,
    ListMembership,
    ListPage,
    ManualEntryCreate,
    SubjectLists,
)
from xinyong.records.describe import check_reading_date, people_named, shown_text
from xinyong.subjects import service as subjects
from xinyong.subjects.models import Subject, SubjectKind


def require_admin(principal: Principal) -> None:
    """Manual entries and conflicts are the credit office's (信用办) business."""
    principal.require_admin(ListAdminOnly())


def list_definition(definitions: ListDefinitions, list_id: str) -> ListDefinition:
    definition = definitions.get(list_id)
    if definition is None:
        raise UnknownList(list_id)
    return definition


def check_readable(
    definition: ListDefinition, principal: Principal, *, as_of: date, today: date
) -> None:
    """Public lists are open to anyone, as of today (a past date would bring back entries that
    have ended); the others, and other dates, to government callers only."""
    check_reading_date(third_party=not principal.is_internal, as_of=as_of, today=today)
    if definition.public:
        return
    if principal.is_anonymous:
        raise ListLoginRequired()
    if not principal.is_internal:
        raise ListNotPublic()


def _display_name(subject: Subject) -> str:
    return mask_person_name(subject.name) if subject.kind is SubjectKind.PERSON else subject.name


# --- conflicts --------------------------------------------------------------------------------


def _suppressions(
    definitions: ListDefinitions, entries: Iterable[ListEntry]
) -> dict[tuple[int, str], str]:
    """(subject, suppressed list) → the list that wins, among ``entries``."""
    on: dict[int, set[str]] = defaultdict(set)
    for e in entries:
        on[e.subject_id].add(e.list_id)
    out: dict[tuple[int, str], str] = {}
    for subject_id, lists in on.items():
        for definition in definitions.lists:
            winner = definitions.suppressor(definition.id, lists)
            if winner is not None:
                out[(subject_id, definition.id)] = winner
    return out


def _flag(session: Session, latest_start: dict[int, date], *, now: datetime) -> list[ListConflict]:
    """Open a conflict for each subject unless one is open, or one was resolved on or after
    the latest start of the entries in conflict (what the admin already looked at). Flush
    only."""
    if not latest_start:
        return []
    known: dict[int, list[ListConflict]] = defaultdict(list)
    for c in session.scalars(
        select(ListConflict).where(ListConflict.subject_id.in_(list(latest_start)))
    ):
        known[c.subject_id].append(c)
    opened = []
    for subject_id, start in sorted(latest_start.items()):
        seen = known[subject_id]
        if any(c.resolved_at is None for c in seen):
            continue
        if any(c.resolved_at and local_date(c.resolved_at) >= start for c in seen):
            continue
        conflict = ListConflict(subject_id=subject_id, first_seen_at=now)
        session.add(conflict)
        opened.append(conflict)
    session.flush()
    return opened


def _latest_starts(
    entries: Iterable[ListEntry], suppressions: dict[tuple[int, str], str]
) -> dict[int, date]:
    """Per subject in conflict, the latest start among its entries on the lists in conflict."""
    in_conflict: dict[int, set[str]] = defaultdict(set)
    for (subject_id, loser), winner in suppressions.items():
        in_conflict[subject_id] |= {loser, winner}
    latest: dict[int, date] = {}
    for e in entries:
        if e.list_id in in_conflict.get(e.subject_id, ()):
            latest[e.subject_id] = max(latest.get(e.subject_id, e.starts_on), e.starts_on)
    return latest


def flag_conflicts(
    session: Session,
    definitions: ListDefinitions,
    catalog: Catalog,
    *,
    as_of: date,
    now: datetime,
) -> list[ListConflict]:
    """Open a conflict for every subject on a list and on a list that suppresses it on
    ``as_of`` (red and black at once), unless one is already open. Flush only."""
    involved = {x.id for x in definitions.lists if x.suppressed_by} | {
        s for x in definitions.lists for s in x.suppressed_by
    }
    dialect = session.get_bind().dialect.name
    candidates: set[int] = set()
    for definition in definitions.lists:
        for winner in definition.suppressed_by:
            loser_q = entries_query(
                definitions, catalog, list_id=definition.id, as_of=as_of, dialect=dialect
            ).subquery()
            winner_q = entries_query(
                definitions, catalog, list_id=winner, as_of=as_of, dialect=dialect
            ).subquery()
            both = session.scalars(
                select(loser_q.c.subject_id)
                .distinct()
                .where(loser_q.c.subject_id.in_(select(winner_q.c.subject_id)))
            )
            candidates |= set(both)
    if not candidates:
        return []
    entries = [
        e
        for e in fetch_entries(
            session, definitions, catalog, list_id=None, as_of=as_of, subject_ids=candidates
        )
        if e.list_id in involved
    ]
    suppressions = _suppressions(definitions, entries)
    return _flag(session, _latest_starts(entries, suppressions), now=now)


def open_conflicts(
    session: Session,
    definitions: ListDefinitions,
    catalog: Catalog,
    *,
    as_of: date,
    now: datetime,
) -> list[tuple[ListConflict, Subject]]:
    """The conflicts an admin has to look at, after flagging those present on ``as_of``."""
    flag_conflicts(session, definitions, catalog, as_of=as_of, now=now)
    rows = session.execute(
        select(ListConflict, Subject)
        .join(Subject, Subject.id == ListConflict.subject_id)
        .where(ListConflict.resolved_at.is_(None))
        .order_by(ListConflict.first_seen_at, ListConflict.id)
    )
    return [(c, s) for c, s in rows]


def resolve_conflict(
    session: Session, *, principal: Principal, conflict_id: int, note: str, now: datetime
) -> ListConflict:
    """Close a conflict with the admin's note; audited. It is not raised again for the same
    entries, only when an entry starting after the resolution puts the subject on both."""
    require_admin(principal)
    conflict = session.get(ListConflict, conflict_id)
    if conflict is None or conflict.resolved_at is not None:
        raise ConflictNotFound()
    conflict.resolved_at, conflict.resolved_by, conflict.note = now, principal.actor, note
    session.flush()
    audit.record(
        session,
        actor=principal.actor,
        actor_role=principal.role_name,
        action="lists.conflict_resolve",
        object_type="list_conflict",
        object_id=conflict.id,
        detail={"subject_id": conflict.subject_id, "note": note},
        now=now,
    )
    return conflict


# --- reading ----------------------------------------------------------------------------------


def memberships(
    session: Session,
    definitions: ListDefinitions,
    catalog: Catalog,
    *,
    subject_id: int,
    as_of: date,
    now: datetime,
    public_only: bool = False,
) -> list[ListMembership]:
    """The subject's entries on ``as_of``, every list or (``public_only``) the public ones.

    Black wins: a red membership while the subject is on black is reported with
    ``suppressed_by="black"``, and a conflict is opened for an admin unless one is open
    (flush only; the caller's transaction commits it)."""
    return memberships_of(
        session,
        definitions,
        catalog,
        subject_ids=[subject_id],
        as_of=as_of,
        now=now,
        public_only=public_only,
    ).get(subject_id, [])


def memberships_of(
    session: Session,
    definitions: ListDefinitions,
    catalog: Catalog,
    *,
    subject_ids: Collection[int],
    as_of: date,
    now: datetime,
    public_only: bool = False,
) -> dict[int, list[ListMembership]]:
    """:func:`memberships` of many subjects in one query: subject id → its memberships
    (subjects on no list are absent)."""
    entries = fetch_entries(
        session, definitions, catalog, list_id=None, as_of=as_of, subject_ids=subject_ids
    )
    suppressions = _suppressions(definitions, entries)
    if suppressions:
        _flag(session, _latest_starts(entries, suppressions), now=now)
    out: dict[int, list[ListMembership]] = defaultdict(list)
    for e in entries:
        definition = definitions.get(e.list_id)
        if definition is None or (public_only and not definition.public):
            continue
        out[e.subject_id].append(
            ListMembership(
                list_id=e.list_id,
                list_name=definition.name,
                public=definition.public,
                starts_on=e.starts_on,
                ends_on=e.ends_on,
                basis=e.basis,
                reference=e.reference,
                source_record_id=e.source_record_id,
                rule_id=e.rule_id,
                manual_entry_id=e.manual_entry_id,
                suppressed_by=suppressions.get((e.subject_id, e.list_id)),
            )
        )
    return dict(out)


def _listed_page(
    session: Session,
    definitions: ListDefinitions,
    catalog: Catalog,
    definition: ListDefinition,
    *,
    as_of: date,
    page: int,
    size: int,
) -> tuple[int, list[Any]]:
    """How many subjects are on the list on ``as_of`` (those on a list suppressing it left
    off), and one page of them, most recently listed first: (subject_id, Subject) rows."""
    dialect = session.get_bind().dialect.name
    entries = entries_query(
        definitions, catalog, list_id=definition.id, as_of=as_of, dialect=dialect
    ).subquery("entries")
    listed = select(entries.c.subject_id, func.max(entries.c.starts_on).label("latest")).group_by(
        entries.c.subject_id
    )
    for winner in definition.suppressed_by:
        winning = entries_query(
            definitions, catalog, list_id=winner, as_of=as_of, dialect=dialect
        ).subquery(f"{winner}_entries")
        listed = listed.where(entries.c.subject_id.not_in(select(winning.c.subject_id)))
    listed_q = listed.subquery("listed")
    total = session.scalar(select(func.count()).select_from(listed_q)) or 0
    page_rows = session.execute(
        select(listed_q.c.subject_id, Subject)
        .join(Subject, Subject.id == listed_q.c.subject_id)
        .order_by(listed_q.c.latest.desc(), listed_q.c.subject_id)
        .offset((page - 1) * size)
        .limit(size)
    ).all()
    return total, list(page_rows)


def _listed(subject: Subject, entries: Sequence[ListEntry], *, outside: bool) -> ListedSubject:
    """One subject of a list page. Outside government no person is named, in the name or in
    a basis (a manual entry's basis is an admin's free text)."""
    hidden = people_named(subject) if outside else ()
    return ListedSubject(
        code=subject.code,
        name=_display_name(subject),
        kind=subject.kind.value,
        kind_label=subject.kind.label,
        entries=[
            ListEntryRead(
                starts_on=e.starts_on,
                ends_on=e.ends_on,
                basis=shown_text(e.basis, hidden_names=hidden) if outside else e.basis,
                reference=e.reference,
                manual=e.manual_entry_id is not None,
            )
            for e in entries
        ],
    )


def list_page(
    session: Session,
    definitions: ListDefinitions,
    catalog: Catalog,
    *,
    list_id: str,
    principal: Principal,
    as_of: date,
    page: int,
    size: int,
    now: datetime,
) -> ListPage:
    """One page of the subjects on a list on ``as_of``, most recently listed first, each with
    its entries. Subjects on a list that suppresses this one are left off (black wins over
    red). Persons' names are masked. Who may read which list on which date:
    :func:`check_readable`; reading a non-public list (重点监管) is audited."""
    definition = list_definition(definitions, list_id)
    check_readable(definition, principal, as_of=as_of, today=local_date(now))
    if not definition.public:
        audit.record(
            session,
            actor=principal.actor,
            actor_role=principal.role_name,
            action="lists.read_non_public",
            object_type="list",
            object_id=list_id,
            detail={"as_of": as_of.isoformat(), "page": page, "size": size},
            now=now,
        )
    total, page_rows = _listed_page(
        session, definitions, catalog, definition, as_of=as_of, page=page, size=size
    )
    ids = [row.subject_id for row in page_rows]
    by_subject: dict[int, list[ListEntry]] = defaultdict(list)
    if ids:
        for e in fetch_entries(
            session, definitions, catalog, list_id=list_id, as_of=as_of, subject_ids=ids
        ):
            by_subject[e.subject_id].append(e)
    outside = not principal.is_internal
    return ListPage(
        list_id=definition.id,
        list_name=definition.name,
        reference=definition.reference,
        as_of=as_of,
        items=[_listed(r.Subject, by_subject[r.subject_id], outside=outside) for r in page_rows],
        total=total,
        page=page,
        size=size,
    )


# --- manual entries ---------------------------------------------------------------------------


def add_manual_entry(
    session: Session,
    definitions: ListDefinitions,
    *,
    principal: Principal,
    list_id: str,
    data: ManualEntryCreate,
    secret: bytes,
    now: datetime,
) -> tuple[ManualListEntry, Subject]:
    """Put a subject on a list by hand (admins only) with a written basis."""
    require_admin(principal)
    list_definition(definitions, list_id)
    check_period(data.starts_on, data.ends_on)
    subject = subjects.find_by_code(session, data.subject_code, secret=secret)
    entry = add_entry(
        session,
        list_id=list_id,
        subject_id=subject.id,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        basis=data.basis,
        reference=data.reference,
        principal=principal,
        now=now,
    )
    return entry, subject


def check_period(starts_on: date, ends_on: date | None) -> None:
    """An entry ends on or after the day it starts (open-ended when it has no end)."""
    if ends_on is not None and ends_on < starts_on:
        raise InvalidPeriod()


def add_entry(
    session: Session,
    *,
    list_id: str,
    subject_id: int,
    starts_on: date,
    ends_on: date | None,
    basis: str,
    reference: str | None,
    principal: Principal,
    now: datetime,
) -> ManualListEntry:
    """The one way onto a list outside its criteria: an admin's entry or a department's
    feedback that it applied key supervision. The entry counts from ``starts_on`` until
    ``ends_on`` unless revoked; who entered it and on what basis is audited. Whoever calls
    has already decided that ``principal`` may."""
    check_period(starts_on, ends_on)
    entry = ManualListEntry(
        subject_id=subject_id,
        list_id=list_id,
        starts_on=starts_on,
        ends_on=ends_on,
        basis=basis,
        reference=reference,
        created_by=principal.actor,
        created_at=now,
    )
    session.add(entry)
    session.flush()
    audit.record(
        session,
        actor=principal.actor,
        actor_role=principal.role_name,
        action="lists.entry_add",
        object_type="manual_list_entry",
        object_id=entry.id,
        detail=_entry_detail(entry),
        now=now,
    )
    return entry


def covering_entry(
    session: Session, *, list_id: str, subject_id: int, until: date
) -> ManualListEntry | None:
    """A manual entry in force that keeps the subject on the list at least until ``until``."""
    return session.scalars(
        select(ManualListEntry).where(
            ManualListEntry.subject_id == subject_id,
            ManualListEntry.list_id == list_id,
            ManualListEntry.revoked_at.is_(None),
            or_(ManualListEntry.ends_on.is_(None), ManualListEntry.ends_on >= until),
        )
    ).first()


def revoke_manual_entry(
    session: Session,
    *,
    principal: Principal,
    list_id: str,
    entry_id: int,
    now: datetime,
) -> ManualListEntry:
    """Take a manual entry off its list (admins only); kept for history, audited."""
    require_admin(principal)
    entry = session.get(ManualListEntry, entry_id)
    if entry is None or entry.list_id != list_id or entry.revoked_at is not None:
        raise EntryNotFound()
    entry.revoked_at = now
    session.flush()
    audit.record(
        session,
        actor=principal.actor,
        actor_role=principal.role_name,
        action="lists.entry_revoke",
        object_type="manual_list_entry",
        object_id=entry.id,
        detail=_entry_detail(entry),
        now=now,
    )
    return entry


def _entry_detail(entry: ManualListEntry) -> dict[str, Any]:
    return {
        "list_id": entry.list_id,
        "subject_id": entry.subject_id,
        "starts_on": entry.starts_on,
        "ends_on": entry.ends_on,
        "basis": entry.basis,
        "reference": entry.reference,
    }


def without_names(found: Sequence[ListMembership], subject: Subject) -> list[ListMembership]:
    """Memberships as an outsider may read them: no person named in a basis (an admin's
    manual basis is free text), the subject's name and legal representatives masked."""
    hidden = people_named(subject)
    return [m.model_copy(update={"basis": shown_text(m.basis, hidden_names=hidden)}) for m in found]


def subject_lists(
    session: Session,
    definitions: ListDefinitions,
    catalog: Catalog,
    *,
    code: str,
    principal: Principal,
    secret: bytes,
    as_of: date,
    now: datetime,
    name: str | None = None,
) -> SubjectLists:
    """The lists the subject with ``code`` is on: government callers see every list on any
    date (and the read is audited), everyone else the public lists as of today only, with
    persons' names masked (a person found only with the name, as for the credit file)."""
    internal = principal.is_internal
    check_reading_date(third_party=not internal, as_of=as_of, today=local_date(now))
    subject = subjects.find_for_reader(
        session, code, principal=principal, name=name, secret=secret, now=now
    )
    found = memberships(
        session,
        definitions,
        catalog,
        subject_id=subject.id,
        as_of=as_of,
        now=now,
        public_only=not internal,
    )
    if internal:
        audit.record(
            session,
            actor=principal.actor,
            actor_role=principal.role_name,
            action="lists.read_internal",
            object_type="subject",
            object_id=subject.id,
            detail={"as_of": as_of.isoformat(), "lists": sorted({m.list_id for m in found})},
            now=now,
        )
    else:
        found = without_names(found, subject)
    return SubjectLists(
        code=subject.code,
        name=subject.name if internal else _display_name(subject),
        as_of=as_of,
        memberships=found,
    )
