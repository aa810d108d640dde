"""Alembic environment: runs on the connection handed in by ``xinyong.migrations``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from xinyong.models import metadata

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url")
    if url is None:  # xinyong.migrations sets it; a bare `alembic` run must too
        raise RuntimeError("sqlalchemy.url is not set")
    engine = create_engine(url)
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run()
