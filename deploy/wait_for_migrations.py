"""Waits until the database (DATABASE_URL) carries this image's migrations, then exits 0.

In Kubernetes the migration Job and the Deployments start together; Rasa and the action server wait in
this init container so no pod serves a turn against tables the Job has not yet created or changed. It only
reads the database: the Job (`python -m scripts.records migrate`) stays the one writer of the schema.

    python deploy/wait_for_migrations.py [--timeout SECONDS] [--interval SECONDS]

Exits 1 when the timeout passes first (the pod restarts the wait, and `kubectl logs` says why).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bot.storage.engine import create_engine, resolve_database_url  # noqa: E402
from bot.storage.migrations import MIGRATIONS_DIR  # noqa: E402


def expected_heads() -> set[str]:
    """The revisions this image's migrations end at."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return set(ScriptDirectory.from_config(config).get_heads())


def current_heads(engine: sa.engine.Engine) -> set[str]:
    """The revisions the database is at (empty before the first migration)."""
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def wait(timeout: float, interval: float) -> bool:
    """True once the database is at this image's heads; False if `timeout` seconds pass first."""
    wanted = expected_heads()
    where = repr(make_url(resolve_database_url()))  # the repr hides any password
    engine = create_engine()
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                found = current_heads(engine)
            except sa.exc.OperationalError as error:  # not reachable yet: keep waiting
                found, reason = set(), f"not reachable ({error.orig})"
            else:
                reason = f"at {sorted(found) or 'no revision'}"
            if found == wanted:
                print(f"{where}: migrated to {sorted(wanted)}")
                return True
            if time.monotonic() >= deadline:
                print(f"{where}: {reason}, waiting for {sorted(wanted)}: gave up", file=sys.stderr)
                return False
            print(f"{where}: {reason}, waiting for {sorted(wanted)} (the migration job)", flush=True)
            time.sleep(interval)
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--interval", type=float, default=5.0)
    args = parser.parse_args(argv)
    return 0 if wait(args.timeout, args.interval) else 1


if __name__ == "__main__":
    sys.exit(main())
