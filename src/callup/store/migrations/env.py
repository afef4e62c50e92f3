"""Alembic environment: runs against the connection handed over by `callup.store.migrate`."""

from alembic import context

from callup.store.registry import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
)
with context.begin_transaction():
    context.run_migrations()
