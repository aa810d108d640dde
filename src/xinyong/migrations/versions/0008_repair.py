"""Credit repair: rules in force, applications, review tasks, events; records.repaired_on.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from xinyong.db import JSONType, UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("records", sa.Column("repaired_on", sa.Date()))
    op.create_table(
        "repair_applications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject_id", sa.Integer(), sa.ForeignKey("subjects.id"), nullable=False),
        sa.Column("applicant", sa.String(64), nullable=False),
        sa.Column("applicant_name", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("rules_version", sa.Integer(), nullable=False),
        sa.Column("submitted_at", UTCDateTime(), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("feedback_due_on", sa.Date(), nullable=False),
        sa.Column("feedback_due_provisional", sa.Boolean(), nullable=False),
        sa.Column("completed_at", UTCDateTime()),
        sa.Column("completed_on", sa.Date()),
        sa.Column("commitment_text", sa.Text(), nullable=False),
        sa.Column("commitment_signer", sa.String(64), nullable=False),
        sa.Column("commitment_signed_at", UTCDateTime(), nullable=False),
        sa.Column("commitment_id", sa.Integer()),
        sa.Column("form", JSONType, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_repair_applications_subject_id", "repair_applications", ["subject_id"])
    op.create_index("ix_repair_applications_status", "repair_applications", ["status"])
    op.create_table(
        "repair_tasks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "application_id",
            sa.Integer(),
            sa.ForeignKey("repair_applications.id"),
            nullable=False,
        ),
        sa.Column("department_id", sa.Integer(), sa.ForeignKey("departments.id"), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("due_provisional", sa.Boolean(), nullable=False),
        sa.Column("supplement_reason", sa.Text()),
        sa.Column("supplement_requested_on", sa.Date()),
        sa.Column("supplement_due_on", sa.Date()),
        sa.Column("decided_at", UTCDateTime()),
        sa.Column("decided_by", sa.String(64)),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_repair_tasks_application_id", "repair_tasks", ["application_id"])
    op.create_index(
        "ix_repair_tasks_department_status", "repair_tasks", ["department_id", "status"]
    )
    op.create_table(
        "repair_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "application_id",
            sa.Integer(),
            sa.ForeignKey("repair_applications.id"),
            nullable=False,
        ),
        sa.Column("task_id", sa.Integer(), sa.ForeignKey("repair_tasks.id"), nullable=False),
        sa.Column("record_id", sa.Integer(), sa.ForeignKey("records.id"), nullable=False),
        sa.Column("record_type", sa.String(48), nullable=False),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("decided_at", UTCDateTime()),
        sa.Column("decided_by", sa.String(64)),
    )
    op.create_index("ix_repair_items_application_id", "repair_items", ["application_id"])
    op.create_index("ix_repair_items_task_id", "repair_items", ["task_id"])
    op.create_index(
        "uq_repair_items_open_record",
        "repair_items",
        ["record_id"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
        sqlite_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "repair_materials",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "application_id",
            sa.Integer(),
            sa.ForeignKey("repair_applications.id"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("filename", sa.String(200)),
        sa.Column("content_type", sa.String(100)),
        sa.Column("size", sa.Integer()),
        sa.Column("sha256", sa.String(64)),
        sa.Column("content", sa.LargeBinary()),
        sa.Column("record_ids", JSONType),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_repair_materials_application_id", "repair_materials", ["application_id"])
    op.create_table(
        "repair_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "application_id",
            sa.Integer(),
            sa.ForeignKey("repair_applications.id"),
            nullable=False,
        ),
        sa.Column("task_id", sa.Integer()),
        sa.Column("item_id", sa.Integer()),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("from_status", sa.String(24)),
        sa.Column("to_status", sa.String(24), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("note", sa.Text()),
    )
    op.create_index("ix_repair_events_application_id", "repair_events", ["application_id"])


def downgrade() -> None:
    for table in (
        "repair_events",
        "repair_materials",
        "repair_items",
        "repair_tasks",
        "repair_applications",
    ):
        op.drop_table(table)
    with op.batch_alter_table("records") as batch:
        batch.drop_column("repaired_on")
