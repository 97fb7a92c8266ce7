"""What TwitchCheck remembers about a person, and only with their consent: a twitch diary and assessments.

The tables live in the same database as Rasa's conversation tracker (DATABASE_URL, by default the SQLite
file twitchcheck.db). A person is the channel's sender id. Health data is stored only after consent, kept
for a retention period and deletable, and deleting or purging also clears Rasa's `events` rows.
`connect()` never creates tables: `migrate()` does, with the Alembic migrations in bot/migrations.

    python -m bot.store migrate                # create or update the tables
    python -m bot.store purge --days 365       # forget what is older than the retention period
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import os
import secrets
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Mapping, Sequence, Union

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, registry

from bot.findings import BODY_PARTS, validate_findings
from bot.triage import Assessment

DEFAULT_DATABASE_URL = "sqlite:///twitchcheck.db"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
DEFAULT_RETENTION_DAYS = 365
CONSENT_SCOPE = "health_data"
SIDES = ("left", "right", "both")
MAX_NOTES_CHARS = 500
RASA_EVENTS_TABLE = "events"
SECONDS_PER_DAY = 86400.0
SUMMARY_LINK_HOURS = 24.0

log = logging.getLogger(__name__)


class ConsentRequired(Exception):
    """The person has not given (or has withdrawn) consent to store their health data."""


class DiaryEntryError(ValueError):
    """A diary entry that cannot be stored; the message says what to change."""


def resolve_database_url(explicit: str | None = None) -> str:
    """The URL given, else DATABASE_URL, else the embedded SQLite file (as the Rasa tracker store does)."""
    url = explicit or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    # Some hosts hand out postgres://, which SQLAlchemy 1.4 no longer accepts.
    return "postgresql://" + url[len("postgres://") :] if url.startswith("postgres://") else url


SQLITE_BUSY_TIMEOUT_MS = 10_000
CONNECT_TIMEOUT_SECONDS = 5


def create_engine(
    url: str | None = None, *, future: bool = True, pre_ping: bool = True, **kwargs: Any
) -> Engine:
    """The one way TwitchCheck opens its database, for the tracker store and for its own tables.

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


class UTCDateTime(sa.types.TypeDecorator):
    """Timezone-aware UTC datetimes in and out, also on SQLite, which stores no time zone."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.engine.Dialect) -> datetime | None:
        return None if value is None else _utc(value)

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


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"times must be timezone-aware (UTC), got the naive datetime {moment.isoformat()}")
    return moment.astimezone(timezone.utc)


def _now(now: datetime | None = None) -> datetime:
    return datetime.now(timezone.utc) if now is None else _utc(now)


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


def _rasa_events(session: Session) -> sa.sql.TableClause | None:
    """Rasa's tracker table, when it shares this database (Rasa creates it on its first conversation)."""
    if not sa.inspect(session.connection()).has_table(RASA_EVENTS_TABLE):
        return None
    return sa.table(RASA_EVENTS_TABLE, sa.column("sender_id"), sa.column("timestamp"))


class Store:
    """The assistant's memory of people, over one database. Every method is its own transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _session(self) -> Session:
        return Session(self.engine, future=True)

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
        """Stops storing anything new; what is stored stays until delete_person or the retention purge."""
        with self._session() as session, session.begin():
            consent = session.get(ConsentRow, person)
            if consent is not None and consent.withdrawn_at is None:
                consent.withdrawn_at = _now()

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
        """Forgets everything about the person, their conversation included; returns the rows removed."""
        with self._session() as session, session.begin():
            removed = 0
            for model in (DiaryEntryRow, AssessmentRow, ConsentRow, SummaryLinkRow):
                removed += session.execute(sa.delete(model).where(model.person == person)).rowcount
            events = _rasa_events(session)
            if events is not None:
                removed += session.execute(sa.delete(events).where(events.c.sender_id == person)).rowcount
        scrub_deleted(self.engine)
        log.info("deleted a person's data: %d rows", removed)
        return removed

    def purge_older_than(self, days: float, now: datetime | None = None) -> int:
        """Removes diary entries, assessments, conversation events and consents older than `days`; returns
        the count. A consent goes once it was withdrawn before the cutoff, or given before it with nothing of
        the person's kept since: someone who comes back after the retention period is asked again."""
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
            # Links die when they expire, whatever the retention period.
            removed += session.execute(
                sa.delete(SummaryLinkRow).where(SummaryLinkRow.expires_at < _now(now))
            ).rowcount
            kept_since = sa.union(
                sa.select(DiaryEntryRow.person).where(DiaryEntryRow.logged_at >= cutoff),
                sa.select(AssessmentRow.person).where(AssessmentRow.assessed_at >= cutoff),
            )
            stale_consent = sa.or_(
                ConsentRow.withdrawn_at < cutoff,
                sa.and_(ConsentRow.given_at < cutoff, ConsentRow.person.not_in(kept_since)),
            )
            removed += session.execute(
                sa.delete(ConsentRow).where(stale_consent).execution_options(synchronize_session=False)
            ).rowcount
            events = _rasa_events(session)
            if events is not None:
                old = events.c.timestamp < cutoff.timestamp()
                removed += session.execute(sa.delete(events).where(old)).rowcount
        scrub_deleted(self.engine)
        log.info("purged %d rows older than %g days", removed, days)
        return removed


def connect(url: str | None = None) -> Store:
    """A Store on `url`, else DATABASE_URL, else twitchcheck.db. Creates no tables: run migrate() first."""
    return Store(create_engine(url))


def _alembic(connection: sa.engine.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Handing over the connection keeps the URL out of ConfigParser, which would choke on '%' in it.
    config.attributes["connection"] = connection
    return config


def migrate(url: str | None = None, revision: str = "head") -> None:
    """Creates or updates the assistant's tables up to `revision`."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            command.upgrade(_alembic(connection), revision)
    finally:
        engine.dispose()


def downgrade(url: str | None = None, revision: str = "base") -> None:
    """Undoes migrations down to `revision`; the default, base, drops the assistant's tables and data."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            command.downgrade(_alembic(connection), revision)
    finally:
        engine.dispose()


def retention_days() -> float:
    """The retention period in days: TWITCHCHECK_RETENTION_DAYS, else 365."""
    return float(os.environ.get("TWITCHCHECK_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: migrate, downgrade or purge the database DATABASE_URL names (else twitchcheck.db)."""
    parser = argparse.ArgumentParser(prog="python -m bot.store", description=__doc__.splitlines()[0])
    actions = parser.add_subparsers(dest="action", required=True)
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
    args = parser.parse_args(argv)
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
            with connect() as store:
                removed = store.purge_older_than(days)
            print(f"{where}: removed {removed} rows older than {days:g} days", flush=True)
            if args.every_hours is None:
                break
            time.sleep(args.every_hours * 3600)
    return 0


if __name__ == "__main__":
    sys.exit(main())
