"""A session starts as Rasa's default starts it, with each slot's value carried over once
(actions/session.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, List

from rasa.core.actions.action import ActionSessionStart as RasaSessionStart
from rasa.core.actions.action import RemoteAction, action_for_name_or_text
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    AllSlotsReset,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
    deserialise_events,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk import Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from actions.session import ActionSessionStart, carried_over_slots, initial_slot_values
from components.rasa_layer.action_server import action_call

DOMAIN = Domain.load(Path(__file__).resolve().parents[2] / "domain.yml")


def conversation(*events: Event) -> DialogueStateTracker:
    start = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    said = [UserUttered("log a twitch in my left calf", {"name": "log_twitch", "confidence": 1.0})]
    return DialogueStateTracker.from_events("ana", [*start, *said, *events], DOMAIN.slots)


def ours(tracker: DialogueStateTracker) -> List[Event]:
    """Our action's answer to the request Rasa sends it (components/rasa_layer/action_server.py)."""
    request = action_call(RemoteAction("action_session_start", None), tracker, DOMAIN)
    sent = Tracker.from_dict(request["tracker"])
    answer = asyncio.run(ActionSessionStart().run(CollectingDispatcher(), sent, {}))
    return deserialise_events(answer)


def rasas(tracker: DialogueStateTracker) -> List[Event]:
    return asyncio.run(RasaSessionStart().run(None, None, tracker, DOMAIN))  # type: ignore[arg-type]


def new_session(tracker: DialogueStateTracker, events: List[Event]) -> dict[str, Any]:
    continued = DialogueStateTracker.from_events("ana", [*tracker.events, *events], DOMAIN.slots)
    return continued.current_slot_values()


SLOTS_SET = [
    SlotSet("pending_question", "consent"),
    SlotSet("checkin_location", "left calf"),
    SlotSet("findings", {"location": "left calf"}),
    SlotSet("pending_question", None),
    SlotSet("checkin_location", "right thigh"),
    SlotSet("consent_declined", True),
]


def test_rasa_runs_our_session_start_on_the_action_server() -> None:
    endpoint = EndpointConfig("http://localhost:5055/webhook")
    assert isinstance(action_for_name_or_text("action_session_start", DOMAIN, endpoint), RemoteAction)
    executor = ActionExecutor()
    executor.register_package("actions")
    assert "action_session_start" in executor.actions


def test_the_new_session_has_the_slots_rasas_default_gives_it() -> None:
    tracker = conversation(*SLOTS_SET)
    ours_, rasas_ = ours(tracker), rasas(tracker)
    assert new_session(tracker, ours_) == new_session(tracker, rasas_)
    started_and_listening = (SessionStarted(), ActionExecuted("action_listen"))
    assert (ours_[0], ours_[-1]) == (rasas_[0], rasas_[-1]) == started_and_listening


def test_each_slot_is_carried_over_once() -> None:
    events = ours(conversation(*SLOTS_SET))
    carried = [(event.key, event.value) for event in events if isinstance(event, SlotSet)]
    assert carried == [
        ("findings", {"location": "left calf"}),
        ("consent_declined", True),
        ("checkin_location", "right thigh"),
    ]
    assert len([e for e in rasas(conversation(*SLOTS_SET)) if isinstance(e, SlotSet)]) == len(SLOTS_SET)


def test_a_new_conversation_starts_with_no_slots() -> None:
    tracker = DialogueStateTracker.from_events("ana", [], DOMAIN.slots)
    assert ours(tracker) == rasas(tracker) == [SessionStarted(), ActionExecuted("action_listen")]


def test_a_value_reset_since_is_not_revived() -> None:
    tracker = conversation(SlotSet("checkin_location", "left calf"), AllSlotsReset())
    assert new_session(tracker, ours(tracker))["checkin_location"] is None
    # Rasa's default revives it.
    assert new_session(tracker, rasas(tracker))["checkin_location"] == "left calf"


def test_a_slot_at_its_declared_initial_value_is_not_carried_over() -> None:
    initial = initial_slot_values({"slots": {"mood": {"type": "text", "initial_value": "calm"}, "x": {}}})
    assert initial == {"mood": "calm", "x": None}
    assert carried_over_slots({"mood": "calm", "x": None}, initial) == []
    assert carried_over_slots({"mood": "worried", "x": None}, initial) == [
        {"event": "slot", "timestamp": None, "name": "mood", "value": "worried"}
    ]
