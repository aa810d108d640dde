"""Objections: a third party's objection waits for the providing department's acceptance.

New columns for the acceptance step; the flag and decision dates become nullable (a third
party's objection has none until it is accepted, and never if it is dismissed); at most one
pending (received or open) objection per record and applicant.

Revision ID: 0012
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from xinyong.db import JSONType, UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

OLD_INDEX = ("uq_objections_open_record_applicant", "status = 'open'")
NEW_INDEX = ("uq_objections_pending_record_applicant", "status IN ('received', 'open')")
ACCEPTANCE = (
    ("accept_due_on", sa.Date()),
    ("accepted_at", UTCDateTime()),
    ("accepted_by", sa.String(64)),
)
MADE_NULLABLE = (
    ("flagged_at", UTCDateTime()),
    ("flag_due_on", sa.Date()),
    ("decision_due_on", sa.Date()),
)
INDEXES = (
    ("ix_objections_record_id", ["record_id"]),
    ("ix_objections_subject_id", ["subject_id"]),
    ("ix_objections_applicant", ["applicant"]),
    ("ix_objections_status", ["status"]),
    ("ix_objections_department_status", ["department_id", "status"]),
)


def _columns(*, acceptance: bool) -> list[sa.Column]:
    """The objections table's columns, before (0009) or after this revision."""
    dates = [sa.Column(n, t, nullable=acceptance) for n, t in MADE_NULLABLE]
    return [
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
        *([sa.Column(n, t) for n, t in ACCEPTANCE] if acceptance else []),
        *dates,
        sa.Column("due_provisional", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(16)),
        sa.Column("decision_reason", sa.Text()),
        sa.Column("corrected_values", JSONType),
        sa.Column("decided_at", UTCDateTime()),
        sa.Column("decided_on", sa.Date()),
        sa.Column("decided_by", sa.String(64)),
        sa.Column("version", sa.Integer(), nullable=False),
    ]


def _rebuild_sqlite(*, acceptance: bool) -> None:
    """SQLite cannot change a column's nullability in place. Evidence and event rows point at
    objections, and PRAGMA foreign_keys cannot be switched off inside the migration's
    transaction: with the keys deferred, the table is copied aside, dropped, created anew and
    filled again — the rows re-entering under the table's own name satisfy the waiting
    evidence and events by commit."""
    op.execute("PRAGMA defer_foreign_keys = ON")
    kept = [c.name for c in _columns(acceptance=False)]
    op.execute("CREATE TABLE _objections_copy AS SELECT * FROM objections")
    for name, _ in INDEXES:
        op.drop_index(name, table_name="objections")
    op.drop_table("objections")
    op.create_table("objections", *_columns(acceptance=acceptance))
    listed = ", ".join(kept)
    op.execute(f"INSERT INTO objections ({listed}) SELECT {listed} FROM _objections_copy")
    op.drop_table("_objections_copy")
    for name, columns in INDEXES:
        op.create_index(name, "objections", columns)


def _unique_pending(index: tuple[str, str]) -> None:
    name, where = index
    op.create_index(
        name,
        "objections",
        ["record_id", "applicant"],
        unique=True,
        postgresql_where=sa.text(where),
        sqlite_where=sa.text(where),
    )


def upgrade() -> None:
    op.drop_index(OLD_INDEX[0], table_name="objections")
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(acceptance=True)
    else:
        for name, type_ in ACCEPTANCE:
            op.add_column("objections", sa.Column(name, type_))
        for name, type_ in MADE_NULLABLE:
            op.alter_column("objections", name, existing_type=type_, nullable=True)
    _unique_pending(NEW_INDEX)


def downgrade() -> None:
    op.drop_index(NEW_INDEX[0], table_name="objections")
    # The old schema has no objection that was never flagged: such rows keep filing dates.
    op.execute(
        "UPDATE objections SET flagged_at = COALESCE(flagged_at, filed_at),"
        " flag_due_on = COALESCE(flag_due_on, received_on),"
        " decision_due_on = COALESCE(decision_due_on, accept_due_on, received_on)"
    )
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(acceptance=False)
    else:
        for name, type_ in MADE_NULLABLE:
            op.alter_column("objections", name, existing_type=type_, nullable=False)
        for name, _ in reversed(ACCEPTANCE):
            op.drop_column("objections", name)
    _unique_pending(OLD_INDEX)
