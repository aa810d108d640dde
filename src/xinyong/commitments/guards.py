"""Who may sign which commitment, and who may verify it: pure rules over facts read before.

The services read the facts (the caller, the subject, the template in force, the department,
the subject's check decision) and these functions say yes or raise the error the caller sees,
in the order the caller would fix them. Nothing here reads the database or the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from xinyong.accounts.models import Department, Role
from xinyong.accounts.principal import Principal
from xinyong.checks.decide import Decision
from xinyong.checks.measures import Action
from xinyong.commitments.errors import (
    BreachKindRequired,
    CommitmentNotAllowed,
    EnterpriseOnly,
    MatterNotApplicable,
    NotAccepted,
    NotReceivingDepartment,
    SubjectKindNotSupported,
    TemplateNotFound,
    UnknownDepartment,
)
from xinyong.commitments.templates import Template
from xinyong.commitments.workflow import CommitmentAction
from xinyong.errors import Unauthorized

DEPARTMENT_ROLES: Final = frozenset({Role.DEPARTMENT, Role.REVIEWER, Role.SYSTEM})
OUTCOMES: Final = {"fulfilled": CommitmentAction.FULFIL, "breached": CommitmentAction.BREACH}


@dataclass(frozen=True)
class Signing:
    """What decides whether a subject may sign a template now, as read before signing."""

    template_id: str
    template: Template | None  # the version in force today; None when there is none
    department_ref: str  # as the signer named it (a code, or a repair's department id)
    department: Department | None
    has_uscc: bool
    matter: str | None = None  # None: the template's own matter (a repair commitment)
    accepted: bool = True


def require_online_signer(principal: Principal) -> int:
    """Online signing is done by an enterprise account for its own subject: 401 for no one,
    403 for any other account. The subject the account belongs to."""
    if principal.is_anonymous:
        raise Unauthorized()
    if principal.role is not Role.ENTERPRISE or principal.subject_id is None:
        raise EnterpriseOnly()
    return principal.subject_id


def require_signable(signing: Signing) -> tuple[Template, Department]:
    """A subject with a 统一社会信用代码 (422) signs a template in force (404) received by a
    known department (422), for a matter the template applies to (422), having accepted the
    whole text (422). The template and the department."""
    if not signing.has_uscc:
        raise SubjectKindNotSupported()
    template = signing.template
    if template is None:
        raise TemplateNotFound(signing.template_id)
    if signing.department is None:
        raise UnknownDepartment(signing.department_ref)
    if signing.matter is not None and not template.applies_to(signing.matter):
        raise MatterNotApplicable(signing.matter, template.name)
    if not signing.accepted:
        raise NotAccepted()
    return template, signing.department


def require_open(commitment_type: str, decision: Decision) -> None:
    """国办发〔2020〕42号: an approval-type commitment is closed (409) while the subject's check
    in the type's area decides 不适用告知承诺 or stricter; the reasons name measures and facts."""
    if decision.action.rank >= Action.NO_NOTIFICATION_COMMITMENT.rank:
        raise CommitmentNotAllowed(commitment_type, decision.reasons)


def is_receiving(principal: Principal, department: Department) -> bool:
    """Whether ``principal`` acts for the department that received the commitment."""
    return principal.role in DEPARTMENT_ROLES and principal.department_code == department.code


def verification_action(
    principal: Principal, department: Department, *, outcome: str, breach_kind: str | None
) -> CommitmentAction:
    """Only the receiving department verifies (403), and a breach names its kind (422): the
    move the outcome asks for."""
    if not is_receiving(principal, department):
        raise NotReceivingDepartment()
    action = OUTCOMES[outcome]
    if action is CommitmentAction.BREACH and breach_kind is None:
        raise BreachKindRequired()
    return action
