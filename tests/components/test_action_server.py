"""The action server's answers are checked as Rasa checks them, and its connection is kept between actions."""

from __future__ import annotations

import asyncio

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    AllSlotsReset,
    BotUttered,
    FollowupAction,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.utils.endpoints import EndpointConfig

import components  # noqa: F401  (applies the changes, as loading our model does)
from components.action_server import is_valid_action_result, kept_session, validate_action_result

SCHEMA = RemoteAction.action_response_format_spec()
EVENTS = [
    SlotSet("requested_slot", "checkin_location"),
    ActiveLoop(None),
    ActiveLoop("check_in_form"),
    BotUttered("Where do you feel it?", {"buttons": [{"title": "Calf", "payload": "/inform"}]}),
    UserUttered("my calf", {"name": "inform", "confidence": 0.9}),
    ActionExecuted("action_listen"),
    FollowupAction("action_listen"),
    UserUtteranceReverted(),
    AllSlotsReset(),
    SessionStarted(),
]
VALID = [{"events": [e.as_dict() for e in EVENTS], "responses": [{"text": "Where do you feel it?"}]}, {}]
INVALID = [
    {"events": "not a list", "responses": []},
    {"events": [{"event": "slot", "name": 42}], "responses": []},
    {"events": [{"event": "slot", "name": "x"}], "responses": []},  # no value
    {"events": [{"event": "no_such_event"}], "responses": []},
    {"events": [{"name": "x"}], "responses": []},  # no event name
    {"events": [{"event": "bot", "timestamp": "yesterday"}], "responses": []},
    {"events": [], "responses": ["not an object"]},
    ["not an object"],
]


def rasa_accepts(answer: object) -> bool:
    return jsonschema.validators.validator_for(SCHEMA)(SCHEMA).is_valid(answer)


@pytest.mark.parametrize("answer", VALID + INVALID)
def test_the_fast_check_accepts_exactly_what_rasas_schema_accepts(answer: object) -> None:
    assert is_valid_action_result(answer) == rasa_accepts(answer)


def test_rasa_uses_our_check() -> None:
    assert RemoteAction._validate_action_result is validate_action_result
    assert validate_action_result(RemoteAction("action_x", None), VALID[0])


@pytest.mark.parametrize("answer", [a for a in INVALID if isinstance(a, dict)])
def test_an_invalid_answer_is_refused_with_rasas_error(answer: dict) -> None:
    with pytest.raises(jsonschema.ValidationError) as rasa_error:
        jsonschema.validate(answer, SCHEMA)
    with pytest.raises(jsonschema.ValidationError) as ours:
        validate_action_result(RemoteAction("action_x", None), answer)
    assert ours.value.message.startswith(rasa_error.value.message)
    assert "Failed to validate Action server response" in ours.value.message


def test_an_endpoint_keeps_one_open_session_per_event_loop() -> None:
    endpoint = EndpointConfig("http://127.0.0.1:9/webhook")

    async def two_actions() -> tuple:
        async with kept_session(endpoint) as first:
            pass
        async with endpoint.session() as second:
            pass
        return first, second

    first, second = asyncio.run(two_actions())
    assert first is second and not first.closed
    again, _ = asyncio.run(two_actions())  # another loop, another session
    assert again is not first
