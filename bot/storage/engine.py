"""The one way TwitchCheck opens its database, for the tracker store and for its own tables."""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

DEFAULT_DATABASE_URL = "sqlite:///twitchcheck.db"
SQLITE_BUSY_TIMEOUT_MS = 10_000
CONNECT_TIMEOUT_SECONDS = 5


def resolve_database_url(explicit: str | None = None) -> str:
    """The URL given, else DATABASE_URL, else the embedded SQLite file (as the Rasa tracker store does)."""
    url = explicit or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    # Some hosts hand out postgres://, which SQLAlchemy 1.4 no longer accepts.
    return "postgresql://" + url[len("postgres://") :] if url.startswith("postgres://") else url


def create_engine(
    url: str | None = None, *, future: bool = True, pre_ping: bool = True, **kwargs: Any
) -> Engine:
    """An engine on `url` (else DATABASE_URL, else twitchcheck.db).

    - Pooled connections are tested before use, so after the database restarts the next message
      reconnects instead of failing on a dead connection (`pre_ping`; a caller that retries on a lost
      connection, as the tracker store does, can save that round trip).
    - SQLite (the embedded file of `make run`) runs in WAL mode: Rasa and the action server read while the
      other writes, and a commit is not an fsync. A crashed process loses nothing committed; a power cut may
      lose the last commits, which is why a deployment uses PostgreSQL. Writers wait for each other (busy
      timeout) instead of failing with "database is locked". Connections are pooled (SQLAlchemy 1.4 opens a
      new one per session for a file, and closing the last one checkpoints the log: an fsync per message).
    - PostgreSQL connections give up after CONNECT_TIMEOUT_SECONDS on a host that does not answer.
    """
    url = resolve_database_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        kwargs = {"poolclass": sa.pool.QueuePool, "connect_args": {"check_same_thread": False}, **kwargs}
    if parsed.get_backend_name() == "postgresql":
        # A host that does not answer at all fails after this long instead of holding the message.
        connect_args = kwargs.get("connect_args", {})
        kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS, **connect_args}
    engine = sa.create_engine(url, future=future, pool_pre_ping=pre_ping, **kwargs)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    # What is deleted is overwritten with zeros, not left in free pages of the file.
    cursor.execute("PRAGMA secure_delete = ON")
    cursor.close()


def scrub_deleted(engine: Engine) -> None:
    """After a deletion on SQLite: the write-ahead log, which still holds the deleted rows' old pages, is
    written into the (zeroed) database file and emptied. Nothing to do on other databases."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
