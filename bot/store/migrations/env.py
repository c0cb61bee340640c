"""Alembic environment: always called with a connection from `bot.store.db.migrate`."""

from __future__ import annotations

from alembic import context

from bot.store.schema import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only used by `alembic revision --autogenerate`
    from sqlalchemy import create_engine

    connection = create_engine(
        context.config.get_main_option("sqlalchemy.url") or "sqlite://"
    ).connect()

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
