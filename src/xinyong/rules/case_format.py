"""The format of model test cases (openfisca style): facts in → indicators, score and grade out.

A case file is YAML::

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

``row`` is keyed by column titles, CF_/XK_ codes or field names, as a department would send it;
the subject's identifying columns (名称、类别、统一社会信用代码 and 法定代表人, or 证件类型 and
证件号码) are filled from ``subject`` unless the row gives them. A person is written
``{kind: person, id_number: …, name: …, consent: true}``; without ``consent`` a model with
``consent_required`` computes nothing, which a case states as ``expect: {scored: false}``.
An optional top-level ``templates`` mapping is ignored: it holds YAML anchors (``&penalty``)
that rows merge in (``<<: *penalty``). Expectations are partial: only what a case names is
checked (``value: null`` expects no value). Numbers are compared quantized to 0.01.

:func:`run_case` pushes the records through the real ingest path (one department per sector,
created when missing; ``consent: true`` is recorded with ``grant_consent``), then runs the
model's compiled select online (``one_subject``) and in batch (every subject, then the case's
row) on the session's database; :func:`run_case_on_duckdb` runs the batch on DuckDB over the
facts the session sees (:func:`run_cases_on_duckdb`: many cases, one copy). All report
mismatches in Chinese. :func:`run_case_file` runs a whole file inside savepoints that are
rolled back, for the CLI.

Run cases on a scratch database: a case's enterprise is found by its USCC, so on a database
holding real records for that code the real records would count too, and the DuckDB path copies
every record the session sees.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from xinyong.errors import FieldError, XinyongError

# The cases shipped with the models: `xinyong models test` and the test suite run them.
CASES_DIRECTORY = Path(__file__).parent / "definitions" / "cases"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CaseSubject(_Strict):
    """Who the case is about. ``consent: true`` records the subject's authorisation (授权) to
    personal scoring before scoring; a model with ``consent_required`` computes nothing for a
    subject without it (the compiled select filters on the recorded consent)."""

    kind: Literal["enterprise", "person", "social_org", "institution", "government"]
    name: str = Field(min_length=1)
    uscc: str | None = None
    id_number: str | None = None
    legal_rep: str | None = None
    consent: bool = False

    @field_validator("uscc", "id_number", mode="before")
    @classmethod
    def _codes_are_text(cls, value: Any) -> Any:
        """An all-digit code written unquoted in YAML is read as a number: take its text."""
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _identified(self) -> CaseSubject:
        if self.kind == "person":
            if not self.id_number or self.uscc:
                raise ValueError("自然人须给出 id_number（证件号码），且不给 uscc")
        elif not self.uscc or self.id_number:
            raise ValueError("组织须给出 uscc（统一社会信用代码），且不给 id_number")
        return self

    @property
    def code(self) -> str:
        return self.uscc or self.id_number or ""


class CaseRecord(_Strict):
    type: str = Field(min_length=1)
    source_sector: str = Field(min_length=1)
    row: dict[str, Any] = Field(min_length=1)


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


class Case(_Strict):
    name: str = Field(min_length=1)
    as_of: date
    subject: CaseSubject
    records: list[CaseRecord] = []
    expect: Expected


class CaseFile(_Strict):
    model: str = Field(min_length=1)
    # Free-form, ignored: a place for YAML anchors (``&penalty``) the cases' rows merge in.
    templates: dict[str, Any] = {}
    cases: list[Case] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> CaseFile:
        names = [c.name for c in self.cases]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"案例名称重复：{'、'.join(duplicates)}")
        return self


class CaseFileError(XinyongError):
    def __init__(self, path: Path, problems: list[FieldError]) -> None:
        super().__init__(
            code="rules.invalid_cases",
            title=f"模型测试案例文件 {path.name} 有误",
            status=422,
            detail="；".join(f"{p.field}：{p.message}" for p in problems),
            errors=problems,
        )

    def __str__(self) -> str:
        return f"{self.title}：{self.detail}"


def load_cases(path: Path) -> CaseFile:
    """Read and validate one case file; raises :class:`CaseFileError`."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        problem = FieldError("(文件)", "rules.unreadable", f"无法读取：{exc.strerror}")
        raise CaseFileError(path, [problem]) from None
    except yaml.YAMLError as exc:
        problem = FieldError("(文件)", "rules.yaml_syntax", f"YAML 语法错误：{exc}")
        raise CaseFileError(path, [problem]) from None
    try:
        return CaseFile.model_validate(data)
    except ValidationError as exc:
        problems = [
            FieldError(
                ".".join(str(step) for step in e["loc"]) or "(根)",
                f"rules.{e['type']}",
                str(e["msg"]).removeprefix("Value error, "),
            )
            for e in exc.errors()
        ]
        raise CaseFileError(path, problems) from None
