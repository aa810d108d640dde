"""Every table of xinyong, imported in one place for Alembic's metadata."""

from __future__ import annotations

from xinyong.db import Base

metadata = Base.metadata
