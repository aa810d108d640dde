"""One way onto a list by hand: the period guard is pure, and an admin's entry and a check's
key-supervision feedback both go through ``add_entry``."""

from __future__ import annotations

from datetime import date

import pytest

from xinyong.lists.errors import InvalidPeriod
from xinyong.lists.service import check_period


def test_an_entry_may_end_on_the_day_it_starts_or_never():
    check_period(date(2026, 3, 1), date(2026, 3, 1))
    check_period(date(2026, 3, 1), None)


def test_an_entry_ending_before_it_starts_is_refused_on_ends_on():
    with pytest.raises(InvalidPeriod) as exc:
        check_period(date(2026, 3, 1), date(2026, 2, 28))
    assert exc.value.errors[0].field == "ends_on"
