"""Every table of xinyong, imported in one place for Alembic's metadata."""

from __future__ import annotations

import xinyong.accounts.models
import xinyong.audit.models
import xinyong.ingest.models
import xinyong.lists.models
import xinyong.records.models
import xinyong.scoring.models
import xinyong.subjects.models  # noqa: F401
from xinyong.db import Base

metadata = Base.metadata
