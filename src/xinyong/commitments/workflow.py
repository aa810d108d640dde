"""The transition table of a commitment: every allowed move, and nothing else.

A commitment is signed, then the receiving department verifies it once: 履诺 (fulfilled) or
违诺 (breached). Both outcomes are terminal; a breach is undone only by repairing the breach
record it created, never by moving the commitment back. "Overdue" is not a status: a signed
commitment whose verification date has passed (see :func:`is_overdue`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Final

from xinyong.commitments.errors import Conflict, InvalidTransition
from xinyong.workflow import Workflow


class CommitmentStatus(StrEnum):
    SIGNED = "signed"
    FULFILLED = "fulfilled"
    BREACHED = "breached"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


class CommitmentAction(StrEnum):
    SIGN = "sign"  # the commitment comes into being signed: its first event, not a move
    FULFIL = "fulfil"
    BREACH = "breach"


STATUS_LABELS: Final[Mapping[CommitmentStatus, str]] = {
    CommitmentStatus.SIGNED: "已承诺，待核查",
    CommitmentStatus.FULFILLED: "已履诺",
    CommitmentStatus.BREACHED: "已违诺",
}


def _refused(current: CommitmentStatus | str, action: CommitmentAction) -> InvalidTransition:
    # Every refused move of a commitment is a second verification: say what it already is.
    label = STATUS_LABELS[current] if isinstance(current, CommitmentStatus) else current
    return InvalidTransition(label)


COMMITMENT: Final = Workflow(
    name="commitment",
    statuses=CommitmentStatus,
    moves={
        (CommitmentStatus.SIGNED, CommitmentAction.FULFIL): CommitmentStatus.FULFILLED,
        (CommitmentStatus.SIGNED, CommitmentAction.BREACH): CommitmentStatus.BREACHED,
    },
    terminal=frozenset({CommitmentStatus.FULFILLED, CommitmentStatus.BREACHED}),
    refused=_refused,
    lost=Conflict,
    labels=STATUS_LABELS,
)


def is_overdue(status: CommitmentStatus, due_on: date, today: date) -> bool:
    """Signed and not verified after its verification date (履诺期限) has passed."""
    return status is CommitmentStatus.SIGNED and today > due_on
