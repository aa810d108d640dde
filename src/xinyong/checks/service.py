"""Credit checks (信用核查): decide, record, answer; department feedback; statistics.

A check is a non-public read: each one is written to the subject's query log and the audit
chain. The check keeps a snapshot of what it decided on, so feedback and statistics always
refer to what the department was actually told.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from xinyong.access import service as access
from xinyong.access.models import QueryChannel
from xinyong.accounts.models import Role
from xinyong.accounts.principal import Principal
from xinyong.audit import service as audit
from xinyong.catalog.loader import Catalog
from xinyong.checks.decide import Decision, decide
from xinyong.checks.errors import (
    BatchTooLarge,
    CheckNotFound,
    ChecksForbidden,
    EmptyBatch,
    FeedbackExists,
    InvalidCodes,
    NotYourCheck,
)
from xinyong.checks.facts import SubjectFacts, gather
from xinyong.checks.measures import Action, Area, MeasureCatalog, parse_area
from xinyong.checks.models import CreditCheck, CreditCheckMeasure
from xinyong.checks.schemas import (
    MAX_BATCH,
    BatchCheckRequest,
    BatchCheckResult,
    BatchItem,
    CheckRequest,
    CheckResult,
    FeedbackIn,
    FeedbackRead,
    GradeRead,
    ItemError,
    ListRef,
    SubjectRef,
)
from xinyong.errors import FieldError, Unauthorized, XinyongError
from xinyong.kit.clock import local_date
from xinyong.kit.dates import add_months
from xinyong.kit.identifiers import mask_person_name
from xinyong.lists.definitions import ListDefinitions
from xinyong.lists.service import add_entry, covering_entry
from xinyong.rules.loader import LoadedScorecard
from xinyong.subjects import service as subjects
from xinyong.subjects.models import Subject, SubjectKind

CHECKER_ROLES = frozenset({Role.ADMIN, Role.DEPARTMENT, Role.SYSTEM})
KEY_SUPERVISION = "key_supervision"


@dataclass(frozen=True)
class CheckSetup:
    """What every check reads besides the database: definitions in force and the HMAC key."""

    catalog: Catalog
    scorecards: Mapping[str, LoadedScorecard]
    lists: ListDefinitions
    measures: MeasureCatalog
    secret: bytes

    @property
    def graded(self) -> dict[str, LoadedScorecard]:
        """The models in force whose grade a check reads and shows: those a measure names
        (grading a subject online under every other model too would only slow checks)."""
        named = {m.model for m in self.measures.measures if m.model is not None}
        return {m: c for m, c in self.scorecards.items() if m in named}


def require_checker(principal: Principal) -> None:
    """Checks are for government systems and staff: department, system and admin accounts."""
    if principal.is_anonymous:
        raise Unauthorized()
    if principal.role not in CHECKER_ROLES:
        raise ChecksForbidden()


def _subject_ref(key: subjects.SubjectKey, subject: Subject | None) -> SubjectRef:
    if subject is None:
        return SubjectRef(found=False, code=key.display)
    is_person = subject.kind is SubjectKind.PERSON
    return SubjectRef(
        found=True,
        code=subject.code,
        name=mask_person_name(subject.name) if is_person else subject.name,
        kind=subject.kind.value,
        kind_label=subject.kind.label,
    )


def _snapshot(
    subject: SubjectRef, facts: SubjectFacts | None, decision: Decision, setup: CheckSetup
) -> dict[str, Any]:
    grades = [GradeRead.model_validate(g) for g in (facts.grades.values() if facts else ())]
    lists = [
        ListRef.model_validate(m) for m in (facts.lists if facts else ()) if m.suppressed_by is None
    ]
    months = {}
    for m in decision.measures:
        measure = setup.measures.get(m.id)
        if measure is not None and measure.key_supervision_months:
            months[m.id] = measure.key_supervision_months
    return {
        "subject": subject.model_dump(mode="json"),
        "measures": [m.model_dump(mode="json") for m in decision.measures],
        "grades": [g.model_dump(mode="json") for g in grades],
        "lists": [x.model_dump(mode="json") for x in lists],
        "reasons": decision.reasons,
        "key_supervision_months": months,
    }


def _result(check: CreditCheck) -> CheckResult:
    snap = check.snapshot
    return CheckResult(
        check_id=check.id,
        checked_at=check.checked_at,
        subject=SubjectRef.model_validate(snap["subject"]),
        matter=check.matter,
        area=check.area,
        decision=Action(check.decision),
        measures=snap["measures"],
        grades=snap["grades"],
        lists=snap["lists"],
        reasons=snap["reasons"],
    )


@dataclass(frozen=True)
class _Ask:
    """What one run of checks asks: by whom, for which matter, in which area, when."""

    principal: Principal
    matter: str
    area: Area
    now: datetime
    batch_ref: str | None


def _decide_all(
    session: Session, setup: CheckSetup, ask: _Ask, keys: Sequence[subjects.SubjectKey]
) -> tuple[list[CreditCheck], list[Decision]]:
    """One decision per key (in order) from one set of fact queries, as unsaved checks."""
    today = local_date(ask.now)
    found = subjects.find_many(session, keys)
    facts = gather(
        session,
        setup.catalog,
        setup.graded,
        setup.lists,
        subjects={s.id: s.kind.value for s in found.values()},
        as_of=today,
        now=ask.now,
    )
    checks: list[CreditCheck] = []
    decisions: list[Decision] = []
    for key in keys:
        subject = found.get(key)
        subject_facts = facts.get(subject.id) if subject else None
        decision = decide(setup.measures, subject_facts, ask.area, today)
        ref = _subject_ref(key, subject)
        checks.append(
            CreditCheck(
                checked_at=ask.now,
                actor=ask.principal.actor,
                actor_role=ask.principal.role_name,
                department_code=ask.principal.department_code,
                subject_code=ref.code,
                subject_id=subject.id if subject else None,
                found=subject is not None,
                matter=ask.matter,
                area=ask.area.value,
                decision=decision.action.value,
                batch_ref=ask.batch_ref,
                snapshot=_snapshot(ref, subject_facts, decision, setup),
            )
        )
        decisions.append(decision)
    return checks, decisions


def _run(
    session: Session,
    setup: CheckSetup,
    ask: _Ask,
    keys: Sequence[subjects.SubjectKey],
    *,
    failed: Sequence[Mapping[str, Any]] = (),
) -> list[CreditCheck]:
    """Decide, store the checks and their measures, log each found subject's check in its
    query log and audit the run; ``failed`` (a batch's unchecked items) goes into the audit."""
    checks, decisions = _decide_all(session, setup, ask, keys)
    _store(session, checks, decisions)
    _log_run(session, ask, checks, failed)
    return checks


def _measure_rows(
    checks: Sequence[CreditCheck], decisions: Sequence[Decision]
) -> list[dict[str, Any]]:
    """One row per measure each (stored) check's decision applies, for the measures table."""
    return [
        {"check_id": c.id, "measure_id": m.id, "kind": m.kind, "action": m.action.value}
        for c, d in zip(checks, decisions, strict=True)
        for m in d.measures
    ]


def _run_detail(
    ask: _Ask, checks: Sequence[CreditCheck], failed: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """What the audit keeps of a run: the matter and area, every check and subject, how many
    of each decision, and a batch's items that could not be checked."""
    detail: dict[str, Any] = {
        "matter": ask.matter,
        "area": ask.area.value,
        "checks": [c.id for c in checks],
        "subject_ids": [c.subject_id for c in checks],
        "decisions": dict(Counter(c.decision for c in checks)),
    }
    if failed:
        detail["failed"] = list(failed)
    return detail


def _store(session: Session, checks: Sequence[CreditCheck], decisions: Sequence[Decision]) -> None:
    session.add_all(checks)
    session.flush()
    rows = _measure_rows(checks, decisions)
    if rows:
        session.execute(insert(CreditCheckMeasure), rows)


def _log_run(
    session: Session,
    ask: _Ask,
    checks: Sequence[CreditCheck],
    failed: Sequence[Mapping[str, Any]],
) -> None:
    """Each found subject's query log gets its check; the run is audited once."""
    logged = [c for c in checks if c.subject_id is not None]
    access.log_queries(
        session,
        principal=ask.principal,
        subject_ids=[c.subject_id for c in logged if c.subject_id is not None],
        channel=QueryChannel.CHECK,
        purpose=ask.matter,
        now=ask.now,
        references=[f"check:{c.id}" for c in logged],
    )
    audit.record(
        session,
        actor=ask.principal.actor,
        actor_role=ask.principal.role_name,
        action="checks.batch" if ask.batch_ref else "checks.check",
        object_type="credit_check",
        object_id=ask.batch_ref or checks[0].id,
        detail=_run_detail(ask, checks, failed),
        now=ask.now,
    )


def _field(error: XinyongError, field_name: str) -> FieldError:
    message = error.errors[0].message if error.errors else error.title
    return FieldError(field_name, error.code, message)


def check_subject(
    session: Session,
    setup: CheckSetup,
    *,
    principal: Principal,
    request: CheckRequest,
    now: datetime,
) -> CheckResult:
    """One credit check. An unknown but valid code is not an error: 正常办理, ``found`` false;
    an invalid code is a 422 naming ``subject_code``."""
    require_checker(principal)
    area = parse_area(request.area)
    try:
        key = subjects.parse_code(request.subject_code, secret=setup.secret)
    except XinyongError as exc:
        raise InvalidCodes([_field(exc, "subject_code")]) from None
    ask = _Ask(principal, request.matter, area, now, batch_ref=None)
    [check] = _run(session, setup, ask, [key])
    return _result(check)


def _parse_batch(
    request: BatchCheckRequest, secret: bytes
) -> tuple[dict[int, subjects.SubjectKey], dict[int, FieldError]]:
    """Each item's key, or its error naming ``subjects[i].code``, by position."""
    keys: dict[int, subjects.SubjectKey] = {}
    problems: dict[int, FieldError] = {}
    for i, item in enumerate(request.subjects):
        try:
            keys[i] = subjects.parse_code(item.code, secret=secret)
        except XinyongError as exc:
            problems[i] = _field(exc, f"subjects[{i}].code")
    return keys, problems


def check_batch(
    session: Session,
    setup: CheckSetup,
    *,
    principal: Principal,
    request: BatchCheckRequest,
    now: datetime,
) -> BatchCheckResult:
    """Up to 1 000 subjects for one matter (a bidder list), in one set of queries; one answer
    per subject in the order given. A code that is neither a USCC nor a resident ID is
    answered with its own error (``subjects[i].code``) and the others are checked, logged and
    audited as usual. Only the request's shape (no subjects, more than 1 000, an unknown
    area) refuses the whole batch."""
    require_checker(principal)
    area = parse_area(request.area)
    if not request.subjects:
        raise EmptyBatch()
    if len(request.subjects) > MAX_BATCH:
        raise BatchTooLarge(len(request.subjects), MAX_BATCH)
    keys, problems = _parse_batch(request, setup.secret)
    batch_ref = "cb_" + secrets.token_hex(8)
    checks = _run(
        session,
        setup,
        _Ask(principal, request.matter, area, now, batch_ref),
        list(keys.values()),
        failed=[{"index": i, "code": p.code} for i, p in problems.items()],
    )
    by_index = dict(zip(keys, checks, strict=True))
    results = [
        BatchItem(index=i, ok=True, check=_result(by_index[i]))
        if i in by_index
        else BatchItem(index=i, ok=False, error=ItemError(**problems[i].as_dict()))
        for i in range(len(request.subjects))
    ]
    return BatchCheckResult(
        batch_ref=batch_ref,
        matter=request.matter,
        area=area.value,
        total=len(results),
        succeeded=len(checks),
        failed=len(problems),
        decisions=dict(Counter(c.decision for c in checks)),
        results=results,
    )


def _owned(session: Session, principal: Principal, check_id: int) -> CreditCheck:
    """The check, if the caller's department (or, without one, the caller) made it."""
    require_checker(principal)
    check = session.get(CreditCheck, check_id)
    if check is None:
        raise CheckNotFound()
    if check.department_code is not None:
        mine = principal.department_code == check.department_code
    else:
        mine = principal.actor == check.actor
    if not mine:
        raise NotYourCheck()
    return check


def read_check(
    session: Session, *, principal: Principal, check_id: int, now: datetime
) -> CheckResult:
    """A past check as it was answered (its department, or an admin). Reading it back is a
    read of the subject's non-public information: audited and in the subject's query log."""
    require_checker(principal)
    if principal.is_admin:
        check = session.get(CreditCheck, check_id)
        if check is None:
            raise CheckNotFound()
    else:
        check = _owned(session, principal, check_id)
    access.log_non_public_read(
        session,
        principal=principal,
        action="checks.read_back",
        object_type="credit_check",
        object_id=check.id,
        subject_ids=[check.subject_id] if check.subject_id is not None else [],
        channel=QueryChannel.CHECK_READBACK,
        detail={},
        now=now,
    )
    return _result(check)


def _key_supervision_entry(
    session: Session, check: CreditCheck, *, principal: Principal, today: date, now: datetime
) -> int | None:
    """Put the subject on the key-supervision list for the longest period any applied
    measure asks, unless an entry already keeps it there for at least as long."""
    months: dict[str, int] = check.snapshot.get("key_supervision_months", {})
    if not months or check.subject_id is None:
        return None
    measure_id, period = max(months.items(), key=lambda item: item[1])
    ends_on = add_months(today, period)
    existing = covering_entry(
        session, list_id=KEY_SUPERVISION, subject_id=check.subject_id, until=ends_on
    )
    if existing is not None:
        return existing.id
    measure = next(m for m in check.snapshot["measures"] if m["id"] == measure_id)
    entry = add_entry(
        session,
        list_id=KEY_SUPERVISION,
        subject_id=check.subject_id,
        starts_on=today,
        ends_on=ends_on,
        basis=f"信用核查第 {check.id} 号：{measure['name']}（{check.matter}）"[:1000],
        reference=measure["reference"][:500],
        principal=principal,
        now=now,
    )
    return entry.id


def give_feedback(
    session: Session,
    *,
    principal: Principal,
    check_id: int,
    data: FeedbackIn,
    now: datetime,
) -> FeedbackRead:
    """The department reports what it did with the check (once). When it applied a measure
    that calls for key supervision, the subject goes onto that list."""
    check = _owned(session, principal, check_id)
    if check.feedback_at is not None:
        raise FeedbackExists()
    action = data.action_taken or (Action(check.decision) if data.applied else None)
    check.feedback_at = now
    check.feedback_by = principal.actor
    check.applied = data.applied
    check.action_taken = action.value if action else None
    check.feedback_note = data.note
    if data.applied:
        check.key_supervision_entry_id = _key_supervision_entry(
            session, check, principal=principal, today=local_date(now), now=now
        )
    session.flush()
    audit.record(
        session,
        actor=principal.actor,
        actor_role=principal.role_name,
        action="checks.feedback",
        object_type="credit_check",
        object_id=check.id,
        detail={
            "applied": data.applied,
            "action_taken": check.action_taken,
            "key_supervision_entry_id": check.key_supervision_entry_id,
        },
        now=now,
    )
    return FeedbackRead(
        check_id=check.id,
        applied=data.applied,
        action_taken=action,
        note=data.note,
        feedback_at=now,
        key_supervision_entry_id=check.key_supervision_entry_id,
    )
