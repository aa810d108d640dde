"""The stamp of what is published: one value a process compares on every request (or every
``XINYONG_DEFINITIONS_TTL_SECONDS``) to know that its definitions are out of date.

This is the only place that knows which tables hold published definitions. Today only model
versions do; a table that comes to hold published definitions (catalog, measures, lists, repair
rules, templates) adds its term here, and every process rebuilds when it changes.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.scoring.lifecycle import ModelStatus
from xinyong.scoring.models import ModelVersion

Stamp = tuple[int, ...]


def published_stamp(session: Session) -> Stamp:
    """The ids of the published model versions, in order: publishing adds one (and retires the
    one it replaces), retiring removes one, so every change of what is in force changes it.
    One query over the index on ``status``."""
    published = select(ModelVersion.id).where(ModelVersion.status == ModelStatus.PUBLISHED.value)
    return tuple(session.scalars(published.order_by(ModelVersion.id)))
