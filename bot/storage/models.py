"""The assistant's own tables: consents, diary entries, assessments, summary links and reminders.

A person is the channel's sender id. The migrations in bot/migrations create what these describe (a test
compares them).
"""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm import registry

MAX_NOTES_CHARS = 500


def as_utc(moment: datetime) -> datetime:
    """The same moment in UTC; a naive datetime is refused, as it names no moment."""
    if moment.tzinfo is None:
        raise ValueError(f"times must be timezone-aware (UTC), got the naive datetime {moment.isoformat()}")
    return moment.astimezone(timezone.utc)


class UTCDateTime(sa.types.TypeDecorator):
    """Timezone-aware UTC datetimes in and out, also on SQLite, which stores no time zone."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.engine.Dialect) -> datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: sa.engine.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


mapper_registry = registry()
Base = mapper_registry.generate_base()
metadata = mapper_registry.metadata


class ConsentRow(Base):
    __tablename__ = "consents"
    person = sa.Column(sa.String(255), primary_key=True)
    given_at = sa.Column(UTCDateTime, nullable=False)
    scope = sa.Column(sa.Text, nullable=False)
    withdrawn_at = sa.Column(UTCDateTime, nullable=True)


class DiaryEntryRow(Base):
    __tablename__ = "diary_entries"
    id = sa.Column(sa.Integer, primary_key=True)
    person = sa.Column(sa.String(255), nullable=False, index=True)
    logged_at = sa.Column(UTCDateTime, nullable=False)
    location = sa.Column(sa.Text, nullable=False)
    side = sa.Column(sa.String(8), nullable=True)
    lasted_minutes = sa.Column(sa.Float, nullable=True)
    notes = sa.Column(sa.String(MAX_NOTES_CHARS), nullable=True)


class AssessmentRow(Base):
    __tablename__ = "assessments"
    id = sa.Column(sa.Integer, primary_key=True)
    person = sa.Column(sa.String(255), nullable=False, index=True)
    assessed_at = sa.Column(UTCDateTime, nullable=False)
    findings = sa.Column(sa.Text, nullable=False)
    result = sa.Column(sa.Text, nullable=False)
    level = sa.Column(sa.String(32), nullable=False)
    rules_version = sa.Column(sa.String(64), nullable=False)


class SummaryLinkRow(Base):
    """A download link for a person's summary. Only the token's SHA-256 is kept, so a copy of the database
    does not hand out working links."""

    __tablename__ = "summary_links"
    token_hash = sa.Column(sa.String(64), primary_key=True)
    person = sa.Column(sa.String(255), nullable=False, index=True)
    created_at = sa.Column(UTCDateTime, nullable=False)
    expires_at = sa.Column(UTCDateTime, nullable=False)


# A reminder's status: waiting to be sent (claimed or not), sent, or cancelled by the person.
PENDING, SENT, CANCELLED = "pending", "sent", "cancelled"


class ReminderRow(Base):
    """A check-back the person asked for, `days` after `created_at`: kept in the database so that it
    outlives the process that set it, and claimed by one delivery worker at a time (bot/storage/reminders.py).

    `address` is what the channel needs to reach the person unprompted: the Telegram chat id, the Slack user
    or channel id; none for the web, where it is shown the next time the person opens the widget. A claim
    (`claimed_by`, `claimed_at`) is a worker's lease on a due reminder while it sends; `retry_at` is when a
    failed send may be tried again."""

    __tablename__ = "reminders"
    id = sa.Column(sa.Integer, primary_key=True)
    person = sa.Column(sa.String(255), nullable=False, index=True)
    channel = sa.Column(sa.String(16), nullable=False)
    address = sa.Column(sa.String(255), nullable=True)
    days = sa.Column(sa.Integer, nullable=False)
    created_at = sa.Column(UTCDateTime, nullable=False)
    due_at = sa.Column(UTCDateTime, nullable=False)
    status = sa.Column(sa.String(16), nullable=False)
    claimed_by = sa.Column(sa.String(255), nullable=True)
    claimed_at = sa.Column(UTCDateTime, nullable=True)
    attempts = sa.Column(sa.Integer, nullable=False)
    retry_at = sa.Column(UTCDateTime, nullable=True)
    sent_at = sa.Column(UTCDateTime, nullable=True)
    __table_args__ = (sa.Index("ix_reminders_status_due_at", "status", "due_at"),)


PERSON_TABLES = (DiaryEntryRow, AssessmentRow, ConsentRow, SummaryLinkRow, ReminderRow)
