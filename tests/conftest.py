"""Shared fixtures. `assistant` runs the real stack (scripts/stack.py): the action server and Rasa with the
trained model, on free ports with a throwaway SQLite tracker store, once per test session."""

from __future__ import annotations

import os
from typing import Iterator

import pytest
import redis
import sqlalchemy

from scripts.stack import MODEL, ROOT, Assistant, Stack, free_port, wait_until_up

__all__ = [
    "MODEL",
    "ROOT",
    "Assistant",
    "Stack",
    "free_port",
    "wait_until_up",
    "postgres_or_skip",
    "redis_or_skip",
]

# One person's answers to the whole check-in, in order: no emergency sign, left calf, about 3 weeks, daily, no
# warning signs in either group, 5 coffees, 6 hours' sleep, stress, no medicines: "see a doctor" (3 weeks).
CHECK_IN_ANSWERS = (
    "none of these",
    "my left calf",
    "about 3 weeks",
    "every day",
    "none",
    "nope",
    "about 5 cups",
    "6 hours",
    "stressed at work",
    "none of these",
)
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
# A Redis database of the tests' own (the lock tests), apart from the one `make run` may use.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/7")


def postgres_or_skip() -> sqlalchemy.engine.Engine:
    """An engine on the test PostgreSQL; where it is unreachable the test is skipped with the reason, or
    fails when TWITCHCHECK_REQUIRE_POSTGRES is set (CI sets it)."""
    engine = sqlalchemy.create_engine(POSTGRES_URL, future=True, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text("select 1"))
    except sqlalchemy.exc.OperationalError as error:
        reason = f"PostgreSQL at {POSTGRES_URL} is not reachable ({error.orig})"
        if os.environ.get("TWITCHCHECK_REQUIRE_POSTGRES"):
            pytest.fail(reason + " and TWITCHCHECK_REQUIRE_POSTGRES is set")
        pytest.skip(reason)
    return engine


def redis_or_skip() -> redis.Redis:
    """A client of the test Redis; where it is unreachable the test is skipped with the reason, or fails in
    CI (CI sets CI), where Redis is part of the machine."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.exceptions.RedisError as error:
        reason = f"Redis at {REDIS_URL} is not reachable ({error})"
        if os.environ.get("CI"):
            pytest.fail(reason + " and CI is set")
        pytest.skip(reason)
    return client


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (make test does it for you)")
    workdir = tmp_path_factory.mktemp("assistant")
    stack = Stack(workdir, f"sqlite:///{workdir / 'conversations.db'}")
    try:
        yield stack.start()
    finally:
        stack.stop()
