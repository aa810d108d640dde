"""The two conditions every reader of records shares, as SQL, so that lists, scores, checks
and the credit file can never disagree on them.

* :func:`in_effect` — the record still has legal effect on ``as_of``: active (not revoked) and
  not repaired on or before that day. Lists, scores and checks count only such records.
* :func:`in_publicity` — the public sees it on ``as_of``: in effect, publicised, inside its
  publicity window (:func:`xinyong.records.credit_file.publicity_state` in Python).

``as_of`` is a date or a bound parameter of type Date.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from xinyong.records.models import Record, RecordStatus


def in_effect(as_of: date | ColumnElement[Any]) -> ColumnElement[bool]:
    """Active and not repaired by ``as_of`` (a repair takes effect on its day)."""
    return and_(
        Record.status == RecordStatus.ACTIVE.value,
        or_(Record.repaired_on.is_(None), Record.repaired_on > as_of),
    )


def in_publicity(as_of: date | ColumnElement[Any]) -> ColumnElement[bool]:
    """Shown to the public on ``as_of``."""
    return and_(
        in_effect(as_of),
        Record.publicised.is_(True),
        or_(Record.publicity_starts_on.is_(None), Record.publicity_starts_on <= as_of),
        or_(Record.publicity_ends_on.is_(None), Record.publicity_ends_on >= as_of),
    )
