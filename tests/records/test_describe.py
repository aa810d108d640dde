"""How a record is described to each reader: where a date falls in its publicity window and
what a third party may see, as pure rules over the record and the date."""

from __future__ import annotations

from datetime import date

import pytest

from xinyong.accounts.models import Role
from xinyong.accounts.principal import Principal
from xinyong.records.describe import (
    PublicityState,
    View,
    check_reading_date,
    publicity_state,
    view_for,
    visible,
)
from xinyong.records.errors import AsOfNotToday
from xinyong.records.models import Record, RecordStatus
from xinyong.subjects.models import Subject


def penalty(**overrides) -> Record:
    values = dict(
        status=RecordStatus.ACTIVE,
        publicised=True,
        publicity_starts_on=date(2026, 1, 10),
        publicity_ends_on=date(2026, 7, 9),
        repaired_on=None,
    )
    return Record(**(values | overrides))


@pytest.mark.parametrize(
    ("as_of", "state"),
    [
        (date(2026, 1, 9), PublicityState.NOT_STARTED),
        (date(2026, 1, 10), PublicityState.IN_PUBLICITY),
        (date(2026, 7, 9), PublicityState.IN_PUBLICITY),
        (date(2026, 7, 10), PublicityState.EXPIRED),
    ],
)
def test_the_publicity_window_includes_its_first_and_last_day(as_of, state):
    assert publicity_state(penalty(), as_of) is state


def test_a_repair_is_final_whatever_date_is_asked():
    repaired = penalty(repaired_on=date(2026, 3, 1))
    assert publicity_state(repaired, date(2026, 2, 1)) is PublicityState.REPAIRED
    assert not visible(repaired, View.PUBLIC, date(2026, 2, 1))
    assert visible(repaired, View.SELF, date(2026, 2, 1))


def test_a_revoked_record_is_in_no_view():
    revoked = penalty(status=RecordStatus.REVOKED)
    assert not any(visible(revoked, v, date(2026, 2, 1)) for v in View)


def test_a_bank_reads_the_authorized_view_and_an_enterprise_its_own_file():
    subject = Subject(id=5)
    bank = Principal("user", 1, Role.BANK, None, None, "银行")
    own = Principal("user", 2, Role.ENTERPRISE, None, 5, "企业")
    other = Principal("user", 3, Role.ENTERPRISE, None, 6, "别的企业")
    assert view_for(bank, subject) is View.AUTHORIZED
    assert view_for(own, subject) is View.SELF
    assert view_for(other, subject) is View.PUBLIC


def test_third_parties_read_today_only():
    check_reading_date(third_party=False, as_of=date(2025, 1, 1), today=date(2026, 3, 2))
    with pytest.raises(AsOfNotToday):
        check_reading_date(third_party=True, as_of=date(2025, 1, 1), today=date(2026, 3, 2))
