"""The records the actions keep and read: consent, the twitch diary, assessments and summary links
(reminders have their own module, bot/storage/reminders.py; deleting a person and the purge cover them).

Health data is stored only after consent, kept for a retention period and deletable. `connect()` never
creates tables: `bot.storage.migrations.migrate()` does. Other tables in the same database that hold a
person's rows, such as the conversation tracker's, are the caller's to name (`LinkedTable`): deleting a
person or purging by age clears their rows too, without this module knowing whose tables they are.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping, Sequence, Union

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.findings import BODY_PARTS, validate_findings
from bot.storage.engine import create_engine, scrub_deleted
from bot.storage.models import (
    CANCELLED,
    MAX_NOTES_CHARS,
    PENDING,
    PERSON_TABLES,
    AssessmentRow,
    ConsentRow,
    DiaryEntryRow,
    ReminderRow,
    SummaryLinkRow,
    as_utc,
)
from bot.triage import Assessment

DEFAULT_RETENTION_DAYS = 365
CONSENT_SCOPE = "health_data"
SIDES = ("left", "right", "both")
SECONDS_PER_DAY = 86400.0
SUMMARY_LINK_HOURS = 24.0

log = logging.getLogger(__name__)


class ConsentRequired(Exception):
    """The person has not given (or has withdrawn) consent to store their health data."""


class DiaryEntryError(ValueError):
    """A diary entry that cannot be stored; the message says what to change."""


@dataclass(frozen=True)
class LinkedTable:
    """Another table in the same database whose rows are a person's: deleted with the person, and purged
    with the rest once older than the retention period. `time_column` holds seconds since the epoch."""

    name: str
    person_column: str
    time_column: str

    def _table(self) -> sa.sql.TableClause:
        return sa.table(self.name, sa.column(self.person_column), sa.column(self.time_column))

    def of_person(self, person: str) -> sa.sql.Delete:
        table = self._table()
        return sa.delete(table).where(table.c[self.person_column] == person)

    def older_than(self, cutoff: datetime) -> sa.sql.Delete:
        table = self._table()
        return sa.delete(table).where(table.c[self.time_column] < cutoff.timestamp())


@dataclass(frozen=True)
class DiaryEntry:
    id: int
    person: str
    logged_at: datetime
    location: str
    side: str | None
    lasted_minutes: float | None
    notes: str | None


@dataclass(frozen=True)
class StoredAssessment:
    id: int
    person: str
    assessed_at: datetime
    findings: Mapping[str, Any]
    result: Mapping[str, Any]
    level: str
    rules_version: str


def _now(now: datetime | None = None) -> datetime:
    return datetime.now(timezone.utc) if now is None else as_utc(now)


def _check_minutes(minutes: Any) -> float:
    number = isinstance(minutes, int | float) and not isinstance(minutes, bool) and math.isfinite(minutes)
    if not number or minutes < 0:
        raise DiaryEntryError(
            f"how long the twitch lasted must be a number of minutes, 0 or more, got {minutes!r}"
        )
    return float(minutes)


def _check_entry(location: str, side: str | None, lasted_minutes: Any, notes: str | None) -> None:
    if location not in BODY_PARTS:
        raise DiaryEntryError(f"unknown body part {location!r}: use one of {', '.join(BODY_PARTS)}")
    if side is not None and side not in SIDES:
        raise DiaryEntryError(f"side must be one of {', '.join(SIDES)} or left out, got {side!r}")
    if lasted_minutes is not None:
        _check_minutes(lasted_minutes)
    if notes is not None and len(notes) > MAX_NOTES_CHARS:
        raise DiaryEntryError(f"notes can be at most {MAX_NOTES_CHARS} characters, these have {len(notes)}")


def _diary_entry(row: DiaryEntryRow) -> DiaryEntry:
    return DiaryEntry(
        row.id, row.person, row.logged_at, row.location, row.side, row.lasted_minutes, row.notes
    )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Store:
    """The assistant's memory of people, over one database. Every method is its own transaction."""

    def __init__(self, engine: Engine, linked_tables: Sequence[LinkedTable] = ()) -> None:
        self.engine = engine
        self.linked_tables = tuple(linked_tables)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _session(self) -> Session:
        return Session(self.engine, future=True)

    def _present_linked_tables(self, session: Session) -> list[LinkedTable]:
        """The linked tables that exist yet (Rasa, say, creates its table on its first conversation)."""
        if not self.linked_tables:
            return []
        inspector = sa.inspect(session.connection())
        return [linked for linked in self.linked_tables if inspector.has_table(linked.name)]

    def _require_consent(self, session: Session, person: str) -> None:
        consent = session.get(ConsentRow, person)
        if consent is None or consent.withdrawn_at is not None:
            raise ConsentRequired("this person has not agreed to TwitchCheck storing their health data")

    def give_consent(self, person: str, scope: str = CONSENT_SCOPE) -> None:
        with self._session() as session, session.begin():
            consent = session.get(ConsentRow, person)
            if consent is None:
                session.add(ConsentRow(person=person, given_at=_now(), scope=scope))
            else:
                consent.given_at, consent.scope, consent.withdrawn_at = _now(), scope, None

    def has_consent(self, person: str) -> bool:
        with self._session() as session:
            consent = session.get(ConsentRow, person)
            return consent is not None and consent.withdrawn_at is None

    def withdraw_consent(self, person: str) -> None:
        """Stops storing anything new, and cancels the person's reminders (no one is contacted after saying
        no); what is stored stays until delete_person or the retention purge."""
        with self._session() as session, session.begin():
            consent = session.get(ConsentRow, person)
            if consent is not None and consent.withdrawn_at is None:
                consent.withdrawn_at = _now()
            session.execute(
                sa.update(ReminderRow)
                .where(ReminderRow.person == person, ReminderRow.status == PENDING)
                .values(status=CANCELLED)
                .execution_options(synchronize_session=False)
            )

    def log_twitch(
        self,
        person: str,
        location: str,
        side: str | None = None,
        lasted_minutes: float | None = None,
        notes: str | None = None,
        at: datetime | None = None,
    ) -> DiaryEntry:
        _check_entry(location, side, lasted_minutes, notes)
        with self._session() as session, session.begin():
            self._require_consent(session, person)
            row = DiaryEntryRow(
                person=person,
                logged_at=_now(at),
                location=location,
                side=side,
                lasted_minutes=None if lasted_minutes is None else float(lasted_minutes),
                notes=notes,
            )
            session.add(row)
            session.flush()
            return _diary_entry(row)

    def update_last_entry_duration(self, person: str, minutes: float) -> DiaryEntry | None:
        """Sets how long the latest twitch lasted; None when the person has no diary entry."""
        minutes = _check_minutes(minutes)
        with self._session() as session, session.begin():
            self._require_consent(session, person)
            row = session.scalars(
                sa.select(DiaryEntryRow)
                .where(DiaryEntryRow.person == person)
                .order_by(DiaryEntryRow.logged_at.desc(), DiaryEntryRow.id.desc())
                .limit(1)
            ).first()
            if row is None:
                return None
            row.lasted_minutes = minutes
            return _diary_entry(row)

    def diary(self, person: str) -> list[DiaryEntry]:
        """The person's diary, oldest entry first."""
        with self._session() as session:
            rows = session.scalars(
                sa.select(DiaryEntryRow)
                .where(DiaryEntryRow.person == person)
                .order_by(DiaryEntryRow.logged_at, DiaryEntryRow.id)
            )
            return [_diary_entry(row) for row in rows]

    def first_entry_age_days(self, person: str, now: datetime | None = None) -> float | None:
        """Days since the person's first diary entry, None without one."""
        with self._session() as session:
            first = session.scalar(
                sa.select(sa.func.min(DiaryEntryRow.logged_at)).where(DiaryEntryRow.person == person)
            )
        if first is None:
            return None
        return (_now(now) - first).total_seconds() / SECONDS_PER_DAY

    def save_assessment(
        self,
        person: str,
        findings: Mapping[str, Any],
        result: Union[Assessment, Mapping[str, Any]],
        at: datetime | None = None,
    ) -> None:
        """Keeps the findings and the assessment (Assessment or its to_dict()) the person was given."""
        clean = validate_findings(findings)
        outcome = result.to_dict() if isinstance(result, Assessment) else dict(result)
        with self._session() as session, session.begin():
            self._require_consent(session, person)
            session.add(
                AssessmentRow(
                    person=person,
                    assessed_at=_now(at),
                    findings=json.dumps(dict(clean), ensure_ascii=False),
                    result=json.dumps(outcome, ensure_ascii=False),
                    level=outcome["level"],
                    rules_version=outcome["rules_version"],
                )
            )

    def latest_assessment(self, person: str) -> StoredAssessment | None:
        with self._session() as session:
            row = session.scalars(
                sa.select(AssessmentRow)
                .where(AssessmentRow.person == person)
                .order_by(AssessmentRow.assessed_at.desc(), AssessmentRow.id.desc())
                .limit(1)
            ).first()
            if row is None:
                return None
            return StoredAssessment(
                row.id,
                row.person,
                row.assessed_at,
                json.loads(row.findings),
                json.loads(row.result),
                row.level,
                row.rules_version,
            )

    def create_summary_link(
        self, person: str, hours: float = SUMMARY_LINK_HOURS, now: datetime | None = None
    ) -> tuple[str, datetime]:
        """A new unguessable token for downloading the person's summary, and when it expires."""
        if not hours > 0:
            raise ValueError(f"a link must live for more than 0 hours, got {hours}")
        token = secrets.token_urlsafe(32)
        created = _now(now)
        expires = created + timedelta(hours=hours)
        with self._session() as session, session.begin():
            self._require_consent(session, person)
            session.add(
                SummaryLinkRow(
                    token_hash=_token_hash(token), person=person, created_at=created, expires_at=expires
                )
            )
        return token, expires

    def person_for_summary_link(self, token: str, now: datetime | None = None) -> str | None:
        """Whose summary the token opens; None when it is unknown, expired or its person withdrew consent."""
        if not token or len(token) > 200:
            return None
        with self._session() as session:
            link = session.get(SummaryLinkRow, _token_hash(token))
            if link is None or link.expires_at <= _now(now):
                return None
            consent = session.get(ConsentRow, link.person)
            if consent is None or consent.withdrawn_at is not None:
                return None
            return link.person

    def delete_person(self, person: str) -> int:
        """Forgets everything about the person, their rows in the linked tables (their conversation)
        included; returns the rows removed."""
        with self._session() as session, session.begin():
            removed = 0
            for model in PERSON_TABLES:
                removed += session.execute(sa.delete(model).where(model.person == person)).rowcount
            for linked in self._present_linked_tables(session):
                removed += session.execute(linked.of_person(person)).rowcount
        scrub_deleted(self.engine)
        log.info("deleted a person's data: %d rows", removed)
        return removed

    def purge_older_than(self, days: float, now: datetime | None = None) -> int:
        """Removes diary entries, assessments, reminders done or long overdue, rows of the linked tables
        (conversation events) and consents older than `days`; returns the count. A consent goes once it was
        withdrawn before the cutoff, or given before it with nothing of the person's kept since: someone who
        comes back after the retention period is asked again."""
        if days < 0:
            raise ValueError(f"the retention period must be 0 days or more, got {days}")
        cutoff = _now(now) - timedelta(days=days)
        with self._session() as session, session.begin():
            removed = session.execute(
                sa.delete(DiaryEntryRow).where(DiaryEntryRow.logged_at < cutoff)
            ).rowcount
            removed += session.execute(
                sa.delete(AssessmentRow).where(AssessmentRow.assessed_at < cutoff)
            ).rowcount
            # A reminder set before the cutoff goes once it is sent or cancelled, or was due before the cutoff
            # too (never delivered in all that time); one still to come stays, even under a short retention
            # period, since the person asked for it (and can cancel it or delete it with the rest).
            removed += session.execute(
                sa.delete(ReminderRow).where(
                    ReminderRow.created_at < cutoff,
                    sa.or_(ReminderRow.status != PENDING, ReminderRow.due_at < cutoff),
                )
            ).rowcount
            # Links die when they expire, whatever the retention period.
            removed += session.execute(
                sa.delete(SummaryLinkRow).where(SummaryLinkRow.expires_at < _now(now))
            ).rowcount
            kept_since = sa.union(
                sa.select(DiaryEntryRow.person).where(DiaryEntryRow.logged_at >= cutoff),
                sa.select(AssessmentRow.person).where(AssessmentRow.assessed_at >= cutoff),
                sa.select(ReminderRow.person).where(
                    sa.or_(ReminderRow.created_at >= cutoff, ReminderRow.status == PENDING)
                ),
            )
            stale_consent = sa.or_(
                ConsentRow.withdrawn_at < cutoff,
                sa.and_(ConsentRow.given_at < cutoff, ConsentRow.person.not_in(kept_since)),
            )
            removed += session.execute(
                sa.delete(ConsentRow).where(stale_consent).execution_options(synchronize_session=False)
            ).rowcount
            for linked in self._present_linked_tables(session):
                removed += session.execute(linked.older_than(cutoff)).rowcount
        scrub_deleted(self.engine)
        log.info("purged %d rows older than %g days", removed, days)
        return removed


def connect(url: str | None = None, linked_tables: Sequence[LinkedTable] = ()) -> Store:
    """A Store on `url`, else DATABASE_URL, else twitchcheck.db. Creates no tables: run migrate() first."""
    return Store(create_engine(url), linked_tables)


def retention_days() -> float:
    """The retention period in days: TWITCHCHECK_RETENTION_DAYS, else 365."""
    return float(os.environ.get("TWITCHCHECK_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))
