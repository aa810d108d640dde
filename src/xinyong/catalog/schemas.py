"""The typed tree a catalog YAML is validated into.

Officials edit the YAML; every type, regime and rule carries its legal basis (``reference``)
and the dates it is in force, so a record is judged by the rules of its decision date.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationInfo, model_validator


class Polarity(StrEnum):
    GOOD = "守信"
    BAD = "失信"
    BASIC = "基础"


class Severity(StrEnum):
    MINOR = "轻微"
    GENERAL = "一般"
    SERIOUS = "严重"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.MINOR: 1, Severity.GENERAL: 2, Severity.SERIOUS: 3}


class FieldType(StrEnum):
    STRING = "string"
    TEXT = "text"
    DATE = "date"
    AMOUNT_WAN = "amount_wan"  # money in 万元 as published in 双公示 data, kept as Decimal
    INTEGER = "integer"
    ENUM = "enum"
    USCC = "uscc"
    ID_NUMBER = "id_number"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(Strict):
    """A test on one field: ``in`` (any value listed), ``only`` (every value listed), bounds."""

    field: str
    in_: list[str] | None = Field(default=None, alias="in")
    only: list[str] | None = None
    lt: Decimal | None = None
    gte: Decimal | None = None
    present: bool | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class FieldDef(Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    type: FieldType = FieldType.STRING
    # True, or required only for one kind of 行政相对人 (DOMAIN.md §2: 自然人 ⇒ 证件类型 + 号码;
    # 法人及非法人组织 / 个体工商户 ⇒ 统一社会信用代码 + 法定代表人).
    required: bool | Literal["organisation", "person"] = False
    aliases: list[str] = []
    # enum: canonical value → accepted spellings (legacy numeric codes included)
    values: dict[str, list[str]] | None = None
    multiple: bool = False
    max_length: int | None = None
    public: bool = True
    personal: bool = False
    description: str | None = None

    @model_validator(mode="after")
    def _enum_has_values(self) -> FieldDef:
        if self.type is FieldType.ENUM and not self.values:
            raise ValueError(f"枚举字段 {self.name} 缺少 values")
        return self


class SubjectFieldsFile(RootModel[list[FieldDef]]):
    """``_subject_fields.yaml``: the fields every record type's 行政相对人 shares."""


class SeverityRule(Strict):
    when: list[Condition]
    severity: Severity


class SeveritySpec(Strict):
    """Severity is the most severe of the matching rules, else ``default``."""

    default: Severity
    rules: list[SeverityRule] = []


class PolaritySpec(Strict):
    default: Polarity
    field: str | None = None
    map: dict[str, Polarity] = {}


class PublicityKind(StrEnum):
    REGIME = "regime"  # dated penalty regimes (catalog/definitions/regimes.yaml)
    VALIDITY = "validity"  # public from a start field until an end field or a default length
    PERMANENT = "permanent"  # basic information
    INTERNAL = "internal"  # never public


class PublicitySpec(Strict):
    kind: PublicityKind
    start_field: str | None = None
    end_field: str | None = None
    default_months: int | None = None
    # Repair (early end) possible this many months after the start; None = never early.
    repair_after_months: int | None = None
    public_when: list[Condition] = []
    reference: str | None = None


class RecordType(Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    category: str
    version: int = Field(ge=1)
    effective_from: date
    effective_to: date | None = None
    reference: str
    alias_prefix: str | None = None  # CF / XK: expands "{p}_WSH" in aliases
    subject_fields: bool = True
    fields: list[FieldDef]
    key_fields: list[str]
    fallback_key_fields: list[str] = []
    decision_date_field: str
    status_field: str | None = None
    polarity: PolaritySpec
    severity: SeveritySpec | None = None
    publicity: PublicitySpec
    sources: list[str] = []  # allowed department sectors; empty = any department
    creates_subject: bool = False

    @model_validator(mode="after")
    def _fields_exist(self, info: ValidationInfo) -> RecordType:
        names = {f.name for f in self.fields}
        virtual = set((info.context or {}).get("virtual_fields", ()))
        refs = [*self.key_fields, *self.fallback_key_fields, self.decision_date_field]
        refs += [self.status_field] if self.status_field else []
        refs += [self.polarity.field] if self.polarity.field else []
        if self.severity:
            refs += [c.field for r in self.severity.rules for c in r.when]
        refs += [c.field for c in self.publicity.public_when]
        refs += [f for f in (self.publicity.start_field, self.publicity.end_field) if f]
        unknown = sorted({r for r in refs if r not in names and r not in virtual})
        if unknown:
            raise ValueError(f"引用了未定义的字段：{', '.join(unknown)}")
        if len(names) != len(self.fields):
            raise ValueError("字段名重复")
        return self


class RegimeClass(Strict):
    publicised: bool = True
    min_months: int | None = None  # None: no early end (or no application needed)
    max_months: int


class Regime(Strict):
    """A dated publicity regime: which penalties it covers and their periods by severity."""

    id: str
    name: str
    effective_from: date
    effective_to: date | None = None
    reference: str
    record_types: list[str]
    sectors: list[str] | None = None  # only records from departments of these sectors
    priority: int = 0
    classes: dict[Severity, RegimeClass]
    not_publicised_when: list[list[Condition]] = []
    no_early_end_when: list[list[Condition]] = []
    # Restrictions longer than the maximum (限制开展生产经营活动, 限制从业) publicise for their
    # actual length when this names the field holding the restriction's end.
    restriction_end_field: str | None = None
    restriction_when: list[Condition] = []
    note: str | None = None

    @model_validator(mode="after")
    def _every_severity_has_a_class(self) -> Regime:
        missing = [s.value for s in Severity if s not in self.classes]
        if missing:
            raise ValueError(f"公示规则 {self.id} 缺少严重程度分类：{'、'.join(missing)}")
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError(f"公示规则 {self.id} 的失效日期早于生效日期")
        return self

    def referenced_fields(self) -> set[str]:
        """Every field a condition or the restriction end of this regime names."""
        conds = [c for group in (*self.not_publicised_when, *self.no_early_end_when) for c in group]
        conds += self.restriction_when
        names = {c.field for c in conds}
        if self.restriction_end_field:
            names.add(self.restriction_end_field)
        return names


class RegimeFile(Strict):
    version: int
    regimes: list[Regime]


FieldValue = Annotated[str | date | Decimal | int | list[str] | None, "normalised value"]
