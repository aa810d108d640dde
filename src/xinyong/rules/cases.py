"""Golden cases for rules (openfisca's YAML tests): facts in, named outputs out.

A rule set (a scorecard, the measures catalog, the list rules, a policy) is tested by cases
that give the facts it reads and name the outputs it must produce::

    cases:
      - name: 黑名单上的企业不予办理
        as_of: 2026-11-30
        facts: {kind: enterprise, lists: [black]}
        expect: {审批服务: 不予办理}

Expectations are partial (only the outputs a case names are checked; ``null`` expects no
value); numbers are compared quantized to 0.01. A case may be evaluated along several paths
(online, batch, DuckDB), which must also agree with one another. An optional top-level
``templates`` mapping is ignored: it holds YAML anchors (``&penalty``) the cases merge in.

This module evaluates nothing and creates nothing: the caller passes the evaluation
(``evaluate(case) → {path: outputs}``) and the names of its outputs (``label(name)``), so every
rule set runs its cases the same way. :func:`run_cases` runs pure evaluations; a rule set that
needs a database to evaluate (a scorecard's records) prepares it and calls :func:`judge`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from xinyong.errors import DefinitionFileError, FieldError, XinyongError

CENT = Decimal("0.01")

Outputs = Mapping[str, Any]
# The Chinese name of an output (e.g. 指标“一般处罚”（general_penalties）的得分), None if unknown.
Label = Callable[[str], str | None]


FactsT = TypeVar("FactsT")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NamedCase(Strict):
    """What every case has: a name and the date it is evaluated as of."""

    name: str = Field(min_length=1)
    as_of: date


class FactCase(NamedCase, Generic[FactsT]):
    """The facts a rule set reads on ``as_of`` (typed by the rule set: ``FactCase[MyFacts]``)
    and the outputs it must produce."""

    facts: FactsT
    expect: dict[str, Any] = Field(min_length=1)


class CaseFile(Strict):
    """A file of cases; a rule set whose cases carry more (a subject and its records, a
    structured expectation) subclasses it with its own case type."""

    # Free-form, ignored: a place for YAML anchors (``&penalty``) the cases merge in.
    templates: dict[str, Any] = {}
    cases: Sequence[NamedCase] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> CaseFile:
        names = [c.name for c in self.cases]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"案例名称重复：{'、'.join(duplicates)}")
        return self


F = TypeVar("F", bound=CaseFile)
C = TypeVar("C", bound=FactCase[Any])


class CaseFileError(DefinitionFileError):
    def __init__(self, path: Path, problems: list[FieldError]) -> None:
        super().__init__(
            "rules.invalid_cases",
            f"测试案例文件 {path.name} 有误",
            problems,
            status=422,
            detail="；".join(f"{p.field}：{p.message}" for p in problems),
        )

    def __str__(self) -> str:
        return f"{self.title}：{self.detail}"


def load_case_file(path: Path, schema: type[F]) -> F:
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
        return schema.model_validate(data)
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


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one case on one engine: the outputs each path produced (normalised:
    numbers quantized to 0.01) and every mismatch, in Chinese, prefixed by the path."""

    definition: str
    case: str
    engine: str
    outputs: Mapping[str, Outputs] = field(default_factory=dict)
    mismatches: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.mismatches

    def describe(self) -> str:
        verdict = "通过" if self.passed else "未通过"
        head = f"{verdict}：{self.definition} /「{self.case}」（{self.engine}）"
        return "\n".join([head, *(f"  - {m}" for m in self.mismatches)])


def normalise(value: Any) -> Any:
    """Numbers as Decimals quantized to 0.01 (so 105, 105.0 and "105.00" agree); lists and
    mappings element by element; anything else as it is."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value)).quantize(CENT)
    if isinstance(value, list | tuple):
        return [normalise(v) for v in value]
    if isinstance(value, Mapping):
        return {k: normalise(v) for k, v in value.items()}
    return value


def normalised(outputs: Outputs) -> dict[str, Any]:
    return {name: normalise(value) for name, value in outputs.items()}


def show(value: Any) -> str:
    """A value as a message shows it."""
    if value is None or value == []:
        return "空"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(show(v) for v in value)
    return str(value)


def compare(expect: Outputs, outputs: Outputs, *, path: str, label: Label) -> list[str]:
    """Each expected output ``outputs`` gets wrong, as "<path>：<label>为 …，应为 …"."""
    out: list[str] = []
    for name, wanted in expect.items():
        expected, actual = normalise(wanted), normalise(outputs.get(name))
        if actual != expected:
            out.append(f"{path}：{label(name) or name}为 {show(actual)}，应为 {show(expected)}")
    return out


def agree(outputs: Mapping[str, Outputs]) -> list[str]:
    """Every path must produce the very same outputs."""
    out: list[str] = []
    for (first, a), (other, b) in pairwise(outputs.items()):
        differing = sorted(k for k in {*a, *b} if normalise(a.get(k)) != normalise(b.get(k)))
        if differing:
            out.append(f"{first}与{other}的结果不一致：{'、'.join(differing)}")
    return out


def judge(
    definition: str,
    case: str,
    engine: str,
    expect: Outputs,
    outputs: Mapping[str, Outputs],
    *,
    label: Label,
    problems: Sequence[str] = (),
) -> CaseResult:
    """The result of a case whose paths produced ``outputs``: ``problems`` found while
    preparing it, outputs the rule set does not have, each path's wrong outputs, and paths
    that disagree."""
    unknown = [name for name in expect if label(name) is None]
    mismatches = list(problems)
    if unknown:
        mismatches.append(f"{definition} 没有这些输出：{'、'.join(unknown)}")
    known = {name: value for name, value in expect.items() if name not in unknown}
    for path, produced in outputs.items():
        mismatches += compare(known, produced, path=path, label=label)
    mismatches += agree(outputs)
    kept = {path: normalised(produced) for path, produced in outputs.items()}
    return CaseResult(definition, case, engine, kept, tuple(mismatches))


def refused(definition: str, case: str, engine: str, exc: XinyongError) -> CaseResult:
    """A case the platform refuses (bad data in it) is a failed case, not a crash."""
    detail = "；".join(e.message for e in exc.errors) or exc.title
    return CaseResult(
        definition, case, engine, mismatches=(f"案例无法运行：{detail}（{exc.code}）",)
    )


def run_cases(
    definition: str,
    cases: Sequence[C],
    evaluate: Callable[[C], Mapping[str, Outputs]],
    *,
    label: Label,
    engine: str = "规则",
) -> list[CaseResult]:
    """Every case evaluated (``evaluate(case)`` → outputs by path) and judged against its
    expectations, in case order."""
    results: list[CaseResult] = []
    for case in cases:
        try:
            outputs = evaluate(case)
        except XinyongError as exc:
            results.append(refused(definition, case.name, engine, exc))
            continue
        results.append(judge(definition, case.name, engine, case.expect, outputs, label=label))
    return results


def print_results(results: Sequence[CaseResult], echo: Callable[[str], None]) -> int:
    """Each result as a line (rich markup), a failure with its mismatches, then the tally;
    returns the number of failures (what the ``… test`` commands exit on)."""
    failures = 0
    for result in results:
        mark = "[green]通过[/green]" if result.passed else "[red]失败[/red]"
        echo(f"{mark} {result.definition} · {result.case}")
        if not result.passed:
            failures += 1
            echo(result.describe())
    return failures
