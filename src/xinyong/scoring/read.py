"""A subject's scores under every model that applies to it, explained (self / internal view), and
the grades its credit file shows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from sqlalchemy.orm import Session

from xinyong.access import service as access
from xinyong.access.models import QueryChannel
from xinyong.access.scopes import ScopeDefinitions
from xinyong.accounts.principal import Principal
from xinyong.audit import service as audit
from xinyong.catalog.loader import Catalog
from xinyong.errors import XinyongError
from xinyong.records.describe import View, check_reading_date, people_named, view_for
from xinyong.rules.loader import LoadedScorecard
from xinyong.scoring.errors import FutureAsOf, ScoresForbidden
from xinyong.scoring.explain import Disclosure, explain
from xinyong.scoring.grades import grades_of
from xinyong.scoring.schemas import FileGrade, ModelScore, SubjectScores, Unavailable
from xinyong.scoring.service import evaluate_subject
from xinyong.subjects import service as subjects
from xinyong.subjects.models import Subject


def check_as_of(as_of: date, today: date) -> None:
    """Evaluation is of facts known today: a future date is refused, not extrapolated."""
    if as_of > today:
        raise FutureAsOf()


def parse_as_of(text: str | None, today: date) -> date:
    """The evaluation date a command was given (YYYY-MM-DD; today when left out), checked as
    :func:`check_as_of` checks it; a malformed date is bad input (422), not a crash."""
    try:
        day = date.fromisoformat(text) if text else today
    except ValueError:
        raise XinyongError(
            code="scoring.bad_as_of", title=f"日期格式不正确：{text}", status=422
        ) from None
    check_as_of(day, today)
    return day


def _log_and_disclose(
    session: Session,
    *,
    principal: Principal,
    subject: Subject,
    view: View,
    scope_definitions: ScopeDefinitions,
    now: datetime,
) -> Disclosure | None:
    """A bank needs the ``scores`` scope and is told only what its grants disclose; government
    and bank reads go to the subject's query log. None: the full explanation."""
    if view not in (View.AUTHORIZED, View.INTERNAL):
        return None
    authorization = (
        access.authorized_scopes(
            session,
            principal=principal,
            subject_id=subject.id,
            requested=["scores"],
            definitions=scope_definitions,
            now=now,
        )
        if view is View.AUTHORIZED
        else None
    )
    access.log_read(
        session,
        principal=principal,
        subject_id=subject.id,
        channel=QueryChannel.SCORES,
        authorization=authorization,
        purpose=None,
        now=now,
    )
    if authorization is None:
        return None
    return Disclosure(
        record_types=scope_definitions.record_types(authorization.granted),
        hidden_names=people_named(subject),
    )


def _model_scores(
    session: Session,
    catalog: Catalog,
    scorecards: dict[str, LoadedScorecard],
    *,
    subject: Subject,
    as_of: date,
    self_view: bool,
    disclosure: Disclosure | None,
) -> tuple[list[ModelScore], list[Unavailable]]:
    """Each applicable model's explained score, or why it is not computed (no consent)."""
    scores, unavailable = [], []
    for loaded in scorecards.values():
        card = loaded.scorecard
        if subject.kind.value not in card.subject_kinds:
            continue
        if (
            card.consent_required
            and subjects.active_consent(session, subject.id, purpose=subjects.PERSONAL_SCORE)
            is None
        ):
            unavailable.append(
                Unavailable(
                    model_id=card.id,
                    model_name=card.name,
                    code="scoring.no_consent",
                    reason="本人未授权，不计算个人信用分（授权后可查看）",
                )
            )
            continue
        row = evaluate_subject(session, loaded, catalog, subject_id=subject.id, as_of=as_of)
        if row is not None:
            scores.append(
                explain(
                    session,
                    loaded,
                    catalog,
                    row,
                    as_of=as_of,
                    self_view=self_view,
                    disclosure=disclosure,
                )
            )
    return scores, unavailable


def _audit_read(
    session: Session,
    principal: Principal,
    subject: Subject,
    view: View,
    *,
    as_of: date,
    scores: list[ModelScore],
    now: datetime,
) -> None:
    audit.record(
        session,
        actor=principal.actor,
        actor_role=principal.role_name,
        action=f"scores.read_{view.value}",
        object_type="subject",
        object_id=subject.id,
        detail={"as_of": as_of.isoformat(), "models": [s.model_id for s in scores]},
        now=now,
    )


def subject_scores(
    session: Session,
    catalog: Catalog,
    scorecards: dict[str, LoadedScorecard],
    *,
    code: str,
    principal: Principal,
    scope_definitions: ScopeDefinitions,
    secret: bytes,
    as_of: date,
    today: date,
    now: datetime,
    name: str | None = None,
) -> SubjectScores:
    """Every applicable model's score of the subject with its explanation. Only the subject
    itself, government callers and a bank the subject granted the ``scores`` scope may see
    scores; every such read is audited, and all but the subject's own go to its query log.
    A bank sees today's scores only, and their explanations name only records of the scopes
    it was granted that are in publicity (the others are counted without detail)."""
    check_as_of(as_of, today)
    subject = subjects.find_for_reader(
        session, code, principal=principal, name=name, secret=secret, now=now
    )
    view = view_for(principal, subject)
    if view is View.PUBLIC:
        raise ScoresForbidden()
    check_reading_date(third_party=view is View.AUTHORIZED, as_of=as_of, today=today)
    disclosure = _log_and_disclose(
        session,
        principal=principal,
        subject=subject,
        view=view,
        scope_definitions=scope_definitions,
        now=now,
    )
    scores, unavailable = _model_scores(
        session,
        catalog,
        scorecards,
        subject=subject,
        as_of=as_of,
        self_view=view is View.SELF,
        disclosure=disclosure,
    )
    _audit_read(session, principal, subject, view, as_of=as_of, scores=scores, now=now)
    return SubjectScores(
        code=subject.code,
        name=subject.name,
        view=view.value,
        as_of=as_of,
        scores=scores,
        unavailable=unavailable,
    )


def file_grades(
    session: Session,
    catalog: Catalog,
    scorecards: Mapping[str, LoadedScorecard],
    *,
    subject: Subject,
    view: View,
    scopes: Sequence[str] | None,
    scope_definitions: ScopeDefinitions,
    as_of: date,
) -> list[FileGrade] | None:
    """The grades a credit file shows: to the subject itself and government callers, and to
    an authorized reader granted the ``scores`` scope; never in the public view (None). Each
    is the grade in force as checks read it (``scoring.grades``: a fresh stored result of the
    version in force, else online) and says its model version and evaluation date. A model
    that needs consent is shown only while the subject's consent is in force."""
    if view is View.PUBLIC or (
        view is View.AUTHORIZED and not scope_definitions.includes(scopes or [], "scores")
    ):
        return None
    consented = (
        subjects.active_consent(session, subject.id, purpose=subjects.PERSONAL_SCORE) is not None
    )
    models = {m: c for m, c in scorecards.items() if consented or not c.scorecard.consent_required}
    found = grades_of(session, catalog, models, {subject.id: subject.kind.value}, as_of=as_of)
    return [FileGrade.model_validate(g) for g in found.get(subject.id, {}).values()]
