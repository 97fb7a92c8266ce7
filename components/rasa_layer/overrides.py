"""Rasa's private methods that our own subclasses override, checked with the rest of the layer.

A subclass is Rasa's documented way to plug in a tracker store or a channel, but a private method it
overrides is outside that contract: were Rasa to rename `SQLTrackerStore._retrieve`, our override would
silently stop being called. Nothing is changed here; the layer checks these targets before it applies.
"""

from __future__ import annotations

from rasa.core.channels.slack import SlackBot
from rasa.core.tracker_store import SQLTrackerStore

from components.rasa_layer.guard import Target

TARGETS = [
    # components/stores/tracker_store.py: one plain read, retried through a database restart.
    Target(SQLTrackerStore, "_retrieve", ("self", "sender_id", "fetch_events_from_all_sessions")),
    # components/channels/slack.py: replies to the person's own Slack channel.
    Target(SlackBot, "_post_message", ("self", "channel", "kwargs")),
]


def install() -> None:
    """Nothing to apply: the subclasses override these themselves."""
