"""The two conditions every reader of records shares, as SQL, so that lists, scores, checks
and the credit file can never disagree on them.

* :func:`in_effect` — the record still has legal effect: active (not revoked) and not repaired.
  A revocation or a repair (终止公示、停止共享和使用) is final whatever date is asked about:
  asking for an earlier ``as_of`` never brings such a record back. Lists, scores and checks
  count only records in effect.
* :func:`in_publicity` — the public sees it on ``as_of``: in effect, publicised, inside its
  publicity window (:func:`xinyong.records.describe.publicity_state` in Python).

``as_of`` is a date or a bound parameter of type Date.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from xinyong.records.models import Record, RecordStatus


def in_effect() -> ColumnElement[bool]:
    """Active and never repaired."""
    return and_(Record.status == RecordStatus.ACTIVE.value, Record.repaired_on.is_(None))


def in_publicity(as_of: date | ColumnElement[Any]) -> ColumnElement[bool]:
    """Shown to the public on ``as_of``."""
    return and_(
        in_effect(),
        Record.publicised.is_(True),
        or_(Record.publicity_starts_on.is_(None), Record.publicity_starts_on <= as_of),
        or_(Record.publicity_ends_on.is_(None), Record.publicity_ends_on >= as_of),
    )
