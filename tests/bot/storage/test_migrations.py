"""The migrations create, update and drop what the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bot.storage.migrations import downgrade, migrate
from bot.storage.models import metadata
from bot.storage.repository import Store, connect
from tests.bot.storage.databases import OWN_TABLES, tables


def test_migrations_go_up_down_and_up_again(database_url: str) -> None:
    connect(database_url).close()
    assert OWN_TABLES.isdisjoint(tables(database_url)), "connect() must not create tables"
    migrate(database_url)
    assert OWN_TABLES <= tables(database_url)
    downgrade(database_url)
    assert OWN_TABLES.isdisjoint(tables(database_url))
    migrate(database_url)
    assert OWN_TABLES <= tables(database_url)


def test_the_migrations_create_what_the_models_describe(store: Store) -> None:
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert [d for d in differences if d[0] != "remove_table" or d[1].name != "alembic_version"] == []
