"""Alembic's entry point, used only through `alertdrill.publish.history.migrate`: it runs the
migrations on the connection that `Config.attributes["connection"]` carries (no alembic.ini, no URL)."""

from alembic import context

from alertdrill.publish.history.schema import metadata

context.configure(
    connection=context.config.attributes["connection"], target_metadata=metadata, render_as_batch=True
)  # SQLite cannot drop or add constraints in place
with context.begin_transaction():
    context.run_migrations()
