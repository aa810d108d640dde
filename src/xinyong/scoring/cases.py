"""A scorecard's golden cases: records in → indicators, score and grade out, on every path.

A case file (``scoring/definitions/cases/<model>.yaml``) is YAML::

    model: enterprise_public_credit
    cases:
      - name: 无任何记录的企业得基准分
        as_of: 2026-11-30
        subject: {kind: enterprise, uscc: 91330106MA20003340, name: 杭州示范科技有限公司}
        records:
          - type: administrative_penalty
            source_sector: market_regulation
            row: {CF_WSH: 杭市监罚〔2026〕1号, 罚款金额（万元）: 5, …}
        expect:
          indicators: {general_penalties: {value: 1, points: 105}}
          bonus: {public_welfare: {points: 0}}
          veto: {veto_serious_list: false}
          total: 820
          grade: 良好

``subject`` and ``records`` are written as a department sends them (``ingest.cases``); a person
is ``{kind: person, id_number: …, name: …, consent: true}``; without ``consent`` a model with
``consent_required`` computes nothing, which a case states as ``expect: {scored: false}``.
Expectations are the named outputs of the compiled select (``<item>__value``,
``<item>__points``, ``<veto>__veto``, ``total``, ``grade``), judged by ``rules.cases``.

:func:`run_case` pushes the records through the real ingest path, then runs the model's
compiled select online (one subject) and in batch (every subject, then the case's row) on the
session's database; :func:`run_cases_on_duckdb` runs the batch on DuckDB over the facts the
session sees (many cases, one copy). :func:`run_case_file` runs a whole file inside savepoints
that are rolled back, for ``xinyong models test``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session

from xinyong.catalog.loader import Catalog
from xinyong.errors import FieldError, XinyongError
from xinyong.ingest.cases import CASE_SECRET, CaseRecord, CaseSubject, push_case
from xinyong.rules.cases import (
    CaseFile,
    CaseFileError,
    CaseResult,
    Label,
    NamedCase,
    Outputs,
    agree,
    judge,
    load_case_file,
    refused,
)
from xinyong.rules.compiler import compile_scorecard
from xinyong.rules.duck import duckdb_engine, load_facts
from xinyong.rules.facts import Scope
from xinyong.rules.loader import LoadedScorecard
from xinyong.rules.scorecard import Scorecard

ONLINE: Final = "联机"
BATCH: Final = "批量"
DUCKDB_BATCH: Final = "DuckDB批量"
NO_ROW: Final = "（主体类型不适用本模型，或模型要求本人授权而主体未授权）"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExpectedItem(_Strict):
    """An indicator's or bonus item's fact value and points; give either or both
    (``value: null`` expects no value, e.g. no tax rating)."""

    value: Decimal | str | None = None
    points: Decimal | None = None


class Expected(_Strict):
    scored: bool = True
    indicators: dict[str, ExpectedItem] = {}
    bonus: dict[str, ExpectedItem] = {}
    veto: dict[str, bool] = {}
    total: Decimal | None = None
    grade: str | None = None

    def outputs(self) -> dict[str, Any]:
        """The expectations as named outputs of the compiled select."""
        out: dict[str, Any] = {}
        for item_id, item in {**self.indicators, **self.bonus}.items():
            for attr in ("value", "points"):
                if attr in item.model_fields_set:
                    out[f"{item_id}__{attr}"] = getattr(item, attr)
        out.update({f"{veto_id}__veto": hit for veto_id, hit in self.veto.items()})
        if self.total is not None:
            out["total"] = self.total
        if self.grade is not None:
            out["grade"] = self.grade
        return out


class Case(NamedCase):
    subject: CaseSubject
    records: list[CaseRecord] = Field(default_factory=list)
    expect: Expected


class ScorecardCases(CaseFile):
    model: str = Field(min_length=1)
    cases: list[Case] = Field(min_length=1)


def load_cases(path: Path) -> ScorecardCases:
    """Read and validate one scorecard case file; raises :class:`CaseFileError`."""
    return load_case_file(path, ScorecardCases)


def label_for(card: Scorecard) -> Label:
    """The Chinese name of each output of ``card``'s select (None for one it does not have)."""
    labels: dict[str, str] = {"total": "总分", "grade": "等级"}
    items = [(i.id, f"指标“{i.name}”") for d in card.dimensions for i in d.indicators]
    items += [(b.id, f"加分项“{b.name}”") for b in card.bonus]
    for item_id, what in items:
        labels[f"{item_id}__value"] = f"{what}（{item_id}）的事实值"
        labels[f"{item_id}__points"] = f"{what}（{item_id}）的得分"
    for v in card.veto:
        labels[f"{v.id}__veto"] = f"一票否决项“{v.name}”（{v.id}）是否触发"
    return labels.get


def _outputs(row: Any, card: Scorecard) -> dict[str, Any]:
    """A row of the select as named outputs: veto flags as booleans."""
    out = dict(row._mapping)
    for v in card.veto:
        out[f"{v.id}__veto"] = out[f"{v.id}__veto"] == 1
    return out


def _one_row(found: Sequence[Outputs], expect: Expected, path: str) -> list[str]:
    """A scored case needs exactly one row on each path; an unscored one none."""
    if not expect.scored:
        return [f"{path}：案例期望不计算（如未记录本人授权），却得到了结果"] if found else []
    if len(found) != 1:
        return [f"{path}：应得到案例主体的 1 行结果，实际 {len(found)} 行{NO_ROW}"]
    return []


def _all_rows(rows: Any, card: Scorecard) -> dict[int, dict[str, Any]]:
    return {row.subject_id: _outputs(row, card) for row in rows}


def _database_paths(
    session: Session, catalog: Catalog, card: Scorecard, as_of: date, subject_id: int
) -> dict[str, list[dict[str, Any]]]:
    """The case's rows online and in batch on the session's database."""
    dialect = session.get_bind().dialect.name
    online = compile_scorecard(card, catalog, dialect=dialect, scope=Scope.ONE)
    online_rows = session.execute(online.select, online.params(as_of, subject_id))
    batch = _database_batch(session, catalog, card, as_of)
    return {
        ONLINE: [_outputs(r, card) for r in online_rows],
        BATCH: [batch[subject_id]] if subject_id in batch else [],
    }


def _database_batch(
    session: Session, catalog: Catalog, card: Scorecard, as_of: date
) -> dict[int, dict[str, Any]]:
    compiled = compile_scorecard(card, catalog, dialect=session.get_bind().dialect.name)
    return _all_rows(session.execute(compiled.select, compiled.params(as_of)), card)


def run_case(
    session: Session,
    catalog: Catalog,
    scorecard: Scorecard,
    case: Case,
    *,
    secret: bytes = CASE_SECRET,
    now: datetime | None = None,
) -> CaseResult:
    """Push the case's records, score its subject online and in batch on the session's
    database, and judge both rows against the expectations and against each other."""
    engine = session.get_bind().dialect.name
    pushed = push_case(
        session, catalog, case.subject, case.records, as_of=case.as_of, secret=secret, now=now
    )
    problems = list(pushed.problems)
    outputs: dict[str, Outputs] = {}
    if pushed.subject_id is not None:
        paths = _database_paths(session, catalog, scorecard, case.as_of, pushed.subject_id)
        for path, found in paths.items():
            wrong = _one_row(found, case.expect, path)
            problems += wrong
            if not wrong and found:
                outputs[path] = found[0]
    return judge(
        scorecard.id,
        case.name,
        engine,
        case.expect.outputs(),
        outputs,
        label=label_for(scorecard),
        problems=problems,
    )


def _empty_duckdb(duck: Engine) -> None:
    with duck.begin() as conn:
        for table in inspect(conn).get_table_names():
            conn.exec_driver_sql(f'DROP TABLE "{table}"')


def _duckdb_rows(
    session: Session, catalog: Catalog, card: Scorecard, dates: Sequence[date], duck: Engine
) -> dict[date, dict[int, dict[str, Any]]]:
    """Copy the facts once, then run the DuckDB batch as of each date: subject → row."""
    _empty_duckdb(duck)
    load_facts(session, duck)
    compiled = compile_scorecard(card, catalog, dialect="duckdb")
    with duck.connect() as conn:
        return {
            d: _all_rows(conn.execute(compiled.select, compiled.params(d)), card) for d in dates
        }


def run_cases_on_duckdb(
    session: Session,
    catalog: Catalog,
    scorecard: Scorecard,
    cases: Sequence[Case],
    *,
    secret: bytes = CASE_SECRET,
    now: datetime | None = None,
    duck: Engine | None = None,
) -> list[CaseResult]:
    """Push every case (a no-op for one :func:`run_case` already pushed), copy the facts the
    session sees (records, subjects, consents) into DuckDB once, run the batch there once per
    ``as_of``, and judge each case's row against its expectations and the database's batch
    row. The cases must be about different subjects; raises ValueError otherwise.

    ``duck``: a DuckDB engine to reuse (emptied before each copy), so the compiled select is
    compiled once per model; by default a fresh in-memory one."""
    codes = [c.subject.code for c in cases]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise ValueError(f"同一批案例的主体须各不相同：{'、'.join(duplicates)}")
    pushed = [
        push_case(session, catalog, c.subject, c.records, as_of=c.as_of, secret=secret, now=now)
        for c in cases
    ]
    dates = sorted({c.as_of for c in cases})
    with ExitStack() as stack:
        engine = duck if duck is not None else stack.enter_context(duckdb_engine())
        on_duck = _duckdb_rows(session, catalog, scorecard, dates, engine)
    on_database = {d: _database_batch(session, catalog, scorecard, d) for d in dates}
    return [
        _judge_duckdb(scorecard, case, push.problems, push.subject_id, on_duck, on_database)
        for case, push in zip(cases, pushed, strict=True)
    ]


def _judge_duckdb(
    card: Scorecard,
    case: Case,
    problems: Sequence[str],
    subject_id: int | None,
    on_duck: Mapping[date, Mapping[int, Outputs]],
    on_database: Mapping[date, Mapping[int, Outputs]],
) -> CaseResult:
    if subject_id is None:
        return judge(card.id, case.name, "duckdb", {}, {}, label=label_for(card), problems=problems)
    duck_row = on_duck[case.as_of].get(subject_id)
    found = [duck_row] if duck_row is not None else []
    wrong = [*problems, *_one_row(found, case.expect, DUCKDB_BATCH)]
    outputs = {DUCKDB_BATCH: found[0]} if found and len(wrong) == len(problems) else {}
    database_row = on_database[case.as_of].get(subject_id)
    if outputs and database_row is not None:
        wrong += agree({DUCKDB_BATCH: found[0], BATCH: database_row})
    return judge(
        card.id,
        case.name,
        "duckdb",
        case.expect.outputs(),
        outputs,
        label=label_for(card),
        problems=wrong,
    )


def run_case_file(
    session: Session,
    catalog: Catalog,
    models: Mapping[str, Scorecard | LoadedScorecard],
    path: Path,
    *,
    duckdb: bool = True,
    only: Sequence[str] | None = None,
    secret: bytes = CASE_SECRET,
) -> list[CaseResult]:
    """Every case of ``path`` (or those named in ``only``): each pushed and scored online and
    in batch on the database inside its own savepoint, rolled back afterwards; then, when
    ``duckdb``, all of them pushed together in one savepoint (one per case when two cases share
    a subject) and scored by one DuckDB batch. Raises :class:`CaseFileError` for a bad file or
    an unknown model. Results: the database results in case order, then the DuckDB ones."""
    cases = load_cases(path)
    model = models.get(cases.model)
    if model is None:
        problem = FieldError("model", "rules.unknown_model", f"没有这个评价模型：{cases.model}")
        raise CaseFileError(path, [problem])
    card = model.scorecard if isinstance(model, LoadedScorecard) else model
    selected = [c for c in cases.cases if only is None or c.name in only]
    results: list[CaseResult] = []
    for case in selected:
        savepoint = session.begin_nested()
        try:
            results.append(run_case(session, catalog, card, case, secret=secret))
        except XinyongError as exc:  # a case the platform refuses is a failed case, not a crash
            results.append(refused(card.id, case.name, "数据库", exc))
        finally:
            savepoint.rollback()
    if duckdb and selected:
        with duckdb_engine() as duck:
            results += _run_on_duckdb(session, catalog, card, selected, secret=secret, duck=duck)
    return results


def _run_on_duckdb(
    session: Session,
    catalog: Catalog,
    card: Scorecard,
    selected: Sequence[Case],
    *,
    secret: bytes,
    duck: Engine,
) -> list[CaseResult]:
    codes = [c.subject.code for c in selected]
    groups = [selected] if len(set(codes)) == len(codes) else [[c] for c in selected]
    results: list[CaseResult] = []
    for group in groups:
        savepoint = session.begin_nested()
        try:
            results += run_cases_on_duckdb(session, catalog, card, group, secret=secret, duck=duck)
        except XinyongError as exc:
            results += [refused(card.id, case.name, DUCKDB_BATCH, exc) for case in group]
        finally:
            savepoint.rollback()
    return results
