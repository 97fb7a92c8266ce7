"""How topics become buttons: the payload asks for a topic directly, skipping classification."""

from __future__ import annotations

import json
from typing import Dict, Iterable, List

from bot.knowledge import Topic

FAQ_INTENT = "faq"
TOPIC_ENTITY = "topic"


def topic_payload(topic: Topic) -> str:
    return f"/{FAQ_INTENT}{json.dumps({TOPIC_ENTITY: topic.id})}"


def topic_buttons(topics: Iterable[Topic]) -> List[Dict[str, str]]:
    return [{"title": topic.title, "payload": topic_payload(topic)} for topic in topics]
