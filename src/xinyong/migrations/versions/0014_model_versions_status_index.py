"""An index on the status of model versions: every process reads the published ones to stamp
the definitions in force (``xinyong.wiring.stamp``), on each request or every
``XINYONG_DEFINITIONS_TTL_SECONDS``.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_model_versions_status", "model_versions", ["status"])


def downgrade() -> None:
    op.drop_index("ix_model_versions_status", table_name="model_versions")
