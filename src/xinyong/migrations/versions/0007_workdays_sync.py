"""Holiday table and the sync outbox.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from xinyong.db import JSONType, UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "holiday_overrides",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("is_workday", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("set_by", sa.String(64), nullable=False),
        sa.Column("set_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("day", name="uq_holiday_overrides_day"),
    )
    op.create_table(
        "holiday_years",
        sa.Column("year", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("note", sa.Text()),
        sa.Column("completed_by", sa.String(64), nullable=False),
        sa.Column("completed_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "sync_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("object_type", sa.String(32), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("record_type", sa.String(48), nullable=False),
        sa.Column("payload", JSONType, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("due_provisional", sa.Boolean(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_at", UTCDateTime()),
        sa.Column("claim_token", sa.String(32)),
        sa.Column("acknowledged_at", UTCDateTime()),
        sa.Column("receipt", JSONType),
        sa.Column("last_error", sa.Text()),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.UniqueConstraint(
            "platform",
            "object_type",
            "object_id",
            "kind",
            name="uq_sync_deliveries_platform_object_type_object_id_kind",
        ),
    )
    op.create_index(
        "ix_sync_deliveries_status_next_attempt_at",
        "sync_deliveries",
        ["status", "next_attempt_at"],
    )
    op.create_index("ix_sync_deliveries_due_on", "sync_deliveries", ["due_on"])
    op.create_table(
        "sync_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("delivery_id", sa.Integer(), sa.ForeignKey("sync_deliveries.id"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("http_status", sa.Integer()),
        sa.Column("error", sa.Text()),
        sa.Column("worker", sa.String(64), nullable=False),
    )
    op.create_index("ix_sync_attempts_delivery_id", "sync_attempts", ["delivery_id"])


def downgrade() -> None:
    op.drop_index("ix_sync_attempts_delivery_id", table_name="sync_attempts")
    op.drop_table("sync_attempts")
    op.drop_index("ix_sync_deliveries_due_on", table_name="sync_deliveries")
    op.drop_index("ix_sync_deliveries_status_next_attempt_at", table_name="sync_deliveries")
    op.drop_table("sync_deliveries")
    op.drop_table("holiday_years")
    op.drop_table("holiday_overrides")
