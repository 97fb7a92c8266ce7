"""The action server's answers are still checked against Rasa's schema, with the schema compiled once."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

import components  # noqa: F401  (applies the change, as loading our model does)
from components.action_results import validate_action_result

VALID = {
    "events": [
        {"event": "slot", "name": "requested_slot", "value": "location", "timestamp": None},
        {"event": "active_loop", "name": None, "timestamp": None},
    ],
    "responses": [{"text": "Where do you feel it?", "buttons": []}],
}
INVALID = [
    {"events": "not a list", "responses": []},
    {"events": [{"event": "slot", "name": 42}], "responses": []},
    {"events": [], "responses": ["not an object"]},
]


def test_rasa_uses_the_compiled_check() -> None:
    assert RemoteAction._validate_action_result is validate_action_result


def test_a_valid_answer_passes() -> None:
    assert validate_action_result(RemoteAction("action_x", None), VALID)


@pytest.mark.parametrize("answer", INVALID)
def test_an_invalid_answer_is_refused_as_rasa_refuses_it(answer: dict) -> None:
    schema = RemoteAction.action_response_format_spec()
    with pytest.raises(jsonschema.ValidationError) as rasa_error:
        jsonschema.validate(answer, schema)
    with pytest.raises(jsonschema.ValidationError) as ours:
        validate_action_result(RemoteAction("action_x", None), answer)
    assert ours.value.message.startswith(rasa_error.value.message)
    assert "Failed to validate Action server response" in ours.value.message
