"""What repair reads besides the database: definitions in force, the outbox, the commitments
it signs through, the HMAC key, and the deployment's limits on uploaded proofs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from xinyong.catalog.loader import Catalog
from xinyong.commitments.service import CommitmentSetup
from xinyong.config import MIB, Settings
from xinyong.credit_file.schemas import RepairStatus
from xinyong.records.models import Record
from xinyong.repair.eligibility import statuses
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
class ProofLimits:
    """Proofs one application may carry, first upload and supplements together: bytes per
    file, number of files, bytes in all (``XINYONG_REPAIR_PROOF_MAX_*``)."""

    max_file_bytes: int = 10 * MIB
    max_files: int = 20
    max_total_bytes: int = 20 * MIB

    @staticmethod
    def from_settings(settings: Settings) -> ProofLimits:
        return ProofLimits(
            max_file_bytes=settings.repair_proof_max_file_bytes,
            max_files=settings.repair_proof_max_files,
            max_total_bytes=settings.repair_proof_max_total_bytes,
        )


@dataclass(frozen=True)
class RepairSetup:
    catalog: Catalog
    rules: RepairRules
    scorecards: Mapping[str, LoadedScorecard]
    outbox: Outbox
    commitments: CommitmentSetup
    secret: bytes
    proofs: ProofLimits = field(default_factory=ProofLimits)


@dataclass(frozen=True)
class RepairStatuses:
    """Whether each bad record may be repaired now, under the repair rules in force: what the
    subject's own credit file shows next to each record (``credit_file.assembly.RepairStatusFn``)."""

    rules: RepairRules

    def __call__(
        self, session: Session, records: Sequence[Record], as_of: date
    ) -> dict[int, RepairStatus]:
        return statuses(session, records, as_of, rules=self.rules)
