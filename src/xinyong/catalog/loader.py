"""Loads and validates the catalog YAML; a bad definition names its file, item and problem."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from xinyong.catalog.definition_files import read_yaml, validate
from xinyong.catalog.schemas import RecordType, Regime, RegimeFile, SubjectFieldsFile
from xinyong.catalog.sectors import SECTORS
from xinyong.errors import DefinitionFileError, FieldError

DEFINITIONS_DIR = Path(__file__).parent / "definitions"
SUBJECT_FIELDS_FILE = "_subject_fields.yaml"
REGIMES_FILE = "regimes.yaml"
# Virtual field naming the resolved subject (USCC or ID-number hash), usable in keys.
SUBJECT_CODE = "subject_code"


class CatalogDefinitionError(DefinitionFileError):
    def __init__(self, path: Path, problems: list[FieldError]) -> None:
        super().__init__(
            "catalog.invalid_definition",
            f"目录定义文件 {path.name} 有误",
            problems,
            detail="；".join(f"{p.field}: {p.message}" for p in problems),
        )


@dataclass(frozen=True)
class Catalog:
    """Every record type and regime in force, with the hash of the definitions they came from."""

    types: dict[str, RecordType]
    regimes: list[Regime]
    definition_hash: str
    sources: dict[str, Path] = field(default_factory=dict)

    def get(self, code: str) -> RecordType | None:
        return self.types.get(code)


def _read_yaml(path: Path) -> Any:
    return read_yaml(path, prefix="catalog", error=CatalogDefinitionError)[0]


def _expand_subject_fields(raw: list[dict[str, Any]], prefix: str | None) -> list[dict[str, Any]]:
    expanded = []
    for item in raw:
        aliases = [
            a.replace("{p}", prefix) if prefix else a
            for a in item.get("aliases", [])
            if prefix or "{p}" not in a
        ]
        expanded.append({**item, "aliases": aliases})
    return expanded


def load_record_type(path: Path, subject_fields: list[dict[str, Any]]) -> RecordType:
    """Validate one record-type file into a :class:`RecordType`."""
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise CatalogDefinitionError(
            path, [FieldError("(根)", "catalog.not_mapping", "文件内容应为映射（键: 值）")]
        )
    if data.get("subject_fields", True):
        own = data.get("fields") or []
        data = {
            **data,
            "fields": [*_expand_subject_fields(subject_fields, data.get("alias_prefix")), *own],
        }
    record_type = validate(
        data,
        RecordType,
        path,
        prefix="catalog",
        error=CatalogDefinitionError,
        context={"virtual_fields": {SUBJECT_CODE}},
    )
    return record_type


def _digest(files: list[Path]) -> str:
    """The hash of every definition file's name and bytes, stamped on results."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _record_types(
    files: list[Path], subject_fields: Any
) -> tuple[dict[str, RecordType], dict[str, Path]]:
    """Each record type's definition, by code, and the file it came from; a type naming an
    unknown sector or defined twice stops the load."""
    types: dict[str, RecordType] = {}
    sources: dict[str, Path] = {}
    for path in files:
        if path.name in (SUBJECT_FIELDS_FILE, REGIMES_FILE):
            continue
        record_type = load_record_type(path, subject_fields)
        bad_sources = [x for x in record_type.sources if x not in SECTORS]
        if bad_sources:
            message = f"未知的领域：{'、'.join(bad_sources)}"
            raise CatalogDefinitionError(
                path, [FieldError("sources", "catalog.unknown_sector", message)]
            )
        if record_type.code in types:
            message = f"类型 {record_type.code} 重复定义"
            raise CatalogDefinitionError(
                path, [FieldError("code", "catalog.duplicate_type", message)]
            )
        types[record_type.code] = record_type
        sources[record_type.code] = path
    return types, sources


def _regimes(regimes_path: Path, types: dict[str, RecordType]) -> list[Regime]:
    """The publicity regimes, each checked against the record types it names."""
    regimes = validate(
        _read_yaml(regimes_path),
        RegimeFile,
        regimes_path,
        prefix="catalog",
        error=CatalogDefinitionError,
    ).regimes
    for regime in regimes:
        problems = _regime_problems(regime, types)
        if problems:
            raise CatalogDefinitionError(regimes_path, problems)
        unknown = [t for t in regime.record_types if t not in types]
        if unknown:
            message = f"未知的信息类型：{', '.join(unknown)}"
            field = f"{regime.id}.record_types"
            raise CatalogDefinitionError(
                regimes_path, [FieldError(field, "catalog.unknown_type", message)]
            )
    return regimes


def load_catalog(directory: Path = DEFINITIONS_DIR) -> Catalog:
    """Load every definition in ``directory``; raises :class:`CatalogDefinitionError`."""
    files = sorted(directory.glob("*.yaml"))
    subject_fields = _read_yaml(directory / SUBJECT_FIELDS_FILE) or []
    validate(
        subject_fields,
        SubjectFieldsFile,
        directory / SUBJECT_FIELDS_FILE,
        prefix="catalog",
        error=CatalogDefinitionError,
    )
    types, sources = _record_types(files, subject_fields)
    regimes = _regimes(directory / REGIMES_FILE, types)
    return Catalog(types=types, regimes=regimes, definition_hash=_digest(files), sources=sources)


def _regime_problems(regime: Regime, types: dict[str, RecordType]) -> list[FieldError]:
    """Fields a regime names must exist in each type it covers; sectors must be known."""
    problems = []
    for code in regime.record_types:
        rt = types.get(code)
        if rt is None:
            continue
        names = {f.name for f in rt.fields}
        for name in sorted(regime.referenced_fields() - names):
            problems.append(
                FieldError(
                    f"{regime.id}",
                    "catalog.unknown_field",
                    f"公示规则 {regime.id} 引用了信息类型 {code} 中不存在的字段：{name}",
                )
            )
    for sector in regime.sectors or []:
        if sector not in SECTORS:
            problems.append(
                FieldError(
                    f"{regime.id}.sectors",
                    "catalog.unknown_sector",
                    f"未知的领域：{sector}（可选：{'、'.join(sorted(SECTORS))}）",
                )
            )
    return problems


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The catalog shipped with xinyong (cached for the process)."""
    return load_catalog()
