"""Alembic environment: runs on the connection that ``migrate.upgrade`` hands over."""

from __future__ import annotations

from alembic import context

from jupyter_tracker.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through jupyter_tracker.store.migrate.upgrade")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
