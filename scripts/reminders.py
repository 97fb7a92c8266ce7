"""The reminder delivery worker: sends the Telegram and Slack reminders that are due, from the database
DATABASE_URL names (else twitchcheck.db), with the channels' own tokens and API addresses.

    python -m scripts.reminders                      # one round: send what is due now, then stop
    python -m scripts.reminders --every-seconds 60   # a round every minute until stopped

Any number of workers may run against one database (one per replica, say): each due reminder is claimed by
one of them only (bot/storage/reminders.py). The tables must exist (`python -m scripts.records migrate`).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from datetime import datetime, timezone
from typing import Callable, Sequence

from sqlalchemy.engine import make_url

from bot.reminder_delivery import DeliveryWorker, senders_from_environment
from bot.storage.engine import create_engine, resolve_database_url
from bot.storage.reminders import Reminders

log = logging.getLogger("scripts.reminders")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def parser() -> argparse.ArgumentParser:
    commands = argparse.ArgumentParser(prog="python -m scripts.reminders", description=__doc__.split("\n")[0])
    commands.add_argument(
        "--every-seconds",
        type=float,
        default=None,
        help="send what is due, then again every N seconds until stopped (default: one round)",
    )
    return commands


def main(argv: Sequence[str] | None = None, clock: Callable[[], datetime] = utc_now) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    senders = senders_from_environment()
    where = repr(make_url(resolve_database_url()))  # the repr hides any password
    if not senders:
        log.warning("neither TELEGRAM_TOKEN nor SLACK_TOKEN is set: no reminder can be sent")
    engine = create_engine()
    worker = DeliveryWorker(Reminders(engine), senders, clock)
    # SIGTERM (docker stop, Kubernetes, make run's Ctrl-C) ends the worker between rounds, never inside one:
    # a reminder the platform has taken is marked sent before the process goes.
    stopping = threading.Event()
    before = signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    first = True
    try:
        while True:
            try:
                done = worker.deliver_due()
                # The first round says where it looks; later ones only when they did something.
                if first or done.sent or done.failed:
                    sent, failed = len(done.sent), len(done.failed)
                    print(f"{where}: sent {sent} reminders, {failed} to retry", flush=True)
                first = False
            except Exception as error:  # noqa: BLE001 (the database away for a moment: try again next round)
                if args.every_seconds is None:
                    raise
                # Only the kind of error: a database error's text can carry a person's id or address.
                kind, wait = type(error).__name__, args.every_seconds
                log.error("a round of reminders failed (%s); trying again in %g s", kind, wait)
            if args.every_seconds is None or stopping.wait(args.every_seconds):
                return 0
    finally:
        signal.signal(signal.SIGTERM, before)
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
