"""Running model test cases (format: ``rules.case_format``) online, in batch and on DuckDB.

Run cases on a scratch database: a case's enterprise is found by its USCC, so on a database
holding real records for that code the real records would count too, and the DuckDB path copies
every record the session sees.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session

from xinyong.accounts.service import create_department, get_department
from xinyong.catalog.loader import Catalog
from xinyong.catalog.validation import alias_index, header_key
from xinyong.errors import FieldError, XinyongError
from xinyong.kit.identifiers import (
    IdentifierError,
    hash_resident_id,
    mask_resident_id,
    validate_resident_id,
    validate_uscc,
)
from xinyong.rules.case_format import (
    Case,
    CaseFileError,
    CaseSubject,
    Expected,
    load_cases,
)
from xinyong.rules.compiler import Scope, compile_scorecard
from xinyong.rules.duck import duckdb_engine, load_facts
from xinyong.rules.loader import LoadedScorecard
from xinyong.rules.scorecard import Scorecard
from xinyong.subjects.models import KIND_LABELS, Subject, SubjectKind
from xinyong.subjects.service import (
    PERSONAL_SCORE,
    SubjectRef,
    grant_consent,
    resolve_many,
    subject_lookup,
)

CENT = Decimal("0.01")
# Case data is synthetic: persons are hashed with this secret unless the caller gives another.
CASE_SECRET = b"xinyong-model-cases"
DEPARTMENT_PREFIX = "CASE-"
ONLINE = "联机"
BATCH = "批量"
DUCKDB_BATCH = "DuckDB批量"
ORGANISATION_CATEGORY = "法人及非法人组织"
PERSON_CATEGORY = "自然人"
DEFAULT_LEGAL_REP = "张三"
CONSENT_CHANNEL = "案例"


class Ingest(Protocol):
    """How a case's rows enter the database: ``xinyong.ingest.service.ingest_rows`` with the
    actor and the organisation-code policy bound, e.g. ``partial(ingest_rows,
    actor=Actor("cases", "system"), strict_org_code=False)``. Passed in because the rules
    layer sits below ingest (one-way layers, STYLE.md); it returns the batch report."""

    def __call__(
        self,
        session: Session,
        catalog: Catalog,
        *,
        record_type: str,
        source: str,
        rows: Sequence[Mapping[str, Any]],
        secret: bytes,
        now: datetime,
    ) -> dict[str, Any]: ...


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one case on one engine: the rows each path produced (normalised: numbers
    quantized to 0.01) and every mismatch, in Chinese, prefixed by the path."""

    model: str
    case: str
    engine: str
    scored: bool
    rows: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    mismatches: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.mismatches

    def describe(self) -> str:
        head = (
            f"{'通过' if self.passed else '未通过'}：{self.model} /「{self.case}」（{self.engine}）"
        )
        return "\n".join([head, *(f"  - {m}" for m in self.mismatches)])


@dataclass(frozen=True)
class Pushed:
    subject_id: int | None
    problems: tuple[str, ...]


def _department_code(sector: str) -> str:
    return f"{DEPARTMENT_PREFIX}{sector}"


def _ensure_department(session: Session, sector: str, now: datetime) -> str:
    code = _department_code(sector)
    if get_department(session, code) is None:
        create_department(
            session, code=code, name=f"案例数据来源（{sector}）", sector=sector, now=now
        )
    return code


def _identity(subject: CaseSubject) -> dict[str, str]:
    if subject.kind == "person":
        return {
            "subject_name": subject.name,
            "subject_category": PERSON_CATEGORY,
            "id_type": "身份证",
            "id_number": subject.id_number or "",
        }
    return {
        "subject_name": subject.name,
        "subject_category": ORGANISATION_CATEGORY,
        "uscc": subject.uscc or "",
        "legal_rep": subject.legal_rep or DEFAULT_LEGAL_REP,
    }


def _case_now(as_of: date) -> datetime:
    return datetime(as_of.year, as_of.month, as_of.day, 4, 0, tzinfo=UTC)


def _register_subject(
    session: Session, subject: CaseSubject, *, secret: bytes, now: datetime
) -> Subject:
    """A subject with no records yet (a case without records), created as ingest would."""
    if subject.kind == "person":
        number = validate_resident_id(subject.id_number or "")
        ref = SubjectRef(
            name=subject.name,
            category=PERSON_CATEGORY,
            id_hash=hash_resident_id(number, secret),
            id_masked=mask_resident_id(number),
        )
    else:
        ref = SubjectRef(
            name=subject.name,
            category=ORGANISATION_CATEGORY,
            uscc=validate_uscc(subject.uscc or ""),
            legal_rep=subject.legal_rep or DEFAULT_LEGAL_REP,
        )
    subject_id = resolve_many(session, [ref], now=now)[ref.key]
    return session.get_one(Subject, subject_id)


def push_case(
    session: Session,
    catalog: Catalog,
    case: Case,
    *,
    ingest: Ingest,
    secret: bytes = CASE_SECRET,
    now: datetime | None = None,
) -> Pushed:
    """Ingest the case's records (identity columns filled from the subject) and find its
    subject. Rejected rows and unknown columns are problems; a case must push cleanly."""
    now = now or _case_now(case.as_of)
    problems: list[str] = []
    identity = _identity(case.subject)
    for number, record in enumerate(case.records, start=1):
        rt = catalog.get(record.type)
        if rt is None:
            problems.append(f"第 {number} 条记录：未知的信息类型 {record.type}")
            continue
        index = alias_index(rt)
        given = {index.get(header_key(k)) for k in record.row}
        row = {k: v for k, v in identity.items() if k not in given and k in index.values()}
        row.update(record.row)
        try:
            source = _ensure_department(session, record.source_sector, now)
            report = ingest(
                session,
                catalog,
                record_type=record.type,
                source=source,
                rows=[row],
                secret=secret,
                now=now,
            )
        except XinyongError as exc:
            problems.append(f"第 {number} 条记录（{rt.name}）无法导入：{exc.title}")
            continue
        for reject in report["rejects"]:
            problems.append(
                f"第 {number} 条记录（{rt.name}）被拒收：{reject['field']}：{reject['message']}"
            )
        if report["unknown_columns"]:
            unknown = "、".join(report["unknown_columns"])
            problems.append(f"第 {number} 条记录（{rt.name}）有未知列：{unknown}")
    subject = session.scalars(subject_lookup(case.subject.code, secret=secret)).first()
    if subject is None:
        try:
            subject = _register_subject(session, case.subject, secret=secret, now=now)
        except IdentifierError as exc:
            problems.append(f"案例主体的代码有误：{exc.message}")
            return Pushed(None, tuple(problems))
    if subject.kind != SubjectKind(case.subject.kind):
        problems.append(
            f"案例主体被识别为{subject.kind.label}，而案例写的是{KIND_LABELS[SubjectKind(case.subject.kind)]}"
        )
    if case.subject.consent:
        grant_consent(session, subject, purpose=PERSONAL_SCORE, channel=CONSENT_CHANNEL, now=now)
    return Pushed(subject.id, tuple(problems))


def _norm(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value)).quantize(CENT)
    return value


def _norm_row(row: Any) -> dict[str, Any]:
    return {key: _norm(value) for key, value in row._mapping.items()}


def _show(value: Any) -> str:
    return "空" if value is None else str(value)


def _compare(card: Scorecard, expect: Expected, row: Mapping[str, Any], path: str) -> list[str]:
    names = {i.id: i.name for d in card.dimensions for i in d.indicators}
    bonus_names = {b.id: b.name for b in card.bonus}
    veto_names = {v.id: v.name for v in card.veto}
    out: list[str] = []
    groups = (("指标", expect.indicators, names), ("加分项", expect.bonus, bonus_names))
    for label, items, known in groups:
        for item_id, item in items.items():
            if item_id not in known:
                out.append(f"{path}：模型中没有{label} {item_id}")
                continue
            what = f"{label}“{known[item_id]}”（{item_id}）"
            checks = (("value", "事实值"), ("points", "得分"))
            for attr, noun in checks:
                if attr not in item.model_fields_set:
                    continue
                expected = _norm(getattr(item, attr))
                actual = row.get(f"{item_id}__{attr}")
                if actual != expected:
                    out.append(f"{path}：{what}的{noun}为 {_show(actual)}，应为 {_show(expected)}")
    for veto_id, hit in expect.veto.items():
        if veto_id not in veto_names:
            out.append(f"{path}：模型中没有一票否决项 {veto_id}")
            continue
        actual_hit = row.get(f"{veto_id}__veto") == Decimal(1)
        if actual_hit != hit:
            out.append(
                f"{path}：一票否决项“{veto_names[veto_id]}”（{veto_id}）"
                f"{'触发' if actual_hit else '未触发'}，应为{'触发' if hit else '未触发'}"
            )
    if expect.total is not None and row.get("total") != _norm(expect.total):
        out.append(f"{path}：总分为 {_show(row.get('total'))}，应为 {_norm(expect.total)}")
    if expect.grade is not None and row.get("grade") != expect.grade:
        out.append(f"{path}：等级为 {_show(row.get('grade'))}，应为 {expect.grade}")
    return out


def _consistency(rows: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Every path must produce the very same row."""
    out: list[str] = []
    items = list(rows.items())
    for (first, a), (other, b) in pairwise(items):
        differing = sorted(k for k in {*a, *b} if a.get(k) != b.get(k))
        if differing:
            out.append(f"{first}与{other}的结果不一致：{'、'.join(differing)}")
    return out


def _batch_row(rows: Any, subject_id: int) -> dict[str, Any] | None:
    for row in rows:
        if row.subject_id == subject_id:
            return _norm_row(row)
    return None


def _database_rows(
    session: Session, catalog: Catalog, card: Scorecard, as_of: date, subject_id: int
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    dialect = session.get_bind().dialect.name
    online = compile_scorecard(card, catalog, dialect=dialect, scope=Scope.ONE)
    online_rows = [
        _norm_row(r) for r in session.execute(online.select, online.params(as_of, subject_id))
    ]
    batch = compile_scorecard(card, catalog, dialect=dialect)
    batch_row = _batch_row(session.execute(batch.select, batch.params(as_of)), subject_id)
    return online_rows, batch_row


def _empty_duckdb(duck: Engine) -> None:
    with duck.begin() as conn:
        for table in inspect(conn).get_table_names():
            conn.exec_driver_sql(f'DROP TABLE "{table}"')


def _all_rows(rows: Any) -> dict[int, dict[str, Any]]:
    return {row.subject_id: _norm_row(row) for row in rows}


def _duckdb_rows(
    session: Session,
    catalog: Catalog,
    card: Scorecard,
    dates: Sequence[date],
    duck: Engine,
) -> dict[date, dict[int, dict[str, Any]]]:
    """Copy the facts once, then run the DuckDB batch as of each date: subject → row."""
    _empty_duckdb(duck)
    load_facts(session, duck)
    compiled = compile_scorecard(card, catalog, dialect="duckdb")
    with duck.connect() as conn:
        return {d: _all_rows(conn.execute(compiled.select, compiled.params(d))) for d in dates}


def _database_batch(
    session: Session, catalog: Catalog, card: Scorecard, as_of: date
) -> dict[int, dict[str, Any]]:
    compiled = compile_scorecard(card, catalog, dialect=session.get_bind().dialect.name)
    return _all_rows(session.execute(compiled.select, compiled.params(as_of)))


def _check_path(
    card: Scorecard,
    expect: Expected,
    path: str,
    found: list[dict[str, Any]],
    rows: dict[str, dict[str, Any]],
) -> list[str]:
    """Compare what one path produced (0 or 1 rows) with the expectations; keep its row."""
    if not expect.scored:
        if found:
            return [f"{path}：案例期望不计算（如未记录本人授权），却得到了结果"]
        return []
    if len(found) != 1:
        return [
            f"{path}：应得到案例主体的 1 行结果，实际 {len(found)} 行"
            "（主体类型不适用本模型，或模型要求本人授权而主体未授权）"
        ]
    rows[path] = found[0]
    return _compare(card, expect, found[0], path)


def run_case(
    session: Session,
    catalog: Catalog,
    scorecard: Scorecard,
    case: Case,
    *,
    ingest: Ingest,
    secret: bytes = CASE_SECRET,
    now: datetime | None = None,
) -> CaseResult:
    """Push the case's records, score its subject online and in batch on the session's
    database, and compare both rows with the expectations and with each other."""
    engine = session.get_bind().dialect.name
    pushed = push_case(session, catalog, case, ingest=ingest, secret=secret, now=now)
    problems = list(pushed.problems)
    rows: dict[str, dict[str, Any]] = {}
    if pushed.subject_id is not None:
        online_rows, batch_row = _database_rows(
            session, catalog, scorecard, case.as_of, pushed.subject_id
        )
        problems += _check_path(scorecard, case.expect, ONLINE, online_rows, rows)
        batch_found = [batch_row] if batch_row is not None else []
        problems += _check_path(scorecard, case.expect, BATCH, batch_found, rows)
        problems += _consistency(rows)
    return CaseResult(scorecard.id, case.name, engine, bool(rows), rows, tuple(problems))


def run_case_on_duckdb(
    session: Session,
    catalog: Catalog,
    scorecard: Scorecard,
    case: Case,
    *,
    ingest: Ingest,
    secret: bytes = CASE_SECRET,
    now: datetime | None = None,
    duck: Engine | None = None,
) -> CaseResult:
    """Push the case's records (a no-op when :func:`run_case` already did), copy the facts the
    session sees (records, subjects, consents) into DuckDB, run the batch there and compare
    the case's row with the expectations and with the database's batch row.

    ``duck``: a DuckDB engine to reuse (emptied before each copy), so the compiled select is
    compiled once per model; by default a fresh in-memory one per call."""
    [result] = run_cases_on_duckdb(
        session, catalog, scorecard, [case], ingest=ingest, secret=secret, now=now, duck=duck
    )
    return result


def run_cases_on_duckdb(
    session: Session,
    catalog: Catalog,
    scorecard: Scorecard,
    cases: Sequence[Case],
    *,
    ingest: Ingest,
    secret: bytes = CASE_SECRET,
    now: datetime | None = None,
    duck: Engine | None = None,
) -> list[CaseResult]:
    """:func:`run_case_on_duckdb` for several cases at once: every case is pushed, the facts
    are copied once and the DuckDB batch runs once per ``as_of``. The cases must be about
    different subjects (each subject's facts are its own); raises ValueError otherwise."""
    codes = [c.subject.code for c in cases]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise ValueError(f"同一批案例的主体须各不相同：{'、'.join(duplicates)}")
    pushed = [push_case(session, catalog, c, ingest=ingest, secret=secret, now=now) for c in cases]
    dates = sorted({c.as_of for c in cases})
    with ExitStack() as stack:
        engine = duck if duck is not None else stack.enter_context(duckdb_engine())
        on_duck = _duckdb_rows(session, catalog, scorecard, dates, engine)
    on_database = {d: _database_batch(session, catalog, scorecard, d) for d in dates}
    results: list[CaseResult] = []
    for case, push in zip(cases, pushed, strict=True):
        problems = list(push.problems)
        rows: dict[str, dict[str, Any]] = {}
        if push.subject_id is not None:
            duck_row = on_duck[case.as_of].get(push.subject_id)
            found = [duck_row] if duck_row is not None else []
            problems += _check_path(scorecard, case.expect, DUCKDB_BATCH, found, rows)
            database_row = on_database[case.as_of].get(push.subject_id)
            if rows and database_row is not None:
                problems += _consistency({**rows, BATCH: database_row})
        results.append(
            CaseResult(scorecard.id, case.name, "duckdb", bool(rows), rows, tuple(problems))
        )
    return results


def _scorecard(model: Scorecard | LoadedScorecard) -> Scorecard:
    return model.scorecard if isinstance(model, LoadedScorecard) else model


def run_case_file(
    session: Session,
    catalog: Catalog,
    models: Mapping[str, Scorecard | LoadedScorecard],
    path: Path,
    *,
    ingest: Ingest,
    duckdb: bool = True,
    only: Sequence[str] | None = None,
    secret: bytes = CASE_SECRET,
) -> list[CaseResult]:
    """Every case of ``path`` (or those named in ``only``): each pushed and scored online and
    in batch on the database inside its own savepoint, rolled back afterwards; then, when
    ``duckdb``, all of them pushed together in one savepoint (one per case when two cases share
    a subject) and scored by one DuckDB batch. Raises :class:`CaseFileError` for a bad file or
    an unknown model. Results: the database results in case order, then the DuckDB ones."""
    with ExitStack() as stack:
        duck = stack.enter_context(duckdb_engine()) if duckdb else None
        return _run_cases(
            session, catalog, models, path, ingest=ingest, duck=duck, only=only, secret=secret
        )


def _refused(card: Scorecard, case: Case, engine: str, exc: XinyongError) -> CaseResult:
    detail = "；".join(e.message for e in exc.errors) or exc.title
    return CaseResult(
        card.id, case.name, engine, False, mismatches=(f"案例无法运行：{detail}（{exc.code}）",)
    )


def _run_cases(
    session: Session,
    catalog: Catalog,
    models: Mapping[str, Scorecard | LoadedScorecard],
    path: Path,
    *,
    ingest: Ingest,
    duck: Engine | None,
    only: Sequence[str] | None,
    secret: bytes,
) -> list[CaseResult]:
    cases = load_cases(path)
    model = models.get(cases.model)
    if model is None:
        problem = FieldError("model", "rules.unknown_model", f"没有这个评价模型：{cases.model}")
        raise CaseFileError(path, [problem])
    card = _scorecard(model)
    selected = [c for c in cases.cases if only is None or c.name in only]
    results: list[CaseResult] = []
    for case in selected:
        savepoint = session.begin_nested()
        try:
            results.append(run_case(session, catalog, card, case, ingest=ingest, secret=secret))
        except XinyongError as exc:  # a case the platform refuses is a failed case, not a crash
            results.append(_refused(card, case, "数据库", exc))
        finally:
            savepoint.rollback()
    if duck is None or not selected:
        return results
    codes = [c.subject.code for c in selected]
    groups = [selected] if len(set(codes)) == len(codes) else [[c] for c in selected]
    for group in groups:
        savepoint = session.begin_nested()
        try:
            results += run_cases_on_duckdb(
                session, catalog, card, group, ingest=ingest, secret=secret, duck=duck
            )
        except XinyongError as exc:
            results += [_refused(card, case, DUCKDB_BATCH, exc) for case in group]
        finally:
            savepoint.rollback()
    return results
