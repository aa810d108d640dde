"""Stale marks: subjects (or a whole model's subjects) whose stored grades no longer hold.

Ingest, repairs, objection decisions and publications mark in their own transaction; reads
compute a marked subject's grade online and the worker re-scores and clears the marks. One row
per (subject, model), or per model when the mark is model-wide: two partial unique indexes,
since NULL subjects are never equal in a plain unique constraint.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from xinyong.db import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

UNIQUE = (
    ("uq_stale_marks_subject_model", ["subject_id", "model_id"], "subject_id IS NOT NULL"),
    ("uq_stale_marks_model_wide", ["model_id"], "subject_id IS NULL"),
)


def upgrade() -> None:
    op.create_table(
        "stale_marks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject_id", sa.Integer(), sa.ForeignKey("subjects.id")),
        sa.Column("model_id", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("since", UTCDateTime(), nullable=False),
        sa.Column("marked_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    for name, columns, where in UNIQUE:
        op.create_index(
            name,
            "stale_marks",
            columns,
            unique=True,
            sqlite_where=sa.text(where),
            postgresql_where=sa.text(where),
        )


def downgrade() -> None:
    for name, _, _ in UNIQUE:
        op.drop_index(name, table_name="stale_marks")
    op.drop_table("stale_marks")
