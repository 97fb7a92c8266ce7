"""Time passing for what the assistant stored: its rows moved into the past, as if the days had gone by.

The stores take the time they act at, but the running assistant reads the real clock; moving the stored times
back is how a test over the real stack lets "two weeks" pass in a second.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.storage.models import as_utc

# Every time column of the records a re-check reads.
STORED_TIMES = {
    "assessments": ("assessed_at",),
    "diary_entries": ("logged_at",),
    "reminders": ("created_at", "due_at"),
}


def days_pass(engine: Engine, days: float, person: str | None = None) -> None:
    """Moves every stored time (of `person`, or of everyone) `days` into the past."""
    with engine.begin() as connection:
        for table, columns in STORED_TIMES.items():
            where = " where person = :person" if person else ""
            query = sa.text(f"select id, {', '.join(columns)} from {table}{where}")
            found = connection.execute(query, {"person": person})
            for row_id, *moments in found.all():
                moved = {
                    column: _moved(moment, days) for column, moment in zip(columns, moments, strict=True)
                }
                assignments = ", ".join(f"{column} = :{column}" for column in columns)
                connection.execute(
                    sa.text(f"update {table} set {assignments} where id = :id"), {**moved, "id": row_id}
                )


def _moved(moment: object, days: float) -> object:
    if isinstance(moment, datetime):  # PostgreSQL gives datetimes
        return as_utc(moment) - timedelta(days=days)
    # SQLite keeps the text SQLAlchemy wrote
    return (datetime.fromisoformat(str(moment)) - timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S.%f")
