"""The transition table: every (status, action) pair is allowed or refused, only terminal
statuses are dead ends, and overdue is a fact of the date, not a status."""

from __future__ import annotations

from datetime import date

import pytest

from xinyong.commitments.workflow import (
    TERMINAL,
    TRANSITIONS,
    CommitmentAction,
    CommitmentStatus,
    allowed_actions,
    is_overdue,
    target,
)

S, A = CommitmentStatus, CommitmentAction


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("action", list(A))
def test_every_pair_is_either_in_the_table_or_refused(status, action):
    expected = {(S.SIGNED, A.FULFIL): S.FULFILLED, (S.SIGNED, A.BREACH): S.BREACHED}
    assert target(status, action) == expected.get((status, action))


def test_only_terminal_statuses_are_dead_ends():
    for status in S:
        assert (allowed_actions(status) == []) == (status in TERMINAL)
    assert {to for to in TRANSITIONS.values()} == set(TERMINAL)


def test_every_status_has_a_chinese_label():
    assert [s.label for s in S] == ["已承诺，待核查", "已履诺", "已违诺"]


def test_overdue_only_when_signed_and_past_the_due_date():
    due = date(2026, 12, 23)
    assert not is_overdue(S.SIGNED, due, due)
    assert is_overdue(S.SIGNED, due, date(2026, 12, 24))
    assert not is_overdue(S.FULFILLED, due, date(2027, 1, 1))
    assert not is_overdue(S.BREACHED, due, date(2027, 1, 1))
