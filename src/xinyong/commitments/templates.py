"""Commitment templates (信用承诺书模板) as dated, versioned data (``definitions/templates.yaml``).

Every template belongs to one of the six types of 国办发〔2019〕35号, cites its legal basis, says
whether the commitment is public, how many days the receiving department has to verify it
(履诺期限) and to which matters it applies. Its text carries placeholders filled from data
(``{subject_name}``, ``{uscc}``, ``{matter}`` …); the filled text is what the subject signs.
Which types are closed to subjects with serious bad records or breaches (国办发〔2020〕42号) is
data too: ``types[].eligibility_area`` names the credit-check area whose decision is asked.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from xinyong.catalog.definition_files import load_definition
from xinyong.catalog.loader import Catalog
from xinyong.checks.measures import Area
from xinyong.commitments.errors import TemplatesError
from xinyong.errors import FieldError

TEMPLATES_PATH: Final = Path(__file__).parent / "definitions" / "templates.yaml"
RECORD_TYPE: Final = "credit_commitment"
BREACH_RECORD_TYPE: Final = "commitment_breach"

CommitmentType = Literal[
    "审批替代型", "容缺办理型", "证明事项告知承诺", "主动公示型", "行业自律型", "信用修复型"
]
COMMITMENT_TYPES: Final[tuple[str, ...]] = CommitmentType.__args__  # type: ignore[attr-defined]
PLACEHOLDERS: Final = frozenset(
    {"subject_name", "uscc", "legal_rep", "matter", "receiving_unit", "signed_on", "due_on"}
)
ITEM_NUMERALS: Final = "一二三四五六七八九十"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TypeRule(_Strict):
    """What a commitment type allows: None = anyone may sign; an area = the subject's credit
    check in that area must allow 告知承诺 (not 不适用告知承诺 or stricter)."""

    type: CommitmentType
    eligibility_area: Area | None = None
    reference: str = Field(min_length=1)


class Template(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    type: CommitmentType
    name: str = Field(min_length=1, max_length=100)
    version: int = Field(ge=1)
    effective_from: date
    text: str = Field(min_length=10)
    items: list[str] = Field(min_length=1, max_length=10)
    public: bool
    verify_within_days: int = Field(ge=1, le=3650)
    matters: list[str] = []
    reference: str = Field(min_length=1)

    @model_validator(mode="after")
    def _placeholders_known(self) -> Template:
        for part in (self.text, *self.items):
            try:
                names = {n for _, n, _, _ in string.Formatter().parse(part) if n is not None}
            except ValueError as exc:
                raise ValueError(f"占位符格式有误：{exc}") from None
            unknown = sorted(names - PLACEHOLDERS)
            if unknown:
                known = "、".join(sorted(PLACEHOLDERS))
                raise ValueError(f"未知的占位符：{'、'.join(unknown)}（可用：{known}）")
        return self

    def applies_to(self, matter: str) -> bool:
        """Any matter when ``matters`` is empty, else one of them."""
        return not self.matters or matter in self.matters


class TemplateBook(_Strict):
    version: int = Field(ge=1)
    effective_from: date
    reference: str = Field(min_length=1)
    types: list[TypeRule] = Field(min_length=1)
    templates: list[Template] = Field(min_length=1)

    @model_validator(mode="after")
    def _complete(self) -> TemplateBook:
        seen = [(t.id, t.version) for t in self.templates]
        duplicates = sorted({f"{i} v{v}" for i, v in seen if seen.count((i, v)) > 1})
        if duplicates:
            raise ValueError(f"模板编号和版本重复：{'、'.join(duplicates)}")
        ruled = [r.type for r in self.types]
        missing_rules = [t for t in COMMITMENT_TYPES if t not in ruled]
        missing_templates = [
            t for t in COMMITMENT_TYPES if t not in {x.type for x in self.templates}
        ]
        if missing_rules or len(ruled) != len(set(ruled)):
            raise ValueError(f"types 须对六类承诺各写一条：缺 {'、'.join(missing_rules) or '无'}")
        if missing_templates:
            raise ValueError(f"以下承诺类型没有模板：{'、'.join(missing_templates)}")
        return self

    def rule(self, commitment_type: str) -> TypeRule:
        """The rule of one of the six types (all six are present: validated on load)."""
        return next(r for r in self.types if r.type == commitment_type)

    def in_force(self, template_id: str, on: date) -> Template | None:
        """The latest version of ``template_id`` in force ``on``; None when there is none."""
        versions = [t for t in self.templates if t.id == template_id and t.effective_from <= on]
        return max(versions, key=lambda t: t.version, default=None)

    def current(self, on: date) -> list[Template]:
        """Every template in force ``on``, one (the latest) version per id, in file order."""
        ids = list(dict.fromkeys(t.id for t in self.templates))
        return [t for t in (self.in_force(i, on) for i in ids) if t is not None]


@dataclass(frozen=True)
class Filled:
    """The values a template's placeholders are filled with."""

    subject_name: str
    uscc: str
    legal_rep: str
    matter: str
    receiving_unit: str
    signed_on: date
    due_on: date


def render(template: Template, values: Filled) -> str:
    """The full text the subject signs: the filled preamble, then the numbered items."""
    data = {
        "subject_name": values.subject_name,
        "uscc": values.uscc,
        "legal_rep": values.legal_rep,
        "matter": values.matter,
        "receiving_unit": values.receiving_unit,
        "signed_on": values.signed_on.isoformat(),
        "due_on": values.due_on.isoformat(),
    }
    lines = [template.text.format(**data).strip()]
    for i, item in enumerate(template.items):
        lines.append(f"{ITEM_NUMERALS[i]}、{item.format(**data).strip()}")
    return "\n".join(lines)


def _public_types(catalog: Catalog) -> set[str] | None:
    rt = catalog.get(RECORD_TYPE)
    if rt is None:
        return None
    return {
        value
        for condition in rt.publicity.public_when
        if condition.field == "commitment_type"
        for value in (condition.in_ or [])
    }


def _catalog_problems(book: TemplateBook, catalog: Catalog) -> list[FieldError]:
    public_types = _public_types(catalog)
    if public_types is None or catalog.get(BREACH_RECORD_TYPE) is None:
        return [
            FieldError(
                "(文件)",
                "commitments.catalog_missing",
                f"信息目录中缺少 {RECORD_TYPE} 或 {BREACH_RECORD_TYPE}",
            )
        ]
    return [
        FieldError(
            f"templates[{i}]（{t.name}）.public",
            "commitments.public_mismatch",
            f"信息目录规定{t.type}承诺{'公示' if t.type in public_types else '不公示'}，"
            f"模板须写 public: {'true' if t.type in public_types else 'false'}",
        )
        for i, t in enumerate(book.templates)
        if t.public != (t.type in public_types)
    ]


def load_templates(catalog: Catalog, path: Path = TEMPLATES_PATH) -> TemplateBook:
    """Read the templates and check them against ``catalog`` (public as the catalog says)."""
    book, _ = load_definition(path, TemplateBook, prefix="commitments", error=TemplatesError)
    problems = _catalog_problems(book, catalog)
    if problems:
        raise TemplatesError(path, problems)
    return book


_SHIPPED: dict[str, TemplateBook] = {}


def shipped_templates(catalog: Catalog) -> TemplateBook:
    """The shipped templates, read and checked once per catalog (by its definition hash)."""
    book = _SHIPPED.get(catalog.definition_hash)
    if book is None:
        book = _SHIPPED[catalog.definition_hash] = load_templates(catalog)
    return book
