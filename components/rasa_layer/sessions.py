"""A long conversation starts a new Rasa session at a quiet moment, so turn 200 costs what turn 2 costs.

On every message Rasa reads the current session from the database, replays it, recomputes the state of every
past turn for each prediction and sends the whole session to the action server. All of that grows with the
session: at turn 200 (about 1,700 events) a turn took 4 times as long as at turn 2 (py-spy, `make bench`).
Rasa bounds this with sessions, which it only reads the latest of; ours end after an idle hour (domain.yml).

Here a session also ends once it holds more than SESSION_EVENT_LIMIT events, but only at a quiet moment, when
nothing the next message means can depend on what came before beyond the slots (which carry over):
- no form is active (the check-in keeps going in its session);
- no yes/no question is waiting for its answer (the `pending_question` slot is empty);
- the assistant's last action is not one a rule reads as context for the next message (rules in data/rules
  that begin with an action, such as "after logging a twitch, a bare '10 minutes' is how long it lasted").
Rules that apply only at a conversation's start would fire after such a split, so with any of them the split
is off. The person notices nothing; every message stays stored; the new session begins with SessionStarted.

The new session carries over each slot's current value once: not here but in our own `action_session_start`
(actions/session.py), Rasa's documented way to change how a session starts. Rasa's default copies every
SlotSet the session ever applied, so sessions would keep growing, and it would also revive a value that was
reset since.

Rasa has no setting for when a session ends other than idle time, so this one is a change to Rasa:
applied by components/rasa_layer (`install`), never on import.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, FrozenSet, List

import yaml
from rasa.core.processor import MessageProcessor
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker

from actions.records import PENDING_QUESTION_SLOT
from components.rasa_layer.guard import Target, original, replace

RULES_DIR = Path(__file__).resolve().parents[2] / "data" / "rules"
# About 20 turns. Measured with `make bench`: the growth stays well under the target of 1.5 times turn 1.
SESSION_EVENT_LIMIT = 160


def _rules() -> List[dict[str, Any]]:
    paths = sorted(RULES_DIR.glob("*.yml"))
    if not paths:  # without the rules, every action would look safe to split after
        raise FileNotFoundError(f"no rules in {RULES_DIR}")
    return [rule for path in paths for rule in yaml.safe_load(path.read_text())["rules"]]


def context_actions(rules: List[dict[str, Any]]) -> FrozenSet[str]:
    """Actions a rule reads as context: those a rule's steps begin with, before any user message."""
    return frozenset(
        rule["steps"][0]["action"] for rule in rules if rule.get("steps") and "action" in rule["steps"][0]
    )


def has_conversation_start_rules(rules: List[dict[str, Any]]) -> bool:
    return any(rule.get("conversation_start") for rule in rules)


CONTEXT_ACTIONS = context_actions(_rules())
SPLIT_ALLOWED = not has_conversation_start_rules(_rules())


def last_action(tracker: DialogueStateTracker) -> str | None:
    """The assistant's last action before it started listening (reverted turns do not count)."""
    for event in reversed(tracker.applied_events()):
        if isinstance(event, ActionExecuted) and event.action_name != ACTION_LISTEN_NAME:
            return event.action_name
    return None


def at_rest(tracker: DialogueStateTracker) -> bool:
    return (
        tracker.active_loop_name is None
        and not tracker.get_slot(PENDING_QUESTION_SLOT)
        and last_action(tracker) not in CONTEXT_ACTIONS
    )


def session_length(tracker: DialogueStateTracker) -> int:
    """Events since the latest session start (what Rasa reads, replays and sends on every turn)."""
    for distance, event in enumerate(reversed(tracker.events)):
        if isinstance(event, ActionExecuted) and event.action_name == ACTION_SESSION_START_NAME:
            return distance
    return len(tracker.events)


def should_split(tracker: DialogueStateTracker) -> bool:
    return SPLIT_ALLOWED and session_length(tracker) > SESSION_EVENT_LIMIT and at_rest(tracker)


def has_session_expired(self: MessageProcessor, tracker: DialogueStateTracker) -> bool:
    return rasa_has_session_expired(self, tracker) or should_split(tracker)


rasa_has_session_expired = original(MessageProcessor, "_has_session_expired")

TARGETS = [Target(MessageProcessor, "_has_session_expired", ("self", "tracker"))]


def install() -> None:
    replace(MessageProcessor, "_has_session_expired", has_session_expired)
