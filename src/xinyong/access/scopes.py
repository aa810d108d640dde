"""The scopes (字段组) an enterprise can grant: ``definitions/scopes.yaml``, checked against the
catalog so that every record type belongs to exactly one scope."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from xinyong.access.errors import ScopeDefinitionError, UnknownScope
from xinyong.catalog.definition_files import load_definition
from xinyong.catalog.loader import Catalog
from xinyong.errors import FieldError

SCOPES_PATH: Final = Path(__file__).parent / "definitions" / "scopes.yaml"

Section = Literal["lists", "scores"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Scope(_Strict):
    """One grantable group: the record types it opens and the extra sections (lists, scores)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=32)
    name: str = Field(min_length=1, max_length=60)
    record_types: list[str] = []
    includes: list[Section] = []


class ScopeDefinitions(_Strict):
    version: int = Field(ge=1)
    effective_from: date
    reference: str = Field(min_length=1)
    scopes: list[Scope] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> ScopeDefinitions:
        ids = [s.id for s in self.scopes]
        duplicated = sorted({i for i in ids if ids.count(i) > 1})
        if duplicated:
            raise ValueError(f"授权范围编号重复：{'、'.join(duplicated)}")
        return self

    @property
    def ids(self) -> list[str]:
        return [s.id for s in self.scopes]

    def get(self, scope_id: str) -> Scope | None:
        return next((s for s in self.scopes if s.id == scope_id), None)

    def check(self, scope_ids: Iterable[str], *, field_name: str = "scopes") -> list[str]:
        """The ids in definition order, without repeats; an unknown one is a 422 naming it."""
        wanted = list(scope_ids)
        for i, scope_id in enumerate(wanted):
            if self.get(scope_id) is None:
                raise UnknownScope(f"{field_name}[{i}]", scope_id, self.ids)
        return [s for s in self.ids if s in wanted]

    def record_types(self, scope_ids: Iterable[str]) -> frozenset[str]:
        wanted = set(scope_ids)
        return frozenset(t for s in self.scopes if s.id in wanted for t in s.record_types)

    def includes(self, scope_ids: Iterable[str], section: Section) -> bool:
        wanted = set(scope_ids)
        return any(section in s.includes for s in self.scopes if s.id in wanted)


def _catalog_problems(definitions: ScopeDefinitions, catalog: Catalog) -> list[FieldError]:
    problems = []
    owner: dict[str, str] = {}
    for i, scope in enumerate(definitions.scopes):
        for record_type in scope.record_types:
            where = f"scopes[{i}]（{scope.id}）.record_types"
            if catalog.get(record_type) is None:
                problems.append(
                    FieldError(where, "access.unknown_record_type", f"信息目录中没有 {record_type}")
                )
            elif record_type in owner:
                problems.append(
                    FieldError(
                        where,
                        "access.duplicate_record_type",
                        f"{record_type} 已属于授权范围 {owner[record_type]}",
                    )
                )
            else:
                owner[record_type] = scope.id
    for record_type in catalog.types:
        if record_type not in owner:
            problems.append(
                FieldError(
                    "scopes",
                    "access.unscoped_record_type",
                    f"信息类型 {record_type} 不属于任何授权范围，银行将永远看不到它",
                )
            )
    return problems


def load_scopes(catalog: Catalog, path: Path = SCOPES_PATH) -> ScopeDefinitions:
    """Read and check the scope definitions against ``catalog``."""
    definitions, _ = load_definition(
        path, ScopeDefinitions, prefix="access", error=ScopeDefinitionError
    )
    problems = _catalog_problems(definitions, catalog)
    if problems:
        raise ScopeDefinitionError(path, problems)
    return definitions
