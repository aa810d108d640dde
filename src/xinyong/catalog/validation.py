"""Compiling a record type into a fast row validator, and mapping file headers onto fields.

Every value is normalised (codes upper-cased, enums to their canonical spelling, dates to
``date``, amounts to ``Decimal``); every problem becomes a FieldError with a stable code and a
Chinese message naming the field. Messages never echo an ID number.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from xinyong.catalog.schemas import FieldDef, FieldType, RecordType
from xinyong.errors import FieldError
from xinyong.kit.dates import DateParseError, parse_date
from xinyong.kit.identifiers import (
    IdentifierError,
    mask_resident_id,
    mask_text_ids,
    normalise,
    validate_resident_id,
    validate_uscc,
)
from xinyong.kit.storable import is_storable

PERSON = "自然人"
RESIDENT_ID = "身份证"
ID_NUMBER = "id_number"
_SPLIT_MULTI = re.compile(r"[;；,，、/|]+")
_DOCUMENT_NUMBER = re.compile(r"[0-9A-Z]{5,30}")
_TRANSLATE = str.maketrans({"（": "(", "）": ")", "\u3000": " ", "\ufeff": ""})
# Far above any real amount or count, far below what sums in SQL (double precision) and
# to-the-cent decimals (28 digits) can hold.
MAX_AMOUNT_WAN = Decimal("1000000000000")  # 1 万亿万元
MAX_INTEGER = 1_000_000_000


def header_key(raw: object) -> str:
    """Normalise a header cell for alias matching: NFKC, no spaces, ASCII brackets, lower."""
    text = unicodedata.normalize("NFKC", str(raw or "")).translate(_TRANSLATE)
    return re.sub(r"\s+", "", text).lower()


def mask_id_value(raw: str) -> str:
    """The only form of an ID-number cell kept anywhere, valid or not."""
    compact = normalise(raw)
    if len(compact) >= 10:
        return compact[:6] + "*" * (len(compact) - 10) + compact[-4:]
    return "*" * len(compact)


@dataclass(frozen=True)
class HeaderMapping:
    """Which column feeds which field, plus what the header lacked or had extra."""

    columns: tuple[tuple[int, str], ...]
    unknown_columns: tuple[str, ...]
    missing_required: tuple[str, ...]
    duplicate_fields: tuple[str, ...]

    @property
    def fields(self) -> set[str]:
        return {name for _, name in self.columns}


def alias_index(rt: RecordType) -> dict[str, str]:
    index: dict[str, str] = {}
    for f in rt.fields:
        for alias in (f.name, f.label, *f.aliases):
            index.setdefault(header_key(alias), f.name)
    return index


def map_header(rt: RecordType, header: Sequence[object]) -> HeaderMapping:
    index = alias_index(rt)
    columns: list[tuple[int, str]] = []
    unknown: list[str] = []
    seen: dict[str, int] = {}
    duplicates: list[str] = []
    for i, cell in enumerate(header):
        key = header_key(cell)
        if not key:
            continue
        name = index.get(key)
        if name is None:
            unknown.append(str(cell).strip())
            continue
        if name in seen:
            # 处罚类别1 / 处罚类别2 of the legacy template both feed 处罚类别.
            field = next(f for f in rt.fields if f.name == name)
            if not field.multiple:
                duplicates.append(name)
                continue
        seen[name] = i
        columns.append((i, name))
    present = {name for _, name in columns}
    missing = tuple(f.label for f in rt.fields if f.required is True and f.name not in present)
    return HeaderMapping(tuple(columns), tuple(unknown), missing, tuple(duplicates))


Normaliser = Callable[[str], Any]


class ValueProblem(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _date(f: FieldDef) -> Normaliser:
    def norm(raw: str) -> date:
        try:
            return parse_date(raw)
        except DateParseError as exc:
            raise ValueProblem(exc.code, f"{f.label}：{exc.message}") from None

    return norm


def _amount(f: FieldDef) -> Normaliser:
    def norm(raw: str) -> Decimal:
        text = raw.replace(",", "").removesuffix("万元").strip()
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValueProblem("value.not_number", f"{f.label}应为数字（单位：万元）") from None
        if not value.is_finite():
            raise ValueProblem("value.not_number", f"{f.label}应为数字（单位：万元）")
        if value < 0:
            raise ValueProblem("value.negative", f"{f.label}不能为负数")
        if value > MAX_AMOUNT_WAN:
            raise ValueProblem("value.too_large", f"{f.label}过大：不应超过1万亿万元")
        return value

    return norm


def _integer(f: FieldDef) -> Normaliser:
    def norm(raw: str) -> int:
        try:
            value = int(raw.removesuffix(".0"))
        except ValueError:
            raise ValueProblem("value.not_integer", f"{f.label}应为整数") from None
        if abs(value) > MAX_INTEGER:
            raise ValueProblem("value.too_large", f"{f.label}过大：绝对值不应超过10亿")
        return value

    return norm


def _enum(f: FieldDef) -> Normaliser:
    lookup: dict[str, str] = {}
    for canonical, spellings in (f.values or {}).items():
        for s in (canonical, *spellings):
            lookup.setdefault(header_key(s), canonical)
    allowed = "、".join(f.values or {})

    exact = {
        s: canonical
        for canonical, spellings in (f.values or {}).items()
        for s in (canonical, *spellings)
    }

    def one(raw: str) -> str:
        value = exact.get(raw)
        if value is None:
            value = lookup.get(header_key(raw))
        if value is None:
            raise ValueProblem("value.not_in_list", f"{f.label}的取值不在规定范围内（{allowed}）")
        return value

    if not f.multiple:
        return one

    def many(raw: str) -> list[str]:
        whole = exact.get(raw) or lookup.get(header_key(raw))
        if whole is not None:  # a spelling that itself contains a separator
            return [whole]
        parts = [p for p in _SPLIT_MULTI.split(raw) if p.strip()]
        out: list[str] = []
        for p in parts:
            value = one(p.strip())
            if value not in out:
                out.append(value)
        return out

    return many


def _uscc(f: FieldDef, strict: bool) -> Normaliser:
    def norm(raw: str) -> str:
        try:
            return validate_uscc(raw, strict_org_code=strict)
        except IdentifierError as exc:
            label = "" if f.label == "统一社会信用代码" else f"{f.label}："
            raise ValueProblem(exc.code, f"{label}{exc.message}") from None

    return norm


MEMO_LIMIT = 50_000


def memoised(norm: Normaliser) -> Normaliser:
    """Cache results of a pure normaliser: codes, dates and enum values repeat across rows
    (every row of a file names the same authority). Errors are not cached."""
    cache: dict[str, Any] = {}

    def cached(raw: str) -> Any:
        try:
            return cache[raw]
        except KeyError:
            pass
        value = norm(raw)
        if len(cache) >= MEMO_LIMIT:
            cache.clear()
        cache[raw] = value
        return value

    return cached


_NORMALISERS: dict[FieldType, Callable[[FieldDef], Normaliser]] = {
    FieldType.DATE: _date,
    FieldType.AMOUNT_WAN: _amount,
    FieldType.INTEGER: _integer,
    FieldType.ENUM: _enum,
}


@dataclass
class RowResult:
    values: dict[str, Any]
    errors: list[FieldError]
    # Normalised ID number of a natural-person subject: used once to hash, never stored.
    person_id: str | None = None
    # The stored keyed hash of a person subject whose ID number was carried (see Carried).
    person_hash: str | None = None


@dataclass(frozen=True)
class Carried:
    """Protected values (ID-number fields) a correction carries from the record's current
    version. The platform keeps such a cell only masked, so a correction cannot send the full
    number again: the stored masked value is accepted as it is, for its own field and only when
    the cell still holds exactly that value. Anything else, and every department push (which
    carries nothing), is validated as usual. ``person_hash`` is the subject's stored keyed hash,
    standing for a person subject's carried ID number."""

    masked: Mapping[str, str] = field(default_factory=dict)
    person_hash: str | None = None

    def keeps(self, name: str, text: str) -> bool:
        stored = self.masked.get(name)
        return stored is not None and "*" in stored and text == stored


_REQUIRED_WHEN = {
    "person": "行政相对人为自然人时",
    "organisation": "行政相对人为法人及非法人组织或个体工商户时",
}


def _missing(f: FieldDef, category: str | None) -> FieldError | None:
    """The error for an empty cell of ``f`` when the row's 行政相对人类别 requires it."""
    required, is_person = f.required, category == PERSON
    if required is True or (
        category is not None
        and ((required == "person" and is_person) or (required == "organisation" and not is_person))
    ):
        prefix = _REQUIRED_WHEN.get(str(required), "")
        return FieldError(f.name, "field.required", f"{prefix}{f.label}不能为空")
    return None


class RowValidator:
    """Validates raw rows (cells already mapped to field names) of one record type."""

    def __init__(
        self,
        rt: RecordType,
        *,
        strict_org_code: bool = False,
        carried: Carried | None = None,
        max_chars: int | None = None,
    ) -> None:
        self.rt = rt
        self._carried = carried or Carried()
        # Characters a cell may hold: the catalog's max_length, else ``max_chars`` (the
        # deployment's cap for every field), so no megabyte of text reaches a public field.
        self._max_chars = {
            f.name: limit for f in rt.fields if (limit := f.max_length or max_chars) is not None
        }
        self._plans: list[tuple[FieldDef, Normaliser | None]] = []
        for f in rt.fields:
            if f.type is FieldType.USCC:
                self._plans.append((f, memoised(_uscc(f, strict_org_code))))
            elif f.type in (FieldType.ID_NUMBER, FieldType.STRING, FieldType.TEXT):
                self._plans.append((f, None))
            elif f.type is FieldType.ENUM and f.multiple:
                self._plans.append((f, memoised(_enum(f))))
            else:
                self._plans.append((f, memoised(_NORMALISERS[f.type](f))))
        category = next((f for f in rt.fields if f.name == "subject_category"), None)
        self._category = memoised(_enum(category)) if category is not None else None

    def validate(self, raw: dict[str, str]) -> RowResult:
        values: dict[str, Any] = {}
        errors: list[FieldError] = []
        category = None
        if self._category is not None:
            category_raw = (raw.get("subject_category") or "").strip()
            if category_raw:
                try:
                    category = self._category(category_raw)
                except ValueProblem:
                    category = None
        is_person = category == PERSON
        person_id: str | None = None
        person_hash: str | None = None
        document_number: str | None = None
        for f, norm in self._plans:
            text = (raw.get(f.name) or "").strip()
            if not text:
                if (missing := _missing(f, category)) is not None:
                    errors.append(missing)
                continue
            limit = self._max_chars.get(f.name)
            if limit is not None and len(text) > limit:
                errors.append(FieldError(f.name, "value.too_long", f"{f.label}超过{limit}个字符"))
                continue
            if not is_storable(text):
                errors.append(
                    FieldError(
                        f.name, "value.invalid_char", f"{f.label}含有空字符（U+0000）或无效字符"
                    )
                )
                continue
            if norm is None and f.type is not FieldType.ID_NUMBER:
                # Departments' free text names people by their ID numbers too: only the masked
                # form is ever stored (SPEC: no full ID number leaves the system).
                values[f.name] = mask_text_ids(text)
                continue
            if norm is None:  # ID number: validate, keep only the masked form
                resident = values.get("id_type", RESIDENT_ID) == RESIDENT_ID
                try:
                    values[f.name], number = self._id_cell(f, text, resident=resident)
                except ValueProblem as exc:
                    errors.append(FieldError(f.name, exc.code, exc.message))
                    continue
                if f.name == ID_NUMBER and number is None:
                    person_hash = self._carried.person_hash if is_person else None
                elif f.name == ID_NUMBER and resident:
                    person_id = number
                elif f.name == ID_NUMBER:
                    document_number = number
                continue
            try:
                values[f.name] = norm(text)
            except ValueProblem as exc:
                errors.append(FieldError(f.name, exc.code, exc.message))
        if is_person and person_id is None and document_number is not None:
            # A foreign document: key the person on its type and normalised number.
            person_id = f"{values.get('id_type', '')}:{document_number}"
        return RowResult(values, errors, person_id, person_hash)

    def _id_cell(self, f: FieldDef, text: str, *, resident: bool) -> tuple[str, str | None]:
        """An ID-number cell as kept (masked) and its normalised number — None when the cell
        is carried unchanged from the current version; ValueProblem when malformed."""
        if self._carried.keeps(f.name, text):
            return text, None
        if f.name == ID_NUMBER and resident:
            try:
                number = validate_resident_id(text)
            except IdentifierError as exc:
                raise ValueProblem(exc.code, f"{f.label}：{exc.message}") from None
            return mask_resident_id(number), number
        document = normalise(unicodedata.normalize("NFKC", text))
        if not _DOCUMENT_NUMBER.fullmatch(document):
            raise ValueProblem("id_number.format", f"{f.label}格式不正确：应为5-30位字母或数字")
        return mask_id_value(document), document
