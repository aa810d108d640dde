"""Evaluation runs, scores, grade changes, and subjects' consents to personal scoring.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from xinyong.db import JSONType, UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "score_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("model_id", sa.String(64), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.Column("definition_hash", sa.String(64), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("engine", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("subjects", sa.Integer(), nullable=False),
        sa.Column("grade_changes", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime()),
    )
    op.create_table(
        "scores",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject_id", sa.Integer(), sa.ForeignKey("subjects.id"), nullable=False),
        sa.Column("model_id", sa.String(64), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.Column("definition_hash", sa.String(64), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("total", sa.Numeric(10, 2), nullable=False),
        sa.Column("grade", sa.String(32), nullable=False),
        sa.Column("parts", JSONType, nullable=False),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("score_runs.id")),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("subject_id", "model_id", "model_version", "as_of"),
    )
    op.create_index("ix_scores_model_as_of", "scores", ["model_id", "as_of"])
    op.create_table(
        "grade_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject_id", sa.Integer(), sa.ForeignKey("subjects.id"), nullable=False),
        sa.Column("model_id", sa.String(64), nullable=False),
        sa.Column("from_grade", sa.String(32)),
        sa.Column("to_grade", sa.String(32), nullable=False),
        sa.Column("from_as_of", sa.Date()),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(1000), nullable=False),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("score_runs.id")),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_grade_changes_subject_id", "grade_changes", ["subject_id"])
    op.create_table(
        "subject_consents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject_id", sa.Integer(), sa.ForeignKey("subjects.id"), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("granted_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime()),
    )
    op.create_index("ix_subject_consents_subject_id", "subject_consents", ["subject_id"])


def downgrade() -> None:
    for table in ("subject_consents", "grade_changes", "scores", "score_runs"):
        op.drop_table(table)
