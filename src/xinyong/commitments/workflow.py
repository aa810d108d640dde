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


class CommitmentStatus(StrEnum):
    SIGNED = "signed"
    FULFILLED = "fulfilled"
    BREACHED = "breached"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


class CommitmentAction(StrEnum):
    FULFIL = "fulfil"
    BREACH = "breach"


STATUS_LABELS: Final[Mapping[CommitmentStatus, str]] = {
    CommitmentStatus.SIGNED: "已承诺，待核查",
    CommitmentStatus.FULFILLED: "已履诺",
    CommitmentStatus.BREACHED: "已违诺",
}

TRANSITIONS: Final[Mapping[tuple[CommitmentStatus, CommitmentAction], CommitmentStatus]] = {
    (CommitmentStatus.SIGNED, CommitmentAction.FULFIL): CommitmentStatus.FULFILLED,
    (CommitmentStatus.SIGNED, CommitmentAction.BREACH): CommitmentStatus.BREACHED,
}

TERMINAL: Final = frozenset({CommitmentStatus.FULFILLED, CommitmentStatus.BREACHED})


def target(status: CommitmentStatus, action: CommitmentAction) -> CommitmentStatus | None:
    """Where ``action`` takes a commitment in ``status``; None when the table does not allow it."""
    return TRANSITIONS.get((status, action))


def allowed_actions(status: CommitmentStatus) -> list[CommitmentAction]:
    """The actions the table allows from ``status`` (what pages turn into buttons)."""
    return [action for (current, action) in TRANSITIONS if current is status]


def is_overdue(status: CommitmentStatus, due_on: date, today: date) -> bool:
    """Signed and not verified after its verification date (履诺期限) has passed."""
    return status is CommitmentStatus.SIGNED and today > due_on
