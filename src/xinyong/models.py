"""Every table of xinyong, imported in one place for Alembic's metadata."""

from __future__ import annotations

import xinyong.access.models
import xinyong.accounts.models
import xinyong.audit.models
import xinyong.checks.models
import xinyong.commitments.models
import xinyong.freshness.models
import xinyong.ingest.models
import xinyong.lists.models
import xinyong.objections.models
import xinyong.records.models
import xinyong.repair.models
import xinyong.scoring.models
import xinyong.subjects.models
import xinyong.sync.models
import xinyong.workdays.models  # noqa: F401
from xinyong.db import Base

metadata = Base.metadata
