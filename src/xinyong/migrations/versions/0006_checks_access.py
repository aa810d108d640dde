"""Credit checks, measures feedback, authorizations (授权), the query log, per-key rate limits.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from xinyong.db import JSONType, UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("api_keys", sa.Column("rate_limit_per_minute", sa.Integer()))
    op.create_table(
        "access_grants",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject_id", sa.Integer(), sa.ForeignKey("subjects.id"), nullable=False),
        sa.Column(
            "grantee_department_id", sa.Integer(), sa.ForeignKey("departments.id"), nullable=False
        ),
        sa.Column("scopes", JSONType, nullable=False),
        sa.Column("purpose", sa.String(200), nullable=False),
        sa.Column("granted_by", sa.String(64), nullable=False),
        sa.Column("granted_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime()),
        sa.Column("revoked_by", sa.String(64)),
    )
    op.create_index(
        "ix_access_grants_subject_grantee", "access_grants", ["subject_id", "grantee_department_id"]
    )
    op.create_index(
        "ix_access_grants_grantee_department_id", "access_grants", ["grantee_department_id"]
    )
    op.create_table(
        "query_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject_id", sa.Integer(), sa.ForeignKey("subjects.id"), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("actor_role", sa.String(16)),
        sa.Column("actor_name", sa.String(128), nullable=False),
        sa.Column("organisation_code", sa.String(32)),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("purpose", sa.String(200), nullable=False),
        sa.Column("scopes", JSONType),
        sa.Column("reference", sa.String(64)),
    )
    op.create_index("ix_query_log_subject_at", "query_log", ["subject_id", "at"])
    op.create_index("ix_query_log_at", "query_log", ["at"])
    op.create_index("ix_query_log_organisation_code", "query_log", ["organisation_code"])
    op.create_table(
        "credit_checks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("checked_at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("actor_role", sa.String(16)),
        sa.Column("department_code", sa.String(32)),
        sa.Column("subject_code", sa.String(40), nullable=False),
        sa.Column("subject_id", sa.Integer(), sa.ForeignKey("subjects.id")),
        sa.Column("found", sa.Boolean(), nullable=False),
        sa.Column("matter", sa.String(200), nullable=False),
        sa.Column("area", sa.String(16), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("batch_ref", sa.String(40)),
        sa.Column("snapshot", JSONType, nullable=False),
        sa.Column("feedback_at", UTCDateTime()),
        sa.Column("feedback_by", sa.String(64)),
        sa.Column("applied", sa.Boolean()),
        sa.Column("action_taken", sa.String(16)),
        sa.Column("feedback_note", sa.Text()),
        sa.Column(
            "key_supervision_entry_id", sa.Integer(), sa.ForeignKey("manual_list_entries.id")
        ),
    )
    op.create_index("ix_credit_checks_checked_at", "credit_checks", ["checked_at"])
    op.create_index(
        "ix_credit_checks_department_at", "credit_checks", ["department_code", "checked_at"]
    )
    op.create_index("ix_credit_checks_subject_id", "credit_checks", ["subject_id"])
    op.create_table(
        "credit_check_measures",
        sa.Column(
            "check_id",
            sa.Integer(),
            sa.ForeignKey("credit_checks.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("measure_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
    )
    op.create_index("ix_credit_check_measures_measure_id", "credit_check_measures", ["measure_id"])


def downgrade() -> None:
    op.drop_table("credit_check_measures")
    op.drop_table("credit_checks")
    op.drop_table("query_log")
    op.drop_table("access_grants")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("rate_limit_per_minute")
