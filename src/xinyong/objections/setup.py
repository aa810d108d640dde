"""What objection services need besides the session: the catalog and secret of the ingest
path (corrections and revocations go through it), the models that re-score a subject, the
outbox that tells the credit platforms, and the working-day limits.

The limits follow the regulation of the province the platform serves (``XINYONG_JURISDICTION``,
``definitions/jurisdictions.yaml``): by default Zhejiang's 《浙江省公共信用信息管理条例》
(flag on the objection, Art. 30, which sets no period: the platform flags at once and gives
1 working day as its default; decide within 5 working days of receipt, Art. 31);
Shanghai's 《上海市社会信用条例》 Art. 36 is the other shipped option. A credit office may set
shorter or longer limits (``XINYONG_OBJECTION_*_WORKDAYS``); the reference then says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Final

from pydantic import BaseModel, ConfigDict, Field

from xinyong.catalog.definition_files import load_definition
from xinyong.catalog.loader import Catalog
from xinyong.config import Settings
from xinyong.errors import DefinitionFileError, FieldError
from xinyong.objections.intake import IntakeLimits
from xinyong.rules.loader import LoadedScorecard
from xinyong.sync.outbox import SyncOutbox

JURISDICTIONS_PATH: Final = Path(__file__).parent / "definitions" / "jurisdictions.yaml"
DEFAULT_JURISDICTION: Final = "zhejiang"
LOCAL_LIMITS: Final = "处理时限由本地信用办设定"


class JurisdictionDefinitionError(DefinitionFileError):
    """The jurisdictions file is invalid, or names no jurisdiction the deployment chose."""

    def __init__(self, path: Path, errors: list[FieldError]) -> None:
        super().__init__(
            "objections.invalid_jurisdiction", f"异议时限定义有误：{path.name}", errors
        )


class _Limits(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=20)
    flag_workdays: int = Field(ge=0, le=30)
    transfer_workdays: int = Field(default=0, ge=0, le=30)
    decision_workdays: int = Field(ge=1, le=60)
    reference: str = Field(min_length=1, max_length=300)


class _Jurisdictions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    jurisdictions: dict[str, _Limits] = Field(min_length=1)


@lru_cache(maxsize=4)
def _jurisdictions(path: Path) -> Mapping[str, _Limits]:
    book, _ = load_definition(
        path, _Jurisdictions, prefix="objections", error=JurisdictionDefinitionError
    )
    return book.jurisdictions


@dataclass(frozen=True)
class ObjectionLimits:
    """Working-day limits and the provision they come from: flag, transfer to the providing
    department (immediate here: the platform routes at once), the provider's decision."""

    flag_workdays: int
    transfer_workdays: int
    decision_workdays: int
    reference: str


def jurisdiction_limits(
    jurisdiction: str = DEFAULT_JURISDICTION,
    *,
    flag_workdays: int | None = None,
    decision_workdays: int | None = None,
    path: Path = JURISDICTIONS_PATH,
) -> ObjectionLimits:
    """The limits of ``jurisdiction``'s regulation, with a credit office's own where given."""
    book = _jurisdictions(path)
    chosen = book.get(jurisdiction)
    if chosen is None:
        message = f"未定义的辖区：{jurisdiction[:32]}（可选：{'、'.join(book)}）"
        raise JurisdictionDefinitionError(
            path, [FieldError("jurisdiction", "objections.unknown_jurisdiction", message)]
        )
    flag = chosen.flag_workdays if flag_workdays is None else flag_workdays
    decision = chosen.decision_workdays if decision_workdays is None else decision_workdays
    local = (flag, decision) != (chosen.flag_workdays, chosen.decision_workdays)
    return ObjectionLimits(
        flag_workdays=flag,
        transfer_workdays=chosen.transfer_workdays,
        decision_workdays=decision,
        reference=f"{chosen.reference}；{LOCAL_LIMITS}" if local else chosen.reference,
    )


@dataclass(frozen=True)
class ObjectionSetup:
    catalog: Catalog
    secret: bytes
    scorecards: Mapping[str, LoadedScorecard]
    outbox: SyncOutbox
    strict_org_code: bool = False
    limits: ObjectionLimits = field(default_factory=jurisdiction_limits)
    intake: IntakeLimits = field(default_factory=IntakeLimits)

    @staticmethod
    def limits_from(settings: Settings) -> ObjectionLimits:
        """The limits a deployment configured (``XINYONG_JURISDICTION`` and, overriding its
        regulation's, ``XINYONG_OBJECTION_*_WORKDAYS``)."""
        return jurisdiction_limits(
            settings.jurisdiction,
            flag_workdays=settings.objection_flag_workdays,
            decision_workdays=settings.objection_decision_workdays,
        )
