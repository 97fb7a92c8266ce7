"""Each storage test runs on a real SQLite file and on a real PostgreSQL database (`database_url`), with a
migrated `store` on it.

PostgreSQL tests use TEST_DATABASE_URL (default: the local server these machines run), each in a fresh
schema dropped afterwards. Where it cannot be reached they are skipped with the reason, unless
TWITCHCHECK_REQUIRE_POSTGRES is set (CI sets it), in which case they fail.
"""

from tests.bot.storage.databases import database_url, store  # noqa: F401 (fixtures)
