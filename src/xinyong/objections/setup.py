"""What objection services need besides the session: the catalog and secret of the ingest
path (corrections and revocations go through it), the models that re-score a subject, the
outbox that tells the credit platforms, and the working-day limits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from xinyong.catalog.loader import Catalog
from xinyong.config import Settings
from xinyong.objections.intake import IntakeLimits
from xinyong.rules.loader import LoadedScorecard
from xinyong.sync.outbox import SyncOutbox


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
    scorecards: Mapping[str, LoadedScorecard]
    outbox: SyncOutbox
    strict_org_code: bool = False
    limits: ObjectionLimits = field(default_factory=ObjectionLimits)
    intake: IntakeLimits = field(default_factory=IntakeLimits)

    @staticmethod
    def limits_from(settings: Settings) -> ObjectionLimits:
        """The limits a deployment configured (``XINYONG_OBJECTION_*_WORKDAYS``)."""
        return ObjectionLimits(
            flag_workdays=settings.objection_flag_workdays,
            decision_workdays=settings.objection_decision_workdays,
        )
