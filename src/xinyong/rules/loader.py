"""Loading scorecard YAML and checking it against the catalog.

Structural rules live in ``scorecard.py``; here every fact is checked against the information
catalog (record types exist, summed fields are numbers, predicates parse in the safe grammar
over the fields those types have). A bad definition names its file, the item and the problem.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from xinyong.catalog.definition_files import load_definition
from xinyong.catalog.loader import Catalog
from xinyong.errors import DefinitionFileError, FieldError
from xinyong.rules.facts import Fact, Measure, fields_of, unknown_types_problem, where_problem
from xinyong.rules.scorecard import Scorecard

NUMERIC_KINDS = frozenset({"number"})


class ScorecardDefinitionError(DefinitionFileError):
    def __init__(self, path: Path, problems: list[FieldError]) -> None:
        super().__init__(
            "rules.invalid_definition",
            f"评价模型定义文件 {path.name} 有误",
            problems,
            status=422,
            detail="；".join(f"{p.field}：{p.message}" for p in problems),
        )


@dataclass(frozen=True)
class LoadedScorecard:
    """A validated model with the hash of the file it came from (stamped on every result)."""

    scorecard: Scorecard
    definition_hash: str
    path: Path


def _facts(card: Scorecard) -> Iterator[tuple[str, Fact]]:
    for d, dim in enumerate(card.dimensions):
        for i, ind in enumerate(dim.indicators):
            yield f"dimensions[{d}].indicators[{i}]（{ind.name}）.fact", ind.fact
    for b, bonus in enumerate(card.bonus):
        yield f"bonus[{b}]（{bonus.name}）.fact", bonus.fact


def catalog_problems(card: Scorecard, catalog: Catalog) -> list[FieldError]:
    """What the catalog says is wrong with ``card``'s facts (empty when it is sound)."""
    problems: list[FieldError] = []
    for where, fact in _facts(card):
        unknown = unknown_types_problem(fact.record_types, catalog, at=where)
        if unknown is not None:
            problems.append(unknown)
            continue
        fields = fields_of(catalog, fact.record_types)
        if fact.field is not None:
            spec = fields.get(fact.field)
            if spec is None:
                problems.append(
                    FieldError(
                        f"{where}.field", "rules.unknown_field", f"信息类型中没有字段：{fact.field}"
                    )
                )
            elif fact.measure in (Measure.SUM, Measure.MAX) and spec.kind not in NUMERIC_KINDS:
                problems.append(
                    FieldError(
                        f"{where}.field",
                        "rules.not_numeric",
                        f"字段“{spec.label}”不是数值，不能求和或取最大值",
                    )
                )
        bad_where = where_problem(fact.where, fields, at=where) if fact.where else None
        if bad_where is not None:
            problems.append(bad_where)
    return problems


def load_scorecard(path: Path, catalog: Catalog) -> LoadedScorecard:
    """Validate one model file; raises :class:`ScorecardDefinitionError`."""
    card, raw = load_definition(path, Scorecard, prefix="rules", error=ScorecardDefinitionError)
    problems = catalog_problems(card, catalog)
    if problems:
        raise ScorecardDefinitionError(path, problems)
    return LoadedScorecard(card, hashlib.sha256(raw).hexdigest(), path)


def load_directory(catalog: Catalog, directory: Path) -> dict[str, LoadedScorecard]:
    """Every model in ``directory`` by id (the latest version of each)."""
    models: dict[str, LoadedScorecard] = {}
    for path in sorted(directory.glob("*.yaml")):
        loaded = load_scorecard(path, catalog)
        current = models.get(loaded.scorecard.id)
        if current is None or loaded.scorecard.version > current.scorecard.version:
            models[loaded.scorecard.id] = loaded
    return models
