"""The records command line: migrate, downgrade or purge the database DATABASE_URL names (else
twitchcheck.db).

    python -m scripts.records migrate                # create or update the tables
    python -m scripts.records purge --days 365       # forget what is older than the retention period

`scripts/records.py` runs `main` with the conversation table linked, so a purge also forgets old
conversations; `main` itself knows only the assistant's own tables.
"""

from __future__ import annotations

import argparse
import time
from typing import Sequence

from sqlalchemy.engine import make_url

from bot.storage.engine import resolve_database_url
from bot.storage.migrations import downgrade, migrate
from bot.storage.repository import LinkedTable, connect, retention_days

DESCRIPTION = (
    "What TwitchCheck remembers about a person, and only with their consent: a twitch diary and assessments."
)


def parser(prog: str) -> argparse.ArgumentParser:
    commands = argparse.ArgumentParser(prog=prog, description=DESCRIPTION)
    actions = commands.add_subparsers(dest="action", required=True)
    up = actions.add_parser("migrate", help="create or update the tables")
    up.add_argument("--revision", default="head")
    down = actions.add_parser(
        "downgrade", help="undo migrations; --revision base drops the tables and their data"
    )
    down.add_argument(
        "--revision", required=True, help="the revision to go back to (no default: it can destroy data)"
    )
    purge = actions.add_parser(
        "purge", help="remove diary entries, assessments and conversations older than N days"
    )
    purge.add_argument(
        "--days", type=float, default=None, help="default: TWITCHCHECK_RETENTION_DAYS, else 365"
    )
    purge.add_argument(
        "--every-hours",
        type=float,
        default=None,
        help="purge now and then again every N hours until stopped (make run and Compose use 24)",
    )
    return commands


def main(
    argv: Sequence[str] | None = None,
    linked_tables: Sequence[LinkedTable] = (),
    prog: str = "python -m scripts.records",
) -> int:
    """Runs one command; `linked_tables` are purged with the assistant's own tables."""
    args = parser(prog).parse_args(argv)
    where = repr(make_url(resolve_database_url()))  # the repr hides any password
    if args.action == "migrate":
        migrate(revision=args.revision)
        print(f"{where}: migrated to {args.revision}")
    elif args.action == "downgrade":
        downgrade(revision=args.revision)
        print(f"{where}: downgraded to {args.revision}")
    else:
        days = retention_days() if args.days is None else args.days
        while True:
            with connect(linked_tables=linked_tables) as store:
                removed = store.purge_older_than(days)
            print(f"{where}: removed {removed} rows older than {days:g} days", flush=True)
            if args.every_hours is None:
                break
            time.sleep(args.every_hours * 3600)
    return 0
