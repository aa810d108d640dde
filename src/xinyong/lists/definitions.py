"""The typed tree ``definitions/lists.yaml`` is validated into, and its loader.

Structural rules (ids, references, a known list per rule, months ≥ 1) are pydantic's; rules
that need the catalog (record types exist, ``where`` parses in the safe grammar over their
fields, ``start`` / ``end.field`` name date fields every listed type has) are checked here at
load. A bad definition names its file, the item and the problem, in Chinese.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, model_validator

from xinyong.catalog.definition_files import load_definition
from xinyong.catalog.loader import Catalog
from xinyong.errors import DefinitionFileError, FieldError
from xinyong.rules.expression import Expr, FieldSpec, fields_from_catalog, parse
from xinyong.rules.facts import fields_of, unknown_types_problem, where_problem

DEFINITIONS_PATH: Final = Path(__file__).parent / "definitions" / "lists.yaml"
IDENTIFIER = r"^[a-z][a-z0-9_]*$"
# Date columns every record has, usable as ``start`` or ``end.field`` whatever its type.
RECORD_DATE_COLUMNS: Final = frozenset({"decided_on", "publicity_starts_on", "publicity_ends_on"})


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ListDefinition(Strict):
    """One list: red, black, key_supervision or abnormal. A public list is readable by anyone;
    ``suppressed_by`` names lists that win when a subject is on both (black over red)."""

    id: str = Field(pattern=IDENTIFIER, max_length=32)
    name: str = Field(min_length=1, max_length=100)
    public: bool
    reference: str = Field(min_length=1)
    suppressed_by: list[str] = []


class End(Strict):
    """When an entry ends: the record's date ``field``; ``months`` after the start when that
    field is empty (or when no field is named). Neither: until the record is revoked."""

    field: str | None = None
    months: int | None = Field(default=None, ge=1, le=600)


class ListRule(Strict):
    """Records of ``record_types`` matching ``where`` put their subject on ``list`` from
    ``start`` until ``end``, while the record is in force (active, not repaired)."""

    id: str = Field(pattern=IDENTIFIER, max_length=64)
    list_id: str = Field(alias="list")
    record_types: list[str] = Field(min_length=1)
    where: str | None = Field(default=None, max_length=1000)
    basis: str = Field(min_length=1, max_length=200)
    start: str = "decided_on"
    end: End = End()
    publicised_only: bool = False
    reference: str = Field(min_length=1)


class ListDefinitions(Strict):
    version: int = Field(ge=1)
    effective_from: date
    lists: list[ListDefinition] = Field(min_length=1)
    rules: list[ListRule] = []
    # Filled by the loader, not written in YAML.
    definition_hash: str = ""

    @model_validator(mode="after")
    def _references(self) -> ListDefinitions:
        ids = [x.id for x in self.lists]
        duplicated = sorted({i for i in ids if ids.count(i) > 1})
        if duplicated:
            raise ValueError(f"名单编号重复：{'、'.join(duplicated)}")
        rule_ids = [r.id for r in self.rules]
        duplicated = sorted({i for i in rule_ids if rule_ids.count(i) > 1})
        if duplicated:
            raise ValueError(f"规则编号重复：{'、'.join(duplicated)}")
        for x in self.lists:
            unknown = [s for s in x.suppressed_by if s not in ids or s == x.id]
            if unknown:
                raise ValueError(
                    f"名单 {x.id} 的 suppressed_by 引用了未知名单：{'、'.join(unknown)}"
                )
        for r in self.rules:
            if r.list_id not in ids:
                raise ValueError(
                    f"规则 {r.id} 引用了未知名单：{r.list_id}（可选：{'、'.join(ids)}）"
                )
        return self

    def get(self, list_id: str) -> ListDefinition | None:
        return next((x for x in self.lists if x.id == list_id), None)

    def suppressor(self, list_id: str, on: Collection[str]) -> str | None:
        """The list that wins over ``list_id`` for a subject on the lists ``on`` (black over
        red), or None when ``list_id`` counts."""
        definition = self.get(list_id)
        if definition is None or list_id not in on:
            return None
        return next((s for s in definition.suppressed_by if s in on), None)

    def rules_of(self, list_id: str | None) -> list[ListRule]:
        return [r for r in self.rules if list_id is None or r.list_id == list_id]

    def rule(self, rule_id: str) -> ListRule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


class ListDefinitionError(DefinitionFileError):
    def __init__(self, path: Path, problems: list[FieldError]) -> None:
        super().__init__(
            "lists.invalid_definition",
            f"名单定义文件 {path.name} 有误",
            problems,
            status=422,
            detail=f"{path.name}：" + "；".join(f"{p.field}：{p.message}" for p in problems),
        )


@dataclass(frozen=True)
class CompiledRule:
    """A rule with its parsed predicate and the field specs its names resolve to."""

    rule: ListRule
    where: Expr | None
    fields: dict[str, FieldSpec]


def _date_field_problem(
    catalog: Catalog, rule: ListRule, name: str, where: str
) -> FieldError | None:
    if name in RECORD_DATE_COLUMNS:
        return None
    for code in rule.record_types:
        rt = catalog.get(code)
        spec = fields_from_catalog(rt).get(name) if rt else None
        if spec is None:
            return FieldError(where, "lists.unknown_field", f"信息类型 {code} 没有字段：{name}")
        if spec.kind != "date":
            return FieldError(where, "lists.not_a_date", f"字段“{spec.label}”（{name}）不是日期")
    return None


def compile_rule(rule: ListRule, catalog: Catalog) -> CompiledRule:
    """The rule with its predicate parsed over the fields of its record types."""
    fields = fields_of(catalog, rule.record_types)
    where = parse(rule.where, fields=fields) if rule.where else None
    return CompiledRule(rule, where, fields)


def catalog_problems(definitions: ListDefinitions, catalog: Catalog) -> list[FieldError]:
    """What the catalog says is wrong with the rules (empty when they are sound)."""
    problems: list[FieldError] = []
    for i, rule in enumerate(definitions.rules):
        item = f"rules[{i}]（{rule.id}）"
        unknown = unknown_types_problem(rule.record_types, catalog, at=item, prefix="lists")
        if unknown is not None:
            problems.append(unknown)
            continue
        if rule.where:
            fields = fields_of(catalog, rule.record_types)
            bad_where = where_problem(rule.where, fields, at=item)
            if bad_where is not None:
                problems.append(bad_where)
        for name, where in ((rule.start, f"{item}.start"), (rule.end.field, f"{item}.end.field")):
            problem = _date_field_problem(catalog, rule, name, where) if name else None
            if problem is not None:
                problems.append(problem)
    return problems


def load_definitions(catalog: Catalog, path: Path = DEFINITIONS_PATH) -> ListDefinitions:
    """Validate the list definitions; raises :class:`ListDefinitionError`."""
    definitions, raw = load_definition(
        path, ListDefinitions, prefix="lists", error=ListDefinitionError
    )
    problems = catalog_problems(definitions, catalog)
    if problems:
        raise ListDefinitionError(path, problems)
    return definitions.model_copy(update={"definition_hash": hashlib.sha256(raw).hexdigest()})
