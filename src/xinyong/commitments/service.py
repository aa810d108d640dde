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
from xinyong.accounts.models import Department
from xinyong.accounts.principal import Principal
from xinyong.audit import service as audit
from xinyong.catalog.loader import Catalog
from xinyong.checks.decide import Decision, decide
from xinyong.checks.facts import gather
from xinyong.checks.measures import Area
from xinyong.checks.service import CheckSetup
from xinyong.commitments import guards
from xinyong.commitments.errors import NotOwnSubject
from xinyong.commitments.models import Commitment, CommitmentEvent
from xinyong.commitments.records import write_commitment_record
from xinyong.commitments.schemas import CommitmentCreate
from xinyong.commitments.templates import (
    Filled,
    Template,
    TemplateBook,
    render,
)
from xinyong.commitments.workflow import CommitmentAction, CommitmentStatus
from xinyong.ingest.service import Actor
from xinyong.kit.clock import local_date
from xinyong.subjects import service as subjects
from xinyong.subjects.models import Subject
from xinyong.workflow import Moved, append_event

REPAIR_TEMPLATE: Final = "repair_commitment"
REPAIR_MATTER: Final = "信用修复申请"
# A commitment comes into being signed: its first event has no status before.
SIGNING: Final = Moved(CommitmentAction.SIGN, None, CommitmentStatus.SIGNED)


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
    decides 不适用告知承诺 or stricter (:func:`guards.require_open`)."""
    area = setup.templates.rule(template.type).eligibility_area
    if area is None:
        return
    decision = check_decision(session, setup, subject=subject, area=area, now=now)
    guards.require_open(template.type, decision)


@dataclass(frozen=True)
class Signed:
    """Who signs what, with which department, through which channel."""

    subject: Subject
    template: Template
    department: Department
    matter: str
    signer: Principal
    signer_name: str
    channel: str  # online | repair
    text: str | None  # None: rendered from the template; a repair gives its own text


def _commitment(signed: Signed, *, now: datetime) -> Commitment:
    """The commitment as signed: the exact text (rendered from the template unless given),
    its hash, the template's terms and the verification date."""
    today = local_date(now)
    template, subject = signed.template, signed.subject
    due_on = today + timedelta(days=template.verify_within_days)
    text = signed.text
    if text is None:
        filled = Filled(
            subject_name=subject.name,
            uscc=subject.uscc or "",
            legal_rep=subject.legal_rep or "",
            matter=signed.matter,
            receiving_unit=signed.department.name,
            signed_on=today,
            due_on=due_on,
        )
        text = render(template, filled)
    return Commitment(
        subject_id=subject.id,
        commitment_type=template.type,
        template_id=template.id,
        template_version=template.version,
        matter=signed.matter,
        items=list(template.items),
        text=text,
        text_sha256=hashlib.sha256(text.encode()).hexdigest(),
        public=template.public,
        reference=template.reference,
        channel=signed.channel,
        signer=signed.signer.actor,
        signer_name=signed.signer_name,
        signed_at=now,
        signed_on=today,
        due_on=due_on,
        receiving_department_id=signed.department.id,
        status=CommitmentStatus.SIGNED.value,
        version=1,
    )


def _create(
    session: Session, setup: CommitmentSetup, signed: Signed, *, now: datetime
) -> Commitment:
    """Store the commitment with its exact text, write its record, log and audit the signing."""
    commitment = _commitment(signed, now=now)
    session.add(commitment)
    session.flush()
    record = write_commitment_record(
        session,
        setup.catalog,
        commitment=commitment,
        subject=signed.subject,
        department=signed.department,
        actor=Actor.of(signed.signer),
        secret=setup.secret,
        strict_org_code=setup.strict_org_code,
        now=now,
    )
    commitment.record_id = record.id
    template, signer = signed.template, signed.signer
    detail = {"record_id": record.id, "text_sha256": commitment.text_sha256}
    append_event(
        session,
        CommitmentEvent,
        SIGNING,
        actor=signer.actor,
        at=now,
        commitment_id=commitment.id,
        note=f"{signed.signer_name}签署《{template.name}》（第 {template.version} 版）",
        detail=detail,
    )
    audit.record(
        session,
        actor=signer.actor,
        actor_role=signer.role_name,
        action="commitments.sign",
        object_type="commitment",
        object_id=commitment.id,
        detail={
            "subject_id": signed.subject.id,
            "template": f"{template.id}@{template.version}",
            "department": signed.department.code,
            **detail,
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
    own_subject_id = guards.require_online_signer(principal)
    subject = subjects.own_subject(
        session,
        data.subject_code,
        own_subject_id=own_subject_id,
        secret=setup.secret,
        refused=NotOwnSubject(),
    )
    template, department = guards.require_signable(
        guards.Signing(
            template_id=data.template_id,
            template=setup.templates.in_force(data.template_id, local_date(now)),
            department_ref=data.receiving_department,
            department=accounts.get_department(session, data.receiving_department),
            has_uscc=subject.uscc is not None,
            matter=data.matter,
            accepted=data.accepted,
        )
    )
    ensure_allowed(session, setup, subject=subject, template=template, now=now)
    signed = Signed(
        subject=subject,
        template=template,
        department=department,
        matter=data.matter,
        signer=principal,
        signer_name=data.signer_name,
        channel="online",
        text=None,
    )
    return _create(session, setup, signed, now=now)


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
    template, department = guards.require_signable(
        guards.Signing(
            template_id=REPAIR_TEMPLATE,
            template=setup.templates.in_force(REPAIR_TEMPLATE, local_date(now)),
            department_ref=str(receiving_department_id),
            department=session.get(Department, receiving_department_id),
            has_uscc=subject.uscc is not None,
        )
    )
    ensure_allowed(session, setup, subject=subject, template=template, now=now)
    signed = Signed(
        subject=subject,
        template=template,
        department=department,
        matter=REPAIR_MATTER,
        signer=signer,
        signer_name=signer_name,
        channel="repair",
        text=text,
    )
    return _create(session, setup, signed, now=now)
