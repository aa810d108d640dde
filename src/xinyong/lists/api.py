"""HTTP routes of lists: list pages, a subject's memberships, manual entries, conflicts."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from xinyong.http.deps import CatalogDep, PrincipalDep, SessionDep, SettingsDep, count_person_lookup
from xinyong.http.params import PersonName, RowId
from xinyong.http.problems import problem_responses
from xinyong.kit import clock
from xinyong.lists import service
from xinyong.lists.deps import ListsDep
from xinyong.lists.models import ListConflict, ManualListEntry
from xinyong.lists.schemas import (
    ConflictRead,
    ConflictResolve,
    ListPage,
    ManualEntryCreate,
    ManualEntryRead,
    SubjectLists,
)
from xinyong.subjects.models import Subject

router = APIRouter(tags=["名单"])

ListId = Annotated[str, Path(max_length=32, description="red、black、key_supervision、abnormal")]
AsOf = Annotated[date | None, Query(description="查询日期，默认今天；政府部门以外只能查询今天")]


def _entry_read(entry: ManualListEntry, subject: Subject) -> ManualEntryRead:
    return ManualEntryRead(
        id=entry.id,
        list_id=entry.list_id,
        subject_code=subject.code,
        starts_on=entry.starts_on,
        ends_on=entry.ends_on,
        basis=entry.basis,
        reference=entry.reference,
        created_by=entry.created_by,
        created_at=entry.created_at,
        revoked_at=entry.revoked_at,
    )


def _conflict_read(conflict: ListConflict, subject: Subject) -> ConflictRead:
    return ConflictRead(
        id=conflict.id,
        subject_code=subject.code,
        subject_name=subject.name,
        first_seen_at=conflict.first_seen_at,
        resolved_at=conflict.resolved_at,
        resolved_by=conflict.resolved_by,
        note=conflict.note,
    )


# Declared before /lists/{list_id} so that "conflicts" is not taken for a list id.
@router.get(
    "/lists/conflicts",
    response_model=list[ConflictRead],
    summary="同时在红名单和黑名单上的主体（待管理员核查，管理员）",
    responses=problem_responses(401, 403, 422),
)
def get_conflicts(
    lists: ListsDep,
    session: SessionDep,
    principal: PrincipalDep,
    catalog: CatalogDep,
    as_of: AsOf = None,
) -> list[ConflictRead]:
    service.require_admin(principal)
    found = service.open_conflicts(
        session,
        lists,
        catalog,
        as_of=as_of or clock.today(),
        now=clock.now(),
    )
    return [_conflict_read(c, s) for c, s in found]


@router.post(
    "/lists/conflicts/{conflict_id}/resolve",
    response_model=ConflictRead,
    summary="处理名单冲突（管理员）",
    responses=problem_responses(401, 403, 404, 422),
)
def post_resolve_conflict(
    conflict_id: RowId, body: ConflictResolve, session: SessionDep, principal: PrincipalDep
) -> ConflictRead:
    conflict = service.resolve_conflict(
        session, principal=principal, conflict_id=conflict_id, note=body.note, now=clock.now()
    )
    return _conflict_read(conflict, session.get_one(Subject, conflict.subject_id))


@router.get(
    "/lists/{list_id}",
    response_model=ListPage,
    summary="名单（红名单、黑名单、经营异常名录公开；重点监管名单仅政府部门）",
    responses=problem_responses(401, 403, 404, 422),
)
def get_list(
    list_id: ListId,
    lists: ListsDep,
    session: SessionDep,
    principal: PrincipalDep,
    catalog: CatalogDep,
    as_of: AsOf = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ListPage:
    return service.list_page(
        session,
        lists,
        catalog,
        list_id=list_id,
        principal=principal,
        as_of=as_of or clock.today(),
        page=page,
        size=size,
        now=clock.now(),
    )


@router.post(
    "/lists/{list_id}/entries",
    response_model=ManualEntryRead,
    status_code=201,
    summary="手工列入名单（管理员，须写明依据）",
    responses=problem_responses(401, 403, 404, 422),
)
def post_entry(
    list_id: ListId,
    body: ManualEntryCreate,
    lists: ListsDep,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> ManualEntryRead:
    entry, subject = service.add_manual_entry(
        session,
        lists,
        principal=principal,
        list_id=list_id,
        data=body,
        secret=settings.hmac_key,
        now=clock.now(),
    )
    return _entry_read(entry, subject)


@router.post(
    "/lists/{list_id}/entries/{entry_id}/revoke",
    response_model=ManualEntryRead,
    summary="撤销手工列入的名单条目（管理员）",
    responses=problem_responses(401, 403, 404, 422),
)
def post_revoke_entry(
    list_id: ListId, entry_id: RowId, session: SessionDep, principal: PrincipalDep
) -> ManualEntryRead:
    entry = service.revoke_manual_entry(
        session, principal=principal, list_id=list_id, entry_id=entry_id, now=clock.now()
    )
    return _entry_read(entry, session.get_one(Subject, entry.subject_id))


@router.get(
    "/subjects/{code}/lists",
    response_model=SubjectLists,
    summary="主体所在名单（公众仅见公开名单；黑名单优先于红名单）",
    responses=problem_responses(404, 422),
)
def get_subject_lists(
    code: str,
    request: Request,
    lists: ListsDep,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    catalog: CatalogDep,
    as_of: AsOf = None,
    name: PersonName = None,
) -> SubjectLists:
    count_person_lookup(request, principal, code)
    return service.subject_lists(
        session,
        lists,
        catalog,
        code=code,
        principal=principal,
        secret=settings.hmac_key,
        as_of=as_of or clock.today(),
        now=clock.now(),
        name=name,
    )
