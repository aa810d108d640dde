from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from xinyong.models import metadata

OWN_TABLES = {"departments", "users", "api_keys", "auth_tokens", "audit_log"}


def _table_of(diff) -> str | None:
    op = diff[0] if isinstance(diff, list) else diff
    for item in op[1:]:
        name = getattr(item, "name", None) if not isinstance(item, str) else None
        table = getattr(item, "table", None)
        if table is not None:
            return table.name
        if name in OWN_TABLES:
            return name
        if isinstance(item, str) and item in OWN_TABLES:
            return item
    return None


def test_migration_0001_matches_accounts_and_audit_models(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(ctx, metadata) if _table_of(d) in OWN_TABLES]
    assert diffs == []
