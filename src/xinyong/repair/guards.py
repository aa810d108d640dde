"""Who may do what in repair, and what an application needs: pure functions of facts, tested
without a database (STYLE.md: guards are pure).

Whether one record can be repaired on a date is :func:`xinyong.repair.eligibility.judge`;
here the application as a whole: who may file it, which of its records qualify, which
materials it must carry, who may decide a task and whether a decision covers the task.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Final

from xinyong.accounts.models import Role
from xinyong.accounts.principal import Principal
from xinyong.catalog.loader import Catalog
from xinyong.errors import FieldError, Unauthorized
from xinyong.records.describe import record_title
from xinyong.records.models import Record
from xinyong.repair.eligibility import Assessment
from xinyong.repair.errors import (
    CommitmentRequired,
    EnterpriseOnly,
    InvalidDecision,
    NoRecords,
    NotEligible,
    ProofRequired,
    TooManyRecords,
)
from xinyong.repair.rules import RepairRule
from xinyong.repair.schemas import MAX_RECORDS, CommitmentSignature, Decision

# What every application carries, whatever its records (three materials at most): the form
# generated from what the platform holds and the one online 信用承诺书; one merged upload of
# proofs only when some record needs one (``uploads_needed``).
ALWAYS: Final = ("form", "commitment")


def applicant_records(principal: Principal, record_ids: Sequence[int]) -> list[int]:
    """The records an enterprise applies for, each once and in its order: only an enterprise
    account files for itself (401 for nobody), at least one record and at most ``MAX_RECORDS``."""
    if principal.is_anonymous:
        raise Unauthorized()
    if principal.role is not Role.ENTERPRISE or principal.subject_id is None:
        raise EnterpriseOnly()
    if not record_ids:
        raise NoRecords()
    wanted = list(dict.fromkeys(record_ids))
    if len(wanted) > MAX_RECORDS:
        raise TooManyRecords(MAX_RECORDS)
    return wanted


def eligible_rules(
    records: Sequence[Record], assessed: Mapping[int, Assessment]
) -> dict[int, RepairRule]:
    """record id → its repair rule, once every record can be repaired now; else one 409 naming
    each record that cannot (by its place in the request) with its reason and date."""
    rules: dict[int, RepairRule] = {}
    problems = []
    for i, record in enumerate(records):
        rule, status = assessed[record.id].rule, assessed[record.id].status
        if not status.possible or rule is None:
            problems.append(FieldError(f"record_ids[{i}]", status.code, status.reason))
        else:
            rules[record.id] = rule
    if problems:
        raise NotEligible(problems)
    return rules


def uploads_needed(records: Sequence[Record], rules: Mapping[int, RepairRule]) -> list[Record]:
    """The records whose proof neither the platform nor the deciding department can fetch:
    only for these does the applicant upload anything."""
    return [r for r in records if rules[r.id].needs_upload]


def require_materials(
    records: Sequence[Record],
    rules: Mapping[int, RepairRule],
    catalog: Catalog,
    *,
    commitment: CommitmentSignature | None,
    has_proofs: bool,
) -> CommitmentSignature:
    """The signed commitment, once it is signed and proofs come with the application when some
    record needs an upload (the error names those records and their rules)."""
    if commitment is None or not commitment.accepted:
        raise CommitmentRequired()
    needed = uploads_needed(records, rules)
    if needed and not has_proofs:
        raise ProofRequired([f"{record_title(r, catalog)}（{rules[r.id].name}）" for r in needed])
    return commitment


def may_decide(task_department_id: int, reviewer_department_id: int | None) -> bool:
    """A department reviews only its own tasks; an admin (no department of its own) any."""
    return reviewer_department_id is None or reviewer_department_id == task_department_id


def may_supplement(principal: Principal, application_subject_id: int) -> bool:
    """Only the applicant enterprise itself supplies what a department asked for."""
    return principal.role is Role.ENTERPRISE and principal.subject_id == application_subject_id


def decision_problem(
    task_records: Collection[int], pending: Collection[int], decisions: Sequence[Decision]
) -> InvalidDecision | None:
    """What is wrong with a decision on a task, if anything: every decision is on a record of
    the task, a rejection gives its reason, and every pending record is decided."""
    for i, d in enumerate(decisions):
        if d.record_id not in task_records:
            return InvalidDecision(f"decisions[{i}].record_id", "该信息不在本审核任务中")
        if d.outcome == "reject" and not d.reason:
            return InvalidDecision(f"decisions[{i}].reason", "不予修复须说明理由")
    decided = {d.record_id for d in decisions}
    missing = [r for r in pending if r not in decided]
    if missing:
        return InvalidDecision(
            "decisions", f"请对任务中的每条信息作出决定，尚缺：{'、'.join(map(str, missing))}"
        )
    return None
