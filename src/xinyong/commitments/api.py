"""HTTP routes of commitments: templates (public), signing, reading, verification."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from xinyong.commitments import queries, service, verification
from xinyong.commitments.schemas import (
    CommitmentCreate,
    CommitmentRead,
    TemplateList,
    TemplateRead,
    VerificationIn,
)
from xinyong.commitments.service import CommitmentSetup
from xinyong.commitments.templates import TemplateBook
from xinyong.commitments.workflow import CommitmentStatus
from xinyong.http.deps import PrincipalDep, SessionDep, SettingsDep, provide
from xinyong.http.params import RowId
from xinyong.http.problems import problem_responses
from xinyong.kit import clock

router = APIRouter(tags=["信用承诺"])


CommitmentSetupDep = Annotated[CommitmentSetup, Depends(provide(CommitmentSetup))]
TemplatesDep = Annotated[TemplateBook, Depends(provide(TemplateBook))]


def template_list(book: TemplateBook, *, on_date: date) -> TemplateList:
    """The templates in force, each with whether its type is closed to dishonest subjects."""
    return TemplateList(
        version=book.version,
        effective_from=book.effective_from,
        reference=book.reference,
        templates=[
            TemplateRead(
                **t.model_dump(),
                restricted=book.rule(t.type).eligibility_area is not None,
            )
            for t in book.current(on_date)
        ],
    )


@router.get(
    "/commitments/templates",
    response_model=TemplateList,
    summary="信用承诺书模板（公开；六类承诺，含适用事项、履诺期限和依据）",
)
def list_templates(book: TemplatesDep) -> TemplateList:
    return template_list(book, on_date=clock.today())


@router.post(
    "/commitments",
    response_model=CommitmentRead,
    status_code=201,
    summary="在线签署信用承诺（企业账号，本企业）",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def sign(
    body: CommitmentCreate,
    session: SessionDep,
    principal: PrincipalDep,
    setup: CommitmentSetupDep,
) -> CommitmentRead:
    now = clock.now()
    commitment = service.sign(
        session,
        setup,
        principal=principal,
        data=body,
        now=now,
    )
    return queries.read(session, commitment_id=commitment.id, principal=principal, now=now)


@router.get(
    "/commitments",
    response_model=list[CommitmentRead],
    summary="信用承诺列表：企业看本企业，部门看本部门受理的，管理员看全部；overdue 只看逾期未核查",
    responses=problem_responses(401, 403, 404, 422),
)
def list_commitments(
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    subject: Annotated[str | None, Query(max_length=40, description="主体代码")] = None,
    status: Annotated[CommitmentStatus | None, Query()] = None,
    overdue: Annotated[bool, Query(description="只看履诺期限已过、尚未核查的承诺")] = False,
) -> list[CommitmentRead]:
    return queries.list_commitments(
        session,
        principal=principal,
        secret=settings.hmac_key,
        subject_code=subject,
        status=status,
        overdue=overdue,
        now=clock.now(),
    )


@router.get(
    "/commitments/{commitment_id}",
    response_model=CommitmentRead,
    summary="一份信用承诺：承诺书原文、摘要值、核查结果和办理记录",
    responses=problem_responses(401, 404),
)
def read(commitment_id: RowId, session: SessionDep, principal: PrincipalDep) -> CommitmentRead:
    return queries.read(session, commitment_id=commitment_id, principal=principal, now=clock.now())


@router.post(
    "/commitments/{commitment_id}/verification",
    response_model=CommitmentRead,
    summary="承诺受理部门核查：履诺，或违诺（自动记入违诺信息）",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def verify(
    commitment_id: RowId,
    body: VerificationIn,
    session: SessionDep,
    principal: PrincipalDep,
    setup: CommitmentSetupDep,
) -> CommitmentRead:
    now = clock.now()
    commitment = verification.verify(
        session,
        setup,
        principal=principal,
        commitment_id=commitment_id,
        data=body,
        now=now,
    )
    return queries.read(session, commitment_id=commitment.id, principal=principal, now=now)
