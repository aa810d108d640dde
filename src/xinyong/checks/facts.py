"""What a credit check knows of a subject, gathered set-based for one subject or a bidder list.

The same facts feed the measures' triggers (as a row for ``predicate_eval``) and the response:
the grade under each model in force that needs no consent, list memberships (a red entry
suppressed by black does not count), and the subject's bad records in publicity: how many,
how many serious, how many full years since the latest serious penalty, how many commitment
breaches. Expired, revoked and (from issue 5) repaired records count for nothing. The record
counts are facts of the rules engine (:func:`record_facts`, compiled by ``rules.facts``), so a
check counts records exactly as a scorecard or a list rule would.

A grade is the one ``/subjects/{code}/scores`` gives for the model version in force, read by
:func:`xinyong.scoring.grades.grades_of`: a stored result of that very version unless the
subject is marked stale, else the compiled select run online.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import BindParameter, Date, bindparam
from sqlalchemy.orm import Session

from xinyong.catalog.loader import Catalog
from xinyong.catalog.schemas import Polarity
from xinyong.lists.definitions import ListDefinitions
from xinyong.lists.schemas import ListMembership
from xinyong.lists.service import memberships_of
from xinyong.rules.expression import FieldSpec
from xinyong.rules.facts import CompiledFacts, Fact, Measure, Scope, facts_select
from xinyong.rules.loader import LoadedScorecard
from xinyong.rules.scorecard import Scorecard
from xinyong.scoring.grades import GradeFact, grades_of
from xinyong.subjects.models import SubjectKind

SERIOUS_PENALTY_TYPE = "administrative_penalty"
COMMITMENT_BREACH_TYPE = "commitment_breach"


@dataclass
class SubjectFacts:
    subject_id: int
    kind: str
    grades: dict[str, GradeFact] = field(default_factory=dict)
    lists: list[ListMembership] = field(default_factory=list)
    bad_records: int = 0
    serious_bad_records: int = 0
    serious_penalty_years_ago: int | None = None
    commitment_breaches: int = 0

    @property
    def list_ids(self) -> list[str]:
        """Lists the subject counts as being on: a suppressed entry (red under black) does not."""
        return sorted({m.list_id for m in self.lists if m.suppressed_by is None})

    def row(self, model_id: str | None) -> dict[str, Any]:
        """The values a trigger reads; ``grade`` is the grade under ``model_id`` (None: unknown)."""
        grade = self.grades.get(model_id) if model_id else None
        return {
            "grade": grade.grade if grade else None,
            "lists": self.list_ids,
            "bad_records": self.bad_records,
            "serious_bad_records": self.serious_bad_records,
            "serious_penalty_years_ago": self.serious_penalty_years_ago,
            "commitment_breaches": self.commitment_breaches,
            "subject_kind": self.kind,
        }


FACT_LABELS: Mapping[str, str] = {
    "grade": "公共信用评价等级",
    "lists": "所在名单",
    "bad_records": "公示期内失信记录数",
    "serious_bad_records": "公示期内严重失信记录数",
    "serious_penalty_years_ago": "最近一次严重行政处罚距今整年数",
    "commitment_breaches": "公示期内违诺记录数",
    "subject_kind": "主体类别",
}


def fact_fields(card: Scorecard | None, lists: ListDefinitions) -> dict[str, FieldSpec]:
    """The names a measure's trigger may use; ``grade`` only when the measure names a model,
    with that model's grades as its vocabulary."""
    fields = {
        "lists": FieldSpec("lists", FACT_LABELS["lists"], "list", tuple(x.id for x in lists.lists)),
        "subject_kind": FieldSpec(
            "subject_kind",
            FACT_LABELS["subject_kind"],
            "string",
            tuple(k.value for k in SubjectKind),
        ),
    }
    for name in (
        "bad_records",
        "serious_bad_records",
        "serious_penalty_years_ago",
        "commitment_breaches",
    ):
        fields[name] = FieldSpec(name, FACT_LABELS[name], "number")
    if card is not None:
        fields["grade"] = FieldSpec(
            "grade", f"{card.name}等级", "string", tuple(g.grade for g in card.grades)
        )
    return fields


def full_years_between(earlier: date, later: date) -> int:
    """Whole years from ``earlier`` to ``later`` (a birthday count): 2024-05-01 → 2027-04-30 is 2."""
    years = later.year - earlier.year
    if (later.month, later.day) < (earlier.month, earlier.day):
        years -= 1
    return max(years, 0)


# The statements of the check's hot path are built once, with the subjects and the date bound
# at execution, so that each check only looks up SQLAlchemy's compiled form.
_SUBJECT_IDS: BindParameter[Any] = bindparam("subject_ids", expanding=True)
_AS_OF = bindparam("as_of", type_=Date)
_BAD_IN_PUBLICITY: Final[dict[str, Any]] = {"polarity": [Polarity.BAD.value], "in_publicity": True}
_COUNTS: dict[tuple[str, str], CompiledFacts] = {}
_COUNTS_MAX: Final = 16


def record_facts(catalog: Catalog) -> dict[str, Fact]:
    """The facts a check reads from records, in the engine's terms: bad records in publicity on
    ``as_of`` (any type), the serious ones, the days since the latest serious administrative
    penalty, and commitment breaches."""
    every_type = sorted(catalog.types)
    return {
        "bad_records": Fact(measure=Measure.COUNT, record_types=every_type, **_BAD_IN_PUBLICITY),
        "serious_bad_records": Fact(
            measure=Measure.COUNT, record_types=every_type, severity=["严重"], **_BAD_IN_PUBLICITY
        ),
        "serious_penalty_days_ago": Fact(
            measure=Measure.DAYS_SINCE,
            record_types=[SERIOUS_PENALTY_TYPE],
            severity=["严重"],
            **_BAD_IN_PUBLICITY,
        ),
        "commitment_breaches": Fact(
            measure=Measure.COUNT, record_types=[COMMITMENT_BREACH_TYPE], **_BAD_IN_PUBLICITY
        ),
    }


def _counts_select(catalog: Catalog, dialect: str) -> CompiledFacts:
    """:func:`record_facts` as one select for some subjects, built once per catalog and dialect."""
    key = (catalog.definition_hash, dialect)
    found = _COUNTS.get(key)
    if found is None:
        if len(_COUNTS) >= _COUNTS_MAX:
            _COUNTS.clear()
        found = _COUNTS[key] = facts_select(
            record_facts(catalog), catalog, dialect=dialect, scope=Scope.SOME
        )
    return found


def _record_counts(
    session: Session, catalog: Catalog, subject_ids: Collection[int], as_of: date
) -> dict[int, tuple[int, int, date | None, int]]:
    compiled = _counts_select(catalog, session.get_bind().dialect.name)
    rows = session.execute(compiled.select, compiled.params(as_of, subject_ids=list(subject_ids)))
    return {
        row.subject_id: (
            int(row.bad_records),
            int(row.serious_bad_records),
            None
            if row.serious_penalty_days_ago is None
            else as_of - timedelta(days=int(row.serious_penalty_days_ago)),
            int(row.commitment_breaches),
        )
        for row in rows
    }


def _grades(
    session: Session,
    catalog: Catalog,
    scorecards: Mapping[str, LoadedScorecard],
    subjects: Mapping[int, str],
    as_of: date,
) -> dict[int, dict[str, GradeFact]]:
    """Each subject's grade under every model of its kind that needs no consent."""
    models = {m: c for m, c in scorecards.items() if not c.scorecard.consent_required}
    return grades_of(session, catalog, models, subjects, as_of=as_of)


def gather(
    session: Session,
    catalog: Catalog,
    scorecards: Mapping[str, LoadedScorecard],
    list_definitions: ListDefinitions,
    *,
    subjects: Mapping[int, str],
    as_of: date,
    now: datetime,
) -> dict[int, SubjectFacts]:
    """Facts of every subject in ``subjects`` (id → kind) on ``as_of``: four queries, plus one
    online evaluation per model for the subjects without a stored result of its version."""
    facts = {sid: SubjectFacts(subject_id=sid, kind=kind) for sid, kind in subjects.items()}
    if not facts:
        return facts
    for sid, (n, n_serious, latest, breaches) in _record_counts(
        session, catalog, facts, as_of
    ).items():
        f = facts[sid]
        f.bad_records, f.serious_bad_records, f.commitment_breaches = n, n_serious, breaches
        f.serious_penalty_years_ago = full_years_between(latest, as_of) if latest else None
    for sid, grades in _grades(session, catalog, scorecards, subjects, as_of).items():
        facts[sid].grades = grades
    # Entries in the order of the list catalog (then by listing date), so that reasons and the
    # answer name the lists in one fixed order whatever order the database returned them in.
    order = {d.id: i for i, d in enumerate(list_definitions.lists)}
    for sid, entries in memberships_of(
        session, list_definitions, catalog, subject_ids=list(facts), as_of=as_of, now=now
    ).items():
        facts[sid].lists = sorted(
            entries, key=lambda m: (order.get(m.list_id, len(order)), m.starts_on, m.basis)
        )
    return facts
