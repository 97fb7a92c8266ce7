"""What the person gets when part of the assistant is down, compared with what Rasa's own code does
(components/rasa_layer/outages.py; tests/test_faults.py does the same with the real servers stopped).

The action server here is our real actions, run in this process behind an endpoint that answers as the
action server does, or fails as a stopped one does.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, List

import aiohttp
import pytest
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk.executor import ActionExecutor

import components  # noqa: F401  (applies the changes, as loading our model does)
from bot.emergency import emergency_instruction
from components.rasa_layer import outages
from components.rasa_layer.guard import original
from components.rasa_layer.outages import (
    ACTION_SERVER_DOWN_REPLY,
    Turn,
    rasa_run_remote_action,
    run_remote_action,
)
from components.stores.tracker_store import ConversationStoreUnavailable

DOMAIN = Domain.load(Path(__file__).resolve().parents[3] / "domain.yml")
NLG = TemplatedNaturalLanguageGenerator(DOMAIN.responses)
_actions = ActionExecutor()
_actions.register_package("actions")


class ActionServer(EndpointConfig):
    """Answers as our action server would, or, `down`, fails as a stopped one does."""

    def __init__(self, down: bool = False) -> None:
        super().__init__("http://127.0.0.1:9/webhook")
        self.down = down

    async def request(self, *args: Any, **kwargs: Any) -> Any:
        if self.down:
            raise aiohttp.ClientConnectionError("connection refused")
        return await _actions.run(kwargs["json"])


def said(text: str, intent: str, entities: List[dict] | None = None) -> DialogueStateTracker:
    parse = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": entities or []}
    events = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    events += [UserUttered(text, parse["intent"], parse["entities"], parse)]
    return DialogueStateTracker.from_events("ana", events, DOMAIN.slots)


IN_DANGER = said(
    "I can't breathe",
    "emergency",
    [{"entity": "emergency_sign", "value": "breathing_difficulty", "start": 0, "end": 15}],
)
ASKING = said("how many coffees are too many?", "faq")
NEW = DialogueStateTracker.from_events("ana", [], DOMAIN.slots)


def run(runner: Any, action: str, tracker: DialogueStateTracker, server: ActionServer) -> List[Event]:
    async def in_a_turn() -> List[Event]:
        turn = outages._turn.set(Turn())  # as handle_message sets it for each message
        try:
            return await runner(RemoteAction(action, server), CollectingOutputChannel(), NLG, tracker, DOMAIN)
        finally:
            outages._turn.reset(turn)

    return asyncio.run(in_a_turn())


def texts(events: List[Event]) -> List[str]:
    return [event.text for event in events if isinstance(event, BotUttered)]


@pytest.mark.parametrize(
    ("action", "tracker"),
    [
        ("action_emergency", IN_DANGER),
        ("action_session_start", NEW),
        ("action_crisis", said("i want to die", "crisis")),
    ],
)
def test_with_the_action_server_up_an_action_gives_what_rasa_gives(action: str, tracker: Any) -> None:
    ours = run(run_remote_action, action, tracker, ActionServer())
    assert ours == run(rasa_run_remote_action, action, tracker, ActionServer()) and ours


def test_with_the_action_server_down_rasa_says_nothing_and_we_say_so() -> None:
    with pytest.raises(RasaException):
        run(rasa_run_remote_action, "action_answer_faq", ASKING, ActionServer(down=True))
    ours = run(run_remote_action, "action_answer_faq", ASKING, ActionServer(down=True))
    assert texts(ours) == [ACTION_SERVER_DOWN_REPLY]
    # Taken back, so that sending it again carries on; rejected, so a form's earlier turns stay.
    assert ours[0] == ActionExecutionRejected("action_answer_faq") and ours[-1] == UserUtteranceReverted()


@pytest.mark.parametrize("action", ["action_emergency", "action_answer_faq"])
def test_an_emergency_gets_the_same_words_with_the_action_server_down(action: str) -> None:
    up = run(rasa_run_remote_action, "action_emergency", IN_DANGER, ActionServer())
    down = run(run_remote_action, action, IN_DANGER, ActionServer(down=True))
    assert texts(down) == texts(up) == [emergency_instruction(["breathing_difficulty"])]
    assert down == up


def test_a_session_starts_the_same_with_the_action_server_down() -> None:
    tracker = said("log a twitch", "log_twitch")
    tracker.update(SlotSet("checkin_location", "left calf"))
    up = run(rasa_run_remote_action, "action_session_start", tracker, ActionServer())
    down = run(run_remote_action, "action_session_start", tracker, ActionServer(down=True))
    assert down == up and SlotSet("checkin_location", "left calf") in down
    assert not texts(down)


def test_a_session_start_does_not_use_up_the_turns_one_reply() -> None:
    """A new conversation's first message, with the server down, gets its reply after the session start."""

    async def first_message() -> List[Event]:
        turn = outages._turn.set(Turn())
        try:
            down, channel = ActionServer(down=True), CollectingOutputChannel()
            await run_remote_action(RemoteAction("action_session_start", down), channel, NLG, NEW, DOMAIN)
            answer = RemoteAction("action_answer_faq", down)
            return await run_remote_action(answer, channel, NLG, ASKING, DOMAIN)
        finally:
            outages._turn.reset(turn)

    assert texts(asyncio.run(first_message())) == [ACTION_SERVER_DOWN_REPLY]


def test_a_second_failure_in_the_same_turn_says_nothing_more() -> None:
    async def two_actions() -> List[List[Event]]:
        turn = outages._turn.set(Turn())
        try:
            down, channel = ActionServer(down=True), CollectingOutputChannel()
            return [
                await run_remote_action(RemoteAction(name, down), channel, NLG, ASKING, DOMAIN)
                for name in ("action_answer_faq", "action_list_topics")
            ]
        finally:
            outages._turn.reset(turn)

    first, second = asyncio.run(two_actions())
    assert texts(first) == [ACTION_SERVER_DOWN_REPLY] and second == []


def test_an_action_that_rejects_the_message_is_rejected_as_rasa_rejects_it() -> None:
    class Rejecting(ActionServer):
        async def request(self, *args: Any, **kwargs: Any) -> Any:
            raise ActionExecutionRejection("validate_check_in_form", "not an answer")

    for runner in (rasa_run_remote_action, run_remote_action):
        with pytest.raises(ActionExecutionRejection):
            run(runner, "validate_check_in_form", ASKING, Rejecting())


@pytest.mark.parametrize("handler", ["on_tracker_store_error", "on_tracker_store_retrieve_error"])
def test_the_tracker_store_reports_an_error_as_rasa_does_but_lets_an_outage_through(handler: str) -> None:
    reported: List[Exception] = []
    store = FailSafeTrackerStore(InMemoryTrackerStore(DOMAIN), on_tracker_store_error=reported.append)
    ordinary = RuntimeError("a bad query")
    getattr(store, handler)(ordinary)
    original(FailSafeTrackerStore, handler)(store, ordinary)
    assert reported == [ordinary, ordinary]

    outage = ConversationStoreUnavailable(writing=False)
    original(FailSafeTrackerStore, handler)(store, outage)  # Rasa's: reported, then carries on
    with pytest.raises(ConversationStoreUnavailable):
        getattr(store, handler)(outage)
