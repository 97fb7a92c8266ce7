"""Alembic environment for the assistant's own tables (consents, diary_entries, assessments).

bot.storage.migrations.migrate() hands over an open connection; `alembic upgrade head` from the repository
root connects to DATABASE_URL, else the embedded SQLite file twitchcheck.db, as the Rasa tracker store does.
"""

from __future__ import annotations

from logging.config import fileConfig

import sqlalchemy as sa
from alembic import context

from bot.storage.engine import resolve_database_url
from bot.storage.models import metadata

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def run_migrations_offline() -> None:
    """`alembic upgrade head --sql`: prints the SQL instead of running it."""
    context.configure(
        url=resolve_database_url(), target_metadata=metadata, literal_binds=True, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_on(connection: sa.engine.Connection) -> None:
    # Batch mode lets later migrations alter columns on SQLite, which has almost no ALTER TABLE.
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations_on(connection)
        return
    engine = sa.create_engine(resolve_database_url(), future=True, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            run_migrations_on(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
