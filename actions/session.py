"""How a conversation's session starts: each slot's current value carried over once.

This is Rasa's documented way to change a session's start (a custom action named `action_session_start`,
listed in domain.yml's actions; see Rasa's "Default Actions"), instead of a change to Rasa's own. Rasa's
default copies every SlotSet the conversation ever applied since its last restart, so each new session would
start longer than the last (components/rasa_layer/sessions.py starts one every 160 events or so) and a value
reset since would come back. Here each slot whose value is not its initial one is set once, after
SessionStarted, which resets them all, as Rasa's default does when `carry_over_slots_to_new_session` is true.

With the action server down, Rasa runs this same action in its own process (components/rasa_layer/outages.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

DOMAIN_FILE = Path(__file__).resolve().parent.parent / "domain.yml"


def _domain() -> Dict[str, Any]:
    return yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))


def initial_slot_values(domain: Dict[str, Any]) -> Dict[str, Any]:
    """Each slot's value at a session's start, as the domain declares it (None unless it says otherwise)."""
    return {name: (spec or {}).get("initial_value") for name, spec in (domain.get("slots") or {}).items()}


def carries_over_slots(domain: Dict[str, Any]) -> bool:
    return bool((domain.get("session_config") or {}).get("carry_over_slots_to_new_session", True))


_DOMAIN = _domain()
INITIAL_SLOT_VALUES = initial_slot_values(_DOMAIN)
CARRY_OVER_SLOTS = carries_over_slots(_DOMAIN)


def carried_over_slots(slots: Dict[str, Any], initial: Dict[str, Any] = INITIAL_SLOT_VALUES) -> List[Dict]:
    """One SlotSet per slot whose current value is not its initial one (Rasa's own slots start empty)."""
    return [SlotSet(name, value) for name, value in slots.items() if value != initial.get(name)]


class ActionSessionStart(Action):
    """Starts a session: SessionStarted, the slots carried over, then listening, as Rasa's default does."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        carried = carried_over_slots(tracker.slots) if CARRY_OVER_SLOTS else []
        return [SessionStarted(), *carried, ActionExecuted("action_listen")]
