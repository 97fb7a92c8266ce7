"""The action server's answers are checked as Rasa checks them, and its connection is kept between actions."""

from __future__ import annotations

import asyncio

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
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
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

import components  # noqa: F401  (applies the changes, as loading our model does)
from components.rasa_layer.action_server import (
    IDLE_CONNECTION_SECONDS,
    action_call,
    domain_for,
    is_valid_action_result,
    kept_session,
    validate_action_result,
)
from components.rasa_layer.guard import original

rasa_action_call = original(RemoteAction, "_action_call_format")

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


def test_rasa_uses_our_request_and_session() -> None:
    assert RemoteAction._action_call_format is action_call and EndpointConfig.session is kept_session
    assert rasa_action_call is not action_call


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


def a_check_in_conversation(turns: int) -> DialogueStateTracker:
    domain = Domain.load("domain.yml")
    events = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    for turn in range(turns):
        parse = {"intent": {"name": "inform", "confidence": 0.9}, "text": f"answer {turn}", "findings": {}}
        events += [
            UserUttered(f"answer {turn}", parse["intent"], [], parse),
            ActionExecuted("check_in_form"),
            SlotSet("checkin_location", f"calf {turn}"),
            ActiveLoop("check_in_form"),
            SlotSet("requested_slot", "checkin_duration"),
            BotUttered(f"question {turn}"),
            ActionExecuted("action_listen"),
        ]
    return DialogueStateTracker.from_events("someone", events, domain.slots)


def test_the_action_server_is_sent_what_rasa_sends_with_the_last_three_turns_of_events() -> None:
    tracker, domain = a_check_in_conversation(30), Domain.load("domain.yml")
    action = RemoteAction("validate_check_in_form", EndpointConfig("http://localhost:5055/webhook"))
    ours, theirs = action_call(action, tracker, domain), rasa_action_call(action, tracker, domain)
    assert {**ours, "tracker": None, "domain": None} == {**theirs, "tracker": None, "domain": None}
    assert {**ours["tracker"], "events": None} == {**theirs["tracker"], "events": None}
    sent = ours["tracker"]["events"]
    assert sent == theirs["tracker"]["events"][-len(sent) :]
    assert [e["text"] for e in sent if e["event"] == "user"] == ["answer 27", "answer 28", "answer 29"]


def test_a_short_conversation_is_sent_whole() -> None:
    tracker, domain = a_check_in_conversation(1), Domain.load("domain.yml")
    action = RemoteAction("action_answer_faq", EndpointConfig("http://localhost:5055/webhook"))
    assert action_call(action, tracker, domain) == rasa_action_call(action, tracker, domain)


def test_a_validation_action_is_sent_the_slots_and_forms_of_the_domain() -> None:
    tracker, domain = a_check_in_conversation(1), Domain.load("domain.yml")
    endpoint = EndpointConfig("http://localhost:5055/webhook", enable_selective_domain=True)
    sent = action_call(RemoteAction("validate_check_in_form", endpoint), tracker, domain)["domain"]
    whole = rasa_action_call(RemoteAction("validate_check_in_form", endpoint), tracker, domain)["domain"]
    assert sent == {"slots": whole["slots"], "forms": whole["forms"]}
    assert "domain" not in action_call(RemoteAction("action_answer_faq", endpoint), tracker, domain)


def test_the_domain_as_sent_is_built_once_per_domain_and_kept_beside_it() -> None:
    domain = Domain.load("domain.yml")
    first = domain_for("action_x", domain)
    assert domain_for("action_x", domain) is first
    assert first == domain.as_dict()
    assert not any(key.startswith("_sent") for key in vars(domain))  # nothing written into Rasa's object
    assert domain_for("action_x", Domain.load("domain.yml")) is not first


def test_the_kept_session_is_configured_as_rasas_own() -> None:
    endpoint = EndpointConfig(
        "http://127.0.0.1:9/webhook",
        headers={"Authorization": "Bearer a-token"},
        basic_auth={"username": "rasa", "password": "secret"},
    )

    async def both() -> tuple:
        rasas = original(EndpointConfig, "session")(endpoint)
        async with kept_session(endpoint) as ours:
            pass
        await rasas.close()
        return rasas, ours

    rasas, ours = asyncio.run(both())
    assert dict(ours.headers) == dict(rasas.headers) == {"Authorization": "Bearer a-token"}
    assert (ours.auth, ours.timeout) == (rasas.auth, rasas.timeout)
    assert ours.connector._keepalive_timeout == IDLE_CONNECTION_SECONDS  # Rasa's keeps none between actions
