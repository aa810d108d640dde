"""What objection services need besides the session: the catalog and secret of the ingest
path (corrections and revocations go through it), and the working-day limits."""

from __future__ import annotations

from dataclasses import dataclass, field

from xinyong.catalog.loader import Catalog


@dataclass(frozen=True)
class ObjectionLimits:
    """Working-day limits, defaulting to 《上海市社会信用条例》 第三十六条 (DOMAIN.md decision 5):
    flag within 1, transfer to the providing department within 2 (immediate here: the platform
    routes at once), the provider decides within 5 of receipt."""

    flag_workdays: int = 1
    transfer_workdays: int = 2
    decision_workdays: int = 5
    reference: str = "《上海市社会信用条例》第三十六条"


@dataclass(frozen=True)
class ObjectionSetup:
    catalog: Catalog
    secret: bytes
    strict_org_code: bool = False
    limits: ObjectionLimits = field(default_factory=ObjectionLimits)
