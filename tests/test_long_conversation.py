"""A long conversation over REST is split into sessions only where nothing is lost
(components/rasa_layer/sessions.py).

The person goes on well past a session's limit: a bare "about 2 hours" right after logging a twitch is
still how long that twitch lasted, a check-in that crosses the limit runs to its assessment in one session,
the diary keeps everything, and every message is stored in order.
"""

from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa

from bot.identity import DEFAULT_NAMESPACE, rest_id
from bot.knowledge import knowledge_base
from components.rasa_layer.sessions import SESSION_EVENT_LIMIT
from tests.conftest import CHECK_IN_ANSWERS, Assistant

pytestmark = pytest.mark.server


class Conversation:
    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.person = f"long-{uuid.uuid4().hex[:8]}"
        self.sent: list[str] = []
        self.questions = iter([topic.examples[0] for topic in knowledge_base().topics.values()] * 3)
        self.engine = sa.create_engine(f"sqlite:///{assistant.workdir / 'conversations.db'}", future=True)

    def say(self, text: str) -> str:
        self.sent.append(text)
        return Assistant.text(self.assistant.send(self.person, text))

    def events(self) -> list[tuple[str, str]]:
        with self.engine.connect() as connection:
            query = sa.text("select type_name, data from events where sender_id = :p order by id")
            rows = connection.execute(query, {"p": rest_id(DEFAULT_NAMESPACE, self.person)})
            return [(row.type_name, row.data) for row in rows]

    def sessions(self) -> int:
        return sum(1 for type_name, _ in self.events() if type_name == "session_started")

    def session_length(self) -> int:
        """Events from the latest SessionStarted on: what Rasa reads back on the next message."""
        types = [type_name for type_name, _ in self.events()]
        return len(types) - max(i for i, t in enumerate(types) if t == "session_started")

    def fill_session(self, within: int) -> None:
        """FAQ questions until the session is at most `within` events short of its limit, not past it.

        A question that takes the session past its limit gets a new session at the next message, and the
        filling starts over; a question adds 5 events, so a window of 5 or more is always hit.
        """
        while not SESSION_EVENT_LIMIT - within < self.session_length() <= SESSION_EVENT_LIMIT:
            assert self.say(next(self.questions)).strip()


def test_a_long_conversation_keeps_its_context_its_check_in_and_every_message(assistant: Assistant) -> None:
    chat = Conversation(assistant)
    assert "May I keep it?" in chat.say("log a twitch in my left calf")
    assert "Logged in your twitch diary" in chat.say("yes")

    # Logging a twitch pushes the session past its limit; the next bare answer still belongs to it.
    chat.fill_session(within=5)
    assert "right thigh" in chat.say("log a twitch in my right thigh")
    assert chat.session_length() > SESSION_EVENT_LIMIT
    sessions = chat.sessions()
    # Read as an answer (intent inform), it is a duration only because a twitch was just logged.
    assert "lasted about 2 hours" in chat.say("about 2 hours")
    assert chat.sessions() == sessions, "no new session between a logged twitch and how long it lasted"
    assert chat.say("is twitching a sign of ALS?").strip()
    assert chat.sessions() == sessions + 1, "the next quiet moment starts a new session"

    # A check-in that crosses the limit stays in one session and ends with its assessment.
    chat.fill_session(within=20)
    sessions = chat.sessions()
    reply = chat.say("check my symptoms")
    for answer in CHECK_IN_ANSWERS:
        reply = chat.say(answer)
    assert reply.startswith("See a doctor in the next few days. Make an appointment with your doctor"), reply
    assert chat.session_length() > SESSION_EVENT_LIMIT
    assert chat.sessions() == sessions

    diary = chat.say("show my twitch log")
    assert "2 twitches" in diary and "right thigh, lasted about 2 hours" in diary
    stored = [json.loads(data)["text"] for type_name, data in chat.events() if type_name == "user"]
    assert stored == chat.sent
    assert chat.sessions() >= 3
