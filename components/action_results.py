"""Rasa checks every answer of the action server against a JSON schema; this makes that check cheap.

Rasa 3.6 calls `jsonschema.validate(result, schema)` for each custom action it runs. That function first
checks the schema itself against the JSON Schema meta-schema and builds a new validator, every time. Under
load it was half of Rasa's CPU time (py-spy on `make bench`, 10 users). Here the schema is checked once, the
validator is built once, and each answer is still validated against the same schema, with the same error
(and Rasa's advice appended) when it does not fit.

Applied on import; `components/__init__.py` imports it, so every Rasa process that loads our model has it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict

import jsonschema
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@lru_cache(maxsize=1)
def action_result_validator() -> jsonschema.protocols.Validator:
    schema = RemoteAction.action_response_format_spec()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
    error = jsonschema.exceptions.best_match(action_result_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the Action "
        f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]

__all__ = ["ValidationError", "action_result_validator", "validate_action_result"]
