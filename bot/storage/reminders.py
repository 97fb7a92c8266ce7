"""Reminders that last: a check-back the person asked for, kept in the database and sent exactly once.

A reminder is set for 7 or 14 days on (the person's choice), on the channel they asked on. Telegram and
Slack reminders are sent by a delivery worker (bot/reminder_delivery.py); a web reminder waits until the
person next opens the widget (`take_due_web`).

Sending once with several workers (replicas) rests on claims: `claim` gives each due reminder to one worker
only, by a conditional UPDATE whose row count says whether this worker won it (on PostgreSQL the candidates
are also read FOR UPDATE SKIP LOCKED, so workers pass each other's rows instead of waiting for them). A claim
is a lease: a worker that dies before marking its reminder sent loses it after `lease`, and another sends
it. A failed send is released with a time to try again (`release`), so it is late, never lost; once marked
sent it is never claimed again. What no database can rule out: a worker that dies between the platform
accepting the message and `mark_sent` (a few milliseconds) leaves it to be sent again after the lease.

No method reads the clock: every time is passed in, so tests (and a replay) decide what "now" is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.identity import SLACK, TELEGRAM, WEB, address_of, channel_of
from bot.storage.models import CANCELLED, PENDING, SENT, ConsentRow, ReminderRow, as_utc
from bot.storage.repository import ConsentRequired

DAYS_CHOICES = (7, 14)
# The channels a reminder can be delivered on, and those the worker sends to (the web waits for the person).
REMINDER_CHANNELS = (TELEGRAM, SLACK, WEB)
PUSHED_CHANNELS = (TELEGRAM, SLACK)
# A worker holds a claimed reminder this long before another may take it over: far longer than a batch of
# sends takes (bot/reminder_delivery.py checks its batch against it), so a live worker keeps its claims.
DEFAULT_LEASE = timedelta(minutes=5)
CLAIM_BATCH = 50
# A failed send waits 1, 2, 4, ... minutes before the next try, never more than an hour.
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)


class ReminderError(ValueError):
    """A reminder that cannot be set; the message says what to change."""


@dataclass(frozen=True)
class Reminder:
    id: int
    person: str
    channel: str
    address: str | None
    days: int
    created_at: datetime
    due_at: datetime
    status: str
    claimed_by: str | None
    claimed_at: datetime | None
    attempts: int
    retry_at: datetime | None
    sent_at: datetime | None


def _reminder(row: ReminderRow) -> Reminder:
    return Reminder(
        row.id,
        row.person,
        row.channel,
        row.address,
        row.days,
        row.created_at,
        row.due_at,
        row.status,
        row.claimed_by,
        row.claimed_at,
        row.attempts,
        row.retry_at,
        row.sent_at,
    )


def _check(person: str, channel: str, address: str | None, days: int) -> None:
    if channel not in REMINDER_CHANNELS:
        raise ReminderError(f"a reminder goes by {', '.join(REMINDER_CHANNELS)}, not {channel!r}")
    if isinstance(days, bool) or days not in DAYS_CHOICES:
        raise ReminderError(f"a reminder is set for {' or '.join(map(str, DAYS_CHOICES))} days, not {days!r}")
    # A person's id names their channel (bot/identity.py): a reminder never reaches them on another one.
    own = channel_of(person)
    if own is not None and own != channel:
        raise ReminderError(f"{person!r} talks to the assistant on {own}, not {channel}")
    if channel == WEB and address is not None:
        raise ReminderError("a web reminder has no address: it is shown when the person next opens the chat")
    if channel != WEB and not address:
        raise ReminderError(f"a {channel} reminder needs the address to send it to")
    # A Telegram person is their private chat, so a reminder can only go to that chat. (A Slack person may be
    # reached at their user id or at their direct-message channel's id, which their id does not name.)
    if channel == TELEGRAM and own == TELEGRAM and address != address_of(person):
        raise ReminderError(f"a Telegram reminder goes to the person's own chat, not to {address!r}")
    if address is not None and len(address) > 255:
        raise ReminderError("an address is at most 255 characters")


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed send before trying again."""
    doublings = min(max(attempts - 1, 0), 16)  # 2**16 minutes is past the longest wait already
    return min(FIRST_RETRY * 2**doublings, LONGEST_RETRY)


class Reminders:
    """The reminders table. Every method is its own transaction, and takes the time it acts at."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _session(self) -> Session:
        return Session(self.engine, future=True)

    def schedule(self, person: str, channel: str, address: str | None, days: int, now: datetime) -> Reminder:
        """Sets a reminder `days` after `now`. Only with the person's consent, as for the diary."""
        _check(person, channel, address, days)
        created = as_utc(now)
        with self._session() as session, session.begin():
            consent = session.get(ConsentRow, person)
            if consent is None or consent.withdrawn_at is not None:
                raise ConsentRequired("this person has not agreed to TwitchCheck keeping their health data")
            row = ReminderRow(
                person=person,
                channel=channel,
                address=address,
                days=days,
                created_at=created,
                due_at=created + timedelta(days=days),
                status=PENDING,
                attempts=0,
            )
            session.add(row)
            session.flush()
            return _reminder(row)

    def list_for(self, person: str) -> list[Reminder]:
        """The person's reminders still to come, soonest first."""
        with self._session() as session:
            rows = session.scalars(
                sa.select(ReminderRow)
                .where(ReminderRow.person == person, ReminderRow.status == PENDING)
                .order_by(ReminderRow.due_at, ReminderRow.id)
            )
            return [_reminder(row) for row in rows]

    def history_for(self, person: str) -> list[Reminder]:
        """All the person's reminders, sent and cancelled too, oldest first."""
        with self._session() as session:
            rows = session.scalars(
                sa.select(ReminderRow)
                .where(ReminderRow.person == person)
                .order_by(ReminderRow.created_at, ReminderRow.id)
            )
            return [_reminder(row) for row in rows]

    def cancel(self, person: str, reminder_id: int) -> bool:
        """Cancels one of the person's pending reminders; False when there is none by that id (another
        person's reminder is never touched)."""
        with self._session() as session, session.begin():
            return bool(
                session.execute(
                    sa.update(ReminderRow)
                    .where(
                        ReminderRow.id == reminder_id,
                        ReminderRow.person == person,
                        ReminderRow.status == PENDING,
                    )
                    .values(status=CANCELLED)
                    .execution_options(synchronize_session=False)
                ).rowcount
            )

    def cancel_all(self, person: str) -> int:
        """"Stop reminders": cancels every pending reminder of the person; returns how many."""
        with self._session() as session, session.begin():
            return session.execute(
                sa.update(ReminderRow)
                .where(ReminderRow.person == person, ReminderRow.status == PENDING)
                .values(status=CANCELLED)
                .execution_options(synchronize_session=False)
            ).rowcount

    def _due(self, now: datetime) -> sa.sql.ColumnElement:
        return sa.and_(
            ReminderRow.status == PENDING,
            ReminderRow.due_at <= now,
            sa.or_(ReminderRow.retry_at.is_(None), ReminderRow.retry_at <= now),
        )

    def due(self, now: datetime, channels: Sequence[str] = REMINDER_CHANNELS) -> list[Reminder]:
        """Pending reminders whose time has come (and whose retry time, after a failed send), soonest
        first; claimed ones included."""
        now = as_utc(now)
        with self._session() as session:
            rows = session.scalars(
                sa.select(ReminderRow)
                .where(self._due(now), ReminderRow.channel.in_(channels))
                .order_by(ReminderRow.due_at, ReminderRow.id)
            )
            return [_reminder(row) for row in rows]

    def claim(
        self,
        now: datetime,
        worker: str,
        limit: int = CLAIM_BATCH,
        lease: timedelta = DEFAULT_LEASE,
        channels: Sequence[str] = PUSHED_CHANNELS,
    ) -> list[Reminder]:
        """Claims up to `limit` due reminders for `worker` to send: each is claimed by one worker only,
        however many ask at once. A claim older than `lease` is taken over (its worker died)."""
        now = as_utc(now)
        free = sa.or_(ReminderRow.claimed_at.is_(None), ReminderRow.claimed_at <= now - lease)
        claimable = sa.and_(self._due(now), free, ReminderRow.channel.in_(channels))
        with self._session() as session, session.begin():
            candidates = session.scalars(
                sa.select(ReminderRow.id)
                .where(claimable)
                .order_by(ReminderRow.due_at, ReminderRow.id)
                .limit(limit)
                .with_for_update(skip_locked=True)  # PostgreSQL; SQLite serialises writers instead
            ).all()
            won = []
            for reminder_id in candidates:
                # Checked again in the UPDATE itself: only one worker's UPDATE can find the row still free.
                updated = session.execute(
                    sa.update(ReminderRow)
                    .where(ReminderRow.id == reminder_id, claimable)
                    .values(claimed_by=worker, claimed_at=now, attempts=ReminderRow.attempts + 1)
                    .execution_options(synchronize_session=False)
                ).rowcount
                if updated == 1:
                    won.append(reminder_id)
            if not won:
                return []
            rows = session.scalars(
                sa.select(ReminderRow)
                .where(ReminderRow.id.in_(won))
                .order_by(ReminderRow.due_at, ReminderRow.id)
            )
            return [_reminder(row) for row in rows]

    def mark_sent(self, reminder_id: int, worker: str, now: datetime) -> bool:
        """Records that `worker` sent its claimed reminder; False when it no longer held the claim (the
        reminder was cancelled meanwhile, or its lease had passed to another worker)."""
        with self._session() as session, session.begin():
            return bool(
                session.execute(
                    sa.update(ReminderRow)
                    .where(
                        ReminderRow.id == reminder_id,
                        ReminderRow.status == PENDING,
                        ReminderRow.claimed_by == worker,
                    )
                    .values(status=SENT, sent_at=as_utc(now))
                    .execution_options(synchronize_session=False)
                ).rowcount
            )

    def release(self, reminder_id: int, worker: str, now: datetime, retry_at: datetime | None = None) -> bool:
        """Gives back a reminder `worker` could not send, to be tried again at `retry_at` (default: after
        `retry_delay` of its attempts so far)."""
        now = as_utc(now)
        with self._session() as session, session.begin():
            row = session.get(ReminderRow, reminder_id)
            if row is None or row.status != PENDING or row.claimed_by != worker:
                return False
            row.claimed_by, row.claimed_at = None, None
            row.retry_at = as_utc(retry_at) if retry_at is not None else now + retry_delay(row.attempts)
            return True

    def pending_web(self, person: str, now: datetime) -> list[Reminder]:
        """The person's web reminders whose time has come: to show when they next open the widget."""
        now = as_utc(now)
        with self._session() as session:
            rows = session.scalars(
                sa.select(ReminderRow)
                .where(ReminderRow.person == person, ReminderRow.channel == WEB, self._due(now))
                .order_by(ReminderRow.due_at, ReminderRow.id)
            )
            return [_reminder(row) for row in rows]

    def take_due_web(self, person: str, now: datetime) -> list[Reminder]:
        """The person's due web reminders, marked sent in the same transaction: two tabs opening at once
        show each reminder in one of them only."""
        now = as_utc(now)
        with self._session() as session, session.begin():
            ids = session.scalars(
                sa.select(ReminderRow.id).where(
                    ReminderRow.person == person, ReminderRow.channel == WEB, self._due(now)
                )
            ).all()
            taken = [
                reminder_id
                for reminder_id in ids
                if session.execute(
                    sa.update(ReminderRow)
                    .where(ReminderRow.id == reminder_id, ReminderRow.status == PENDING)
                    .values(status=SENT, sent_at=now, claimed_by=WEB, claimed_at=now)
                    .execution_options(synchronize_session=False)
                ).rowcount
                == 1
            ]
            rows = session.scalars(sa.select(ReminderRow).where(ReminderRow.id.in_(taken))) if taken else []
            return sorted((_reminder(row) for row in rows), key=lambda r: (r.due_at, r.id))

