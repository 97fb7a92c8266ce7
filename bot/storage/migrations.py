"""Creating, updating and undoing the assistant's tables with the Alembic migrations in bot/migrations.

`alembic upgrade head` from the repository root (alembic.ini) runs the same migrations.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from bot.storage.engine import create_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def _alembic(connection: sa.engine.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Handing over the connection keeps the URL out of ConfigParser, which would choke on '%' in it.
    config.attributes["connection"] = connection
    return config


def migrate(url: str | None = None, revision: str = "head") -> None:
    """Creates or updates the assistant's tables up to `revision`."""
    _run(command.upgrade, url, revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    """Undoes migrations down to `revision`; the default, base, drops the assistant's tables and data."""
    _run(command.downgrade, url, revision)


def _run(step: Callable[[Config, str], None], url: str | None, revision: str) -> None:
    """One Alembic command to `revision`, in one transaction, on the database `url` names."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            step(_alembic(connection), revision)
    finally:
        engine.dispose()
