"""Manual list entries and red/black list conflicts.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from xinyong.db import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "manual_list_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject_id", sa.Integer(), sa.ForeignKey("subjects.id"), nullable=False),
        sa.Column("list_id", sa.String(32), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date()),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("reference", sa.String(500)),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime()),
    )
    op.create_index("ix_manual_list_entries_subject_id", "manual_list_entries", ["subject_id"])
    op.create_table(
        "list_conflicts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject_id", sa.Integer(), sa.ForeignKey("subjects.id"), nullable=False),
        sa.Column("first_seen_at", UTCDateTime(), nullable=False),
        sa.Column("resolved_at", UTCDateTime()),
        sa.Column("resolved_by", sa.String(64)),
        sa.Column("note", sa.Text()),
    )
    op.create_index("ix_list_conflicts_subject_id", "list_conflicts", ["subject_id"])


def downgrade() -> None:
    for table in ("list_conflicts", "manual_list_entries"):
        op.drop_table(table)
