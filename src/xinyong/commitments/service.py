"""Signing a commitment online (信用承诺), and the one repair commitment of a repair application.

A subject signs for itself only, from a template in force, with a department that receives
(and later verifies) the commitment. The approval-type commitments (审批替代型、容缺办理型、
证明事项告知承诺) are closed to a subject whose credit check in the type's area says 不适用
告知承诺 or stricter — a serious bad record or an unrepaired breach (国办发〔2020〕42号); the
same measures decide it as decide a department's credit check, so the two cannot disagree.
The signed text is kept verbatim with its SHA-256, and the ``credit_commitment`` record is
written through the ingest path in the same transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy.orm import Session

from xinyong.accounts import service as accounts
from xinyong.accounts.models import Department, Role
from xinyong.accounts.principal import Principal
from xinyong.audit import service as audit
from xinyong.catalog.loader import Catalog
from xinyong.checks.decide import Decision, decide
from xinyong.checks.facts import gather
from xinyong.checks.measures import Action, Area
from xinyong.checks.service import CheckSetup
from xinyong.commitments.errors import (
    CommitmentNotAllowed,
    EnterpriseOnly,
    MatterNotApplicable,
    NotAccepted,
    NotOwnSubject,
    SubjectKindNotSupported,
    TemplateNotFound,
    UnknownDepartment,
)
from xinyong.commitments.models import Commitment, CommitmentEvent
from xinyong.commitments.records import write_commitment_record
from xinyong.commitments.schemas import CommitmentCreate
from xinyong.commitments.templates import (
    Filled,
    Template,
    TemplateBook,
    render,
)
from xinyong.commitments.workflow import CommitmentStatus
from xinyong.errors import Unauthorized
from xinyong.ingest.service import Actor
from xinyong.kit.clock import local_date
from xinyong.subjects import service as subjects
from xinyong.subjects.models import Subject

REPAIR_TEMPLATE: Final = "repair_commitment"
REPAIR_MATTER: Final = "信用修复申请"


@dataclass(frozen=True)
class CommitmentSetup:
    """What commitments read besides the database: the check definitions (to decide who may
    sign an approval-type commitment), the templates, and the ingest settings."""

    checks: CheckSetup
    templates: TemplateBook
    strict_org_code: bool

    @property
    def catalog(self) -> Catalog:
        return self.checks.catalog

    @property
    def secret(self) -> bytes:
        return self.checks.secret


def check_decision(
    session: Session, setup: CommitmentSetup, *, subject: Subject, area: Area, now: datetime
) -> Decision:
    """The subject's credit-check decision in ``area`` today (nothing is logged: not a 核查)."""
    today = local_date(now)
    facts = gather(
        session,
        setup.catalog,
        setup.checks.graded,
        setup.checks.lists,
        subjects={subject.id: subject.kind.value},
        as_of=today,
        now=now,
    )
    return decide(setup.checks.measures, facts.get(subject.id), area, today)


def ensure_allowed(
    session: Session,
    setup: CommitmentSetup,
    *,
    subject: Subject,
    template: Template,
    now: datetime,
) -> None:
    """409 when the template's type is closed to the subject: its check in the type's area
    decides 不适用告知承诺 or stricter; the reasons name the measures and the facts."""
    area = setup.templates.rule(template.type).eligibility_area
    if area is None:
        return
    decision = check_decision(session, setup, subject=subject, area=area, now=now)
    if decision.action.rank >= Action.NO_NOTIFICATION_COMMITMENT.rank:
        raise CommitmentNotAllowed(template.type, decision.reasons)


def _department(session: Session, code: str) -> Department:
    department = accounts.get_department(session, code)
    if department is None:
        raise UnknownDepartment(code)
    return department


def _create(
    session: Session,
    setup: CommitmentSetup,
    *,
    subject: Subject,
    template: Template,
    department: Department,
    matter: str,
    signer: Principal,
    signer_name: str,
    channel: str,
    text: str | None,
    now: datetime,
) -> Commitment:
    """Store the commitment with its exact text, write its record, log and audit the signing."""
    today = local_date(now)
    due_on = today + timedelta(days=template.verify_within_days)
    if text is None:
        filled = Filled(
            subject_name=subject.name,
            uscc=subject.uscc or "",
            legal_rep=subject.legal_rep or "",
            matter=matter,
            receiving_unit=department.name,
            signed_on=today,
            due_on=due_on,
        )
        text = render(template, filled)
    commitment = Commitment(
        subject_id=subject.id,
        commitment_type=template.type,
        template_id=template.id,
        template_version=template.version,
        matter=matter,
        items=list(template.items),
        text=text,
        text_sha256=hashlib.sha256(text.encode()).hexdigest(),
        public=template.public,
        reference=template.reference,
        channel=channel,
        signer=signer.actor,
        signer_name=signer_name,
        signed_at=now,
        signed_on=today,
        due_on=due_on,
        receiving_department_id=department.id,
        status=CommitmentStatus.SIGNED.value,
        version=1,
    )
    session.add(commitment)
    session.flush()
    record = write_commitment_record(
        session,
        setup.catalog,
        commitment=commitment,
        subject=subject,
        department=department,
        actor=Actor.of(signer),
        secret=setup.secret,
        strict_org_code=setup.strict_org_code,
        now=now,
    )
    commitment.record_id = record.id
    session.add(
        CommitmentEvent(
            commitment_id=commitment.id,
            action="sign",
            from_status=None,
            to_status=CommitmentStatus.SIGNED.value,
            actor=signer.actor,
            at=now,
            note=f"{signer_name}签署《{template.name}》（第 {template.version} 版）",
            detail={"record_id": record.id, "text_sha256": commitment.text_sha256},
        )
    )
    audit.record(
        session,
        actor=signer.actor,
        actor_role=signer.role_name,
        action="commitments.sign",
        object_type="commitment",
        object_id=commitment.id,
        detail={
            "subject_id": subject.id,
            "template": f"{template.id}@{template.version}",
            "department": department.code,
            "record_id": record.id,
            "text_sha256": commitment.text_sha256,
        },
        now=now,
    )
    session.flush()
    return commitment


def sign(
    session: Session,
    setup: CommitmentSetup,
    *,
    principal: Principal,
    data: CommitmentCreate,
    now: datetime,
) -> Commitment:
    """An enterprise account signs a commitment for its own subject (403 otherwise) from a
    template in force (404), received by a known department (422), for a matter the template
    applies to (422); approval types are refused (409) while the subject's check says 不适用
    告知承诺. Writes the commitment, its ``credit_commitment`` record and the audit entry."""
    if principal.is_anonymous:
        raise Unauthorized()
    if principal.role is not Role.ENTERPRISE or principal.subject_id is None:
        raise EnterpriseOnly()
    subject = subjects.own_subject(
        session,
        data.subject_code,
        own_subject_id=principal.subject_id,
        secret=setup.secret,
        refused=NotOwnSubject(),
    )
    if subject.uscc is None:
        raise SubjectKindNotSupported()
    today = local_date(now)
    template = setup.templates.in_force(data.template_id, today)
    if template is None:
        raise TemplateNotFound(data.template_id)
    department = _department(session, data.receiving_department)
    if not template.applies_to(data.matter):
        raise MatterNotApplicable(data.matter, template.name)
    if not data.accepted:
        raise NotAccepted()
    ensure_allowed(session, setup, subject=subject, template=template, now=now)
    return _create(
        session,
        setup,
        subject=subject,
        template=template,
        department=department,
        matter=data.matter,
        signer=principal,
        signer_name=data.signer_name,
        channel="online",
        text=None,
        now=now,
    )


def sign_repair_commitment(
    session: Session,
    setup: CommitmentSetup,
    *,
    subject_id: int,
    signer: Principal,
    signer_name: str,
    text: str,
    receiving_department_id: int,
    now: datetime,
) -> Commitment:
    """The one online 信用修复型 commitment of a repair application, signed with the text the
    repair rules give (kept verbatim): public, verified by ``receiving_department_id``, and
    recorded as a ``credit_commitment`` record like any other. The caller (repair) has
    already authorised the signer; it stores the returned id as its ``commitment_id``."""
    subject = session.get_one(Subject, subject_id)
    if subject.uscc is None:
        raise SubjectKindNotSupported()
    today = local_date(now)
    template = setup.templates.in_force(REPAIR_TEMPLATE, today)
    if template is None:
        raise TemplateNotFound(REPAIR_TEMPLATE)
    department = session.get(Department, receiving_department_id)
    if department is None:
        raise UnknownDepartment(str(receiving_department_id))
    ensure_allowed(session, setup, subject=subject, template=template, now=now)
    return _create(
        session,
        setup,
        subject=subject,
        template=template,
        department=department,
        matter=REPAIR_MATTER,
        signer=signer,
        signer_name=signer_name,
        channel="repair",
        text=text,
        now=now,
    )
