"""Subjects, name history, ingest batches, records, record versions, quarantine.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from xinyong.db import JSONType, UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subjects",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subtype", sa.String(32)),
        sa.Column("uscc", sa.String(18)),
        sa.Column("id_hash", sa.String(64)),
        sa.Column("id_masked", sa.String(32)),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("legal_rep", sa.String(100)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("district", sa.String(64)),
        sa.Column("industry", sa.String(100)),
        sa.Column("address", sa.String(300)),
        sa.Column("established_on", sa.Date()),
        sa.Column("registered_capital_wan", sa.Numeric(18, 4)),
        sa.Column("registration_authority", sa.String(100)),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("uscc IS NOT NULL OR id_hash IS NOT NULL", name="identified"),
        sa.UniqueConstraint("uscc"),
        sa.UniqueConstraint("id_hash"),
    )
    op.create_index("ix_subjects_name", "subjects", ["name"])
    op.create_table(
        "subject_names",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject_id", sa.Integer(), sa.ForeignKey("subjects.id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("valid_from", sa.Date()),
        sa.Column("valid_to", sa.Date()),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_subject_names_subject_id", "subject_names", ["subject_id"])
    op.create_table(
        "ingest_batches",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "source_department_id", sa.Integer(), sa.ForeignKey("departments.id"), nullable=False
        ),
        sa.Column("record_type", sa.String(48), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("filename", sa.String(300)),
        sa.Column("file_sha256", sa.String(64)),
        sa.Column("file_size", sa.BigInteger()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("revoked", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("unknown_columns", JSONType, nullable=False),
        sa.Column("stats", JSONType, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime()),
    )
    op.create_index(
        "ix_ingest_batches_resume",
        "ingest_batches",
        ["source_department_id", "record_type", "file_sha256", "status"],
    )
    op.create_table(
        "records",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject_id", sa.Integer(), sa.ForeignKey("subjects.id"), nullable=False),
        sa.Column("record_type", sa.String(48), nullable=False),
        sa.Column(
            "source_department_id", sa.Integer(), sa.ForeignKey("departments.id"), nullable=False
        ),
        sa.Column("source_key", sa.String(400), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("polarity", sa.String(8), nullable=False),
        sa.Column("severity", sa.String(8)),
        sa.Column("publicised", sa.Boolean(), nullable=False),
        sa.Column("publicity_starts_on", sa.Date()),
        sa.Column("publicity_ends_on", sa.Date()),
        sa.Column("repair_possible_from", sa.Date()),
        sa.Column("regime_id", sa.String(48)),
        sa.Column("fields", JSONType, nullable=False),
        sa.Column("content_hash", sa.String(32), nullable=False),
        sa.Column("disputed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("batch_id", sa.Integer(), sa.ForeignKey("ingest_batches.id")),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("source_key", "source_department_id", "record_type"),
    )
    op.create_index("ix_records_subject_type", "records", ["subject_id", "record_type"])
    op.create_table(
        "record_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("record_id", sa.Integer(), sa.ForeignKey("records.id"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("fields", JSONType, nullable=False),
        sa.Column("content_hash", sa.String(32), nullable=False),
        sa.Column("batch_id", sa.Integer()),
        sa.Column("superseded_by_batch_id", sa.Integer()),
        sa.Column("superseded_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_record_versions_record_id", "record_versions", ["record_id"])
    op.create_table(
        "quarantine_rows",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("batch_id", sa.Integer(), sa.ForeignKey("ingest_batches.id"), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("raw", JSONType, nullable=False),
        sa.Column("errors", JSONType, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_quarantine_rows_batch_id", "quarantine_rows", ["batch_id"])


def downgrade() -> None:
    for table in (
        "quarantine_rows",
        "record_versions",
        "records",
        "ingest_batches",
        "subject_names",
        "subjects",
    ):
        op.drop_table(table)
