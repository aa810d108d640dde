"""The list rules' golden cases: a subject's records in → the lists it is on out.

A case file (``lists/definitions/cases/lists.yaml``) gives a subject and its records as a
department sends them (``ingest.cases``) and names the outputs on ``as_of``: ``lists``, the
lists the subject counts as being on (in the order of the list definitions; a list another
wins over is not counted), ``suppressed``, those it is on but another wins over (red under
black), and per list ``<list>.starts_on`` (the earliest entry) and ``<list>.ends_on`` (the
latest; empty while an entry is open-ended). Each case is pushed through the real ingest path
inside a savepoint that is rolled back, then read for that one subject (the per-subject query a
credit file and a check use) and over every subject (the list page's query); both must agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from xinyong.catalog.loader import Catalog
from xinyong.errors import XinyongError
from xinyong.ingest.cases import CaseRecord, CaseSubject, push_case
from xinyong.lists.definitions import DEFINITIONS_PATH, ListDefinitions
from xinyong.lists.entries import ListEntry, fetch_entries
from xinyong.rules.cases import (
    CaseFile,
    CaseResult,
    FactCase,
    Label,
    Outputs,
    judge,
    load_case_file,
    refused,
)

CASES_PATH: Final = DEFINITIONS_PATH.parent / "cases" / "lists.yaml"
ONE_SUBJECT: Final = "单个主体"
ALL_SUBJECTS: Final = "全部主体"
DEFINITION: Final = "名单规则"


class ListFacts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    subject: CaseSubject
    records: list[CaseRecord] = Field(default_factory=list)


ListCase = FactCase[ListFacts]


class ListCases(CaseFile):
    cases: list[ListCase] = Field(min_length=1)


def load_cases(path: Path = CASES_PATH) -> ListCases:
    """Read and validate the list rules' case file; raises ``rules.cases.CaseFileError``."""
    return load_case_file(path, ListCases)


def labeller(definitions: ListDefinitions) -> Label:
    """The Chinese name of each output (None for one the definitions do not have)."""
    labels = {"lists": "所在名单", "suppressed": "被压制的名单"}
    for x in definitions.lists:
        labels[f"{x.id}.starts_on"] = f"{x.name}的列入日期"
        labels[f"{x.id}.ends_on"] = f"{x.name}的移出日期"
    return labels.get


def outputs(definitions: ListDefinitions, entries: Sequence[ListEntry]) -> dict[str, Any]:
    """One subject's entries as named outputs."""
    on = {e.list_id for e in entries}
    ordered = [x.id for x in definitions.lists if x.id in on]
    out: dict[str, Any] = {
        "lists": [i for i in ordered if definitions.suppressor(i, on) is None],
        "suppressed": [i for i in ordered if definitions.suppressor(i, on) is not None],
    }
    for list_id in ordered:
        mine = [e for e in entries if e.list_id == list_id]
        ends = [e.ends_on for e in mine]
        out[f"{list_id}.starts_on"] = min(e.starts_on for e in mine)
        out[f"{list_id}.ends_on"] = None if None in ends else max(d for d in ends if d)
    return out


def _paths(
    session: Session, definitions: ListDefinitions, catalog: Catalog, subject_id: int, on: date
) -> dict[str, Outputs]:
    one = fetch_entries(
        session, definitions, catalog, list_id=None, as_of=on, subject_ids=[subject_id]
    )
    every = fetch_entries(session, definitions, catalog, list_id=None, as_of=on)
    return {
        ONE_SUBJECT: outputs(definitions, one),
        ALL_SUBJECTS: outputs(definitions, [e for e in every if e.subject_id == subject_id]),
    }


def run_case(
    session: Session, definitions: ListDefinitions, catalog: Catalog, case: ListCase
) -> CaseResult:
    """Push the case's records, read its subject's lists both ways and judge them."""
    engine = session.get_bind().dialect.name
    pushed = push_case(session, catalog, case.facts.subject, case.facts.records, as_of=case.as_of)
    found: dict[str, Outputs] = {}
    if pushed.subject_id is not None:
        found = _paths(session, definitions, catalog, pushed.subject_id, case.as_of)
    return judge(
        DEFINITION,
        case.name,
        engine,
        case.expect,
        found,
        label=labeller(definitions),
        problems=pushed.problems,
    )


def run_list_cases(
    session: Session, definitions: ListDefinitions, catalog: Catalog, cases: ListCases
) -> list[CaseResult]:
    """Every case in its own savepoint, rolled back afterwards; in case order."""
    results: list[CaseResult] = []
    for case in cases.cases:
        savepoint = session.begin_nested()
        try:
            results.append(run_case(session, definitions, catalog, case))
        except XinyongError as exc:  # a case the platform refuses is a failed case, not a crash
            results.append(refused(DEFINITION, case.name, "数据库", exc))
        finally:
            savepoint.rollback()
    return results
