"""What a person reads of an action's messages, as Rasa sends them: a message naming a domain response
(`response="utter_..."`, of domain.yml or of the check-in's importer) gets that response's text and
buttons, with the values the action gave filled in by Rasa's own interpolation, then the action's own
buttons."""

from __future__ import annotations

import functools
from typing import Any, Dict, List

import yaml
from rasa.core.nlg.interpolator import interpolate

from bot.check_in import check_in
from components.importers.check_in import check_in_responses
from tests.conftest import ROOT

# What an action's message carries besides the values of a response's {names}.
MESSAGE_KEYS = {"text", "buttons", "elements", "custom", "template", "response", "image", "attachment"}


@functools.lru_cache(maxsize=1)
def responses() -> Dict[str, List[Dict[str, Any]]]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
    return {**domain, **check_in_responses(check_in())}


def rendered(message: Dict[str, Any]) -> Dict[str, Any]:
    """The message as Rasa sends it to the channel: text, buttons and any custom payload."""
    name = message.get("response")
    if not name:
        return message
    values = {key: value for key, value in message.items() if key not in MESSAGE_KEYS}
    [variant] = responses()[name]  # every response has one variant, so what it says is certain
    text = interpolate(variant.get("text") or "", values)
    buttons = interpolate(list(variant.get("buttons") or []), values) + list(message.get("buttons") or [])
    return {**message, "text": text, "buttons": buttons}


def said(messages: List[Dict[str, Any]]) -> str:
    """Every message's text, one after another, a line apart."""
    return "\n".join(rendered(message).get("text") or "" for message in messages)
