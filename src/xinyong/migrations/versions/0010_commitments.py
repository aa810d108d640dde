"""Credit commitments: signed commitments and their event log.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from xinyong.db import JSONType, UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "commitments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject_id", sa.Integer(), sa.ForeignKey("subjects.id"), nullable=False),
        sa.Column("commitment_type", sa.String(16), nullable=False),
        sa.Column("template_id", sa.String(64), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("matter", sa.String(200), nullable=False),
        sa.Column("items", JSONType, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_sha256", sa.String(64), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("signer", sa.String(64), nullable=False),
        sa.Column("signer_name", sa.String(64), nullable=False),
        sa.Column("signed_at", UTCDateTime(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column(
            "receiving_department_id",
            sa.Integer(),
            sa.ForeignKey("departments.id"),
            nullable=False,
        ),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("record_id", sa.Integer(), sa.ForeignKey("records.id")),
        sa.Column("breach_record_id", sa.Integer(), sa.ForeignKey("records.id")),
        sa.Column("verified_at", UTCDateTime()),
        sa.Column("verified_by", sa.String(64)),
        sa.Column("verification_note", sa.Text()),
        sa.Column("breach_kind", sa.String(16)),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_commitments_subject_id", "commitments", ["subject_id"])
    op.create_index(
        "ix_commitments_department_status", "commitments", ["receiving_department_id", "status"]
    )
    op.create_index("ix_commitments_status_due_on", "commitments", ["status", "due_on"])
    op.create_table(
        "commitment_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("commitment_id", sa.Integer(), sa.ForeignKey("commitments.id"), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_status", sa.String(16)),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("detail", JSONType),
    )
    op.create_index("ix_commitment_events_commitment_id", "commitment_events", ["commitment_id"])


def downgrade() -> None:
    op.drop_index("ix_commitment_events_commitment_id", table_name="commitment_events")
    op.drop_table("commitment_events")
    op.drop_index("ix_commitments_status_due_on", table_name="commitments")
    op.drop_index("ix_commitments_department_status", table_name="commitments")
    op.drop_index("ix_commitments_subject_id", table_name="commitments")
    op.drop_table("commitments")
