"""Credit objections: objections, their evidence files and events.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from xinyong.db import JSONType, UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "objections",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("record_id", sa.Integer(), sa.ForeignKey("records.id"), nullable=False),
        sa.Column("subject_id", sa.Integer(), sa.ForeignKey("subjects.id"), nullable=False),
        sa.Column("department_id", sa.Integer(), sa.ForeignKey("departments.id"), nullable=False),
        sa.Column("repair_item_id", sa.Integer(), sa.ForeignKey("repair_items.id")),
        sa.Column("applicant", sa.String(64), nullable=False),
        sa.Column("applicant_name", sa.String(128), nullable=False),
        sa.Column("applicant_role", sa.String(16)),
        sa.Column("by_subject", sa.Boolean(), nullable=False),
        sa.Column("grounds", sa.String(24), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("contact", sa.String(128)),
        sa.Column("record_version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("filed_at", UTCDateTime(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("flagged_at", UTCDateTime(), nullable=False),
        sa.Column("flag_due_on", sa.Date(), nullable=False),
        sa.Column("decision_due_on", sa.Date(), nullable=False),
        sa.Column("due_provisional", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(16)),
        sa.Column("decision_reason", sa.Text()),
        sa.Column("corrected_values", JSONType),
        sa.Column("decided_at", UTCDateTime()),
        sa.Column("decided_on", sa.Date()),
        sa.Column("decided_by", sa.String(64)),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_objections_record_id", "objections", ["record_id"])
    op.create_index("ix_objections_subject_id", "objections", ["subject_id"])
    op.create_index("ix_objections_applicant", "objections", ["applicant"])
    op.create_index("ix_objections_status", "objections", ["status"])
    op.create_index("ix_objections_department_status", "objections", ["department_id", "status"])
    op.create_index(
        "uq_objections_open_record_applicant",
        "objections",
        ["record_id", "applicant"],
        unique=True,
        postgresql_where=sa.text("status = 'open'"),
        sqlite_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "objection_evidence",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("objection_id", sa.Integer(), sa.ForeignKey("objections.id"), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_objection_evidence_objection_id", "objection_evidence", ["objection_id"])
    op.create_table(
        "objection_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("objection_id", sa.Integer(), sa.ForeignKey("objections.id"), nullable=False),
        sa.Column("action", sa.String(24), nullable=False),
        sa.Column("from_status", sa.String(16)),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("note", sa.Text()),
    )
    op.create_index("ix_objection_events_objection_id", "objection_events", ["objection_id"])


def downgrade() -> None:
    for table in ("objection_events", "objection_evidence", "objections"):
        op.drop_table(table)
