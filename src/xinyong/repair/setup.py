"""What repair reads besides the database: definitions in force, the outbox, the commitments
it signs through, the HMAC key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from xinyong.catalog.loader import Catalog
from xinyong.commitments.service import CommitmentSetup
from xinyong.repair.rules import RepairRules
from xinyong.rules.loader import LoadedScorecard


class Outbox(Protocol):
    """Where approved repairs go to be delivered to the credit platforms (``xinyong.sync``),
    written in the caller's transaction."""

    def enqueue(
        self,
        session: Session,
        *,
        kind: str,
        object_type: str,
        object_id: int,
        payload: dict[str, Any],
        record_type: str,
        now: datetime,
        sector: str | None = None,
    ) -> object: ...


@dataclass(frozen=True)
class RepairSetup:
    catalog: Catalog
    rules: RepairRules
    scorecards: Mapping[str, LoadedScorecard]
    outbox: Outbox
    commitments: CommitmentSetup
    secret: bytes
