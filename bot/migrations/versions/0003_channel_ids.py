"""Every conversation id names its channel: ids from before are moved under their channel's prefix.

Until now a person was the bare sender id of whichever channel they used, and any channel could name any id
(a Telegram chat id sent as a REST "sender" opened that person's diary). bot/identity.py now files each
person under their channel ("rest:default:alice", "telegram:123", "slack:T1:U1", "web:<key>"). This moves
what is stored, in Rasa's conversation events and in the assistant's own tables, to the new ids: the
channel is read from the conversation's messages (Rasa keeps each message's input channel), else guessed
as `bot.identity.legacy_conversation_id` says. Slack people go under SLACK_TEAM_ID, the workspace the bot
is installed in, when it is set while migrating; else under "legacy", where no one reaches them again.
Web sessions from before were chosen by the browser, so they go where no client can ask for them; they stay
until the retention purge or an operator's deletion.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Dict, Optional

import sqlalchemy as sa
from alembic import op

from bot.identity import (
    DEFAULT_NAMESPACE,
    LEGACY,
    MAX_ID_CHARS,
    address_of,
    channel_of,
    legacy_conversation_id,
    rest_id,
)

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

EVENTS = "events"  # Rasa's SQL tracker store, in the same database (as it was when this ran)
PERSON_COLUMNS = {
    "consents": "person",
    "diary_entries": "person",
    "assessments": "person",
    "summary_links": "person",
    EVENTS: "sender_id",
}


def _tables(bind: sa.engine.Connection) -> Dict[str, sa.sql.TableClause]:
    present = set(sa.inspect(bind).get_table_names())
    return {
        name: sa.table(name, sa.column(column)) for name, column in PERSON_COLUMNS.items() if name in present
    }


def _channels_of_senders(bind: sa.engine.Connection) -> Dict[str, Optional[str]]:
    """Each unmoved conversation's input channel, from its messages (None where no message says)."""
    if EVENTS not in sa.inspect(bind).get_table_names():
        return {}
    events = sa.table(EVENTS, sa.column("sender_id"), sa.column("type_name"), sa.column("data"))
    channels: Dict[str, Optional[str]] = {}
    for sender, data in bind.execute(
        sa.select(events.c.sender_id, events.c.data).where(events.c.type_name == "user")
    ):
        if channel_of(sender) is not None or channels.get(sender):
            continue
        try:
            channels[sender] = (json.loads(data or "{}") or {}).get("input_channel")
        except (TypeError, ValueError):
            channels.setdefault(sender, None)
    return channels


def _moved(old: str, channel: Optional[str], slack_team: Optional[str]) -> str:
    new = legacy_conversation_id(old, channel, slack_team)
    if len(new) > MAX_ID_CHARS:
        # Too long to carry a prefix: kept, under an id no caller can name, until the retention purge.
        new = rest_id(DEFAULT_NAMESPACE, f"{LEGACY}-{hashlib.sha256(old.encode()).hexdigest()}")
    return new


def _rename(bind: sa.engine.Connection, mapping: Dict[str, str]) -> None:
    for name, table in _tables(bind).items():
        column = table.c[PERSON_COLUMNS[name]]
        for old, new in mapping.items():
            if old != new:
                bind.execute(sa.update(table).where(column == old).values({column.name: new}))


def upgrade() -> None:
    bind = op.get_bind()
    channels = _channels_of_senders(bind)
    slack_team = os.environ.get("SLACK_TEAM_ID") or None
    mapping: Dict[str, str] = {}
    for name, table in _tables(bind).items():
        column = table.c[PERSON_COLUMNS[name]]
        for (old,) in bind.execute(sa.select(column).distinct()):
            if old is not None and channel_of(old) is None and old not in mapping:
                mapping[old] = _moved(old, channels.get(old), slack_team)
    _rename(bind, mapping)


def downgrade() -> None:
    """Back to the channels' own ids. REST senders of different namespaces with the same name would meet
    again; web sessions moved to "legacy" get their old ids back."""
    bind = op.get_bind()
    mapping: Dict[str, str] = {}
    for name, table in _tables(bind).items():
        column = table.c[PERSON_COLUMNS[name]]
        for (new,) in bind.execute(sa.select(column).distinct()):
            if new is None or channel_of(new) is None:
                continue
            old = address_of(new)
            if channel_of(new) == "web" and old.startswith(f"{LEGACY}-"):
                old = old[len(LEGACY) + 1 :]
            mapping[new] = old
    _rename(bind, mapping)
