"""Fair use under load (components/channels/fair_use.py) on a real Rasa and action server with tight limits: a
flood from one client gets 429 with Retry-After over REST and nothing of it is stored, while a person at
another address is answered as usual; the web chat asks a person to slow down instead of answering; a
client cannot escape its limit by writing a forwarded address; and an emergency or a person in crisis over
the limit is still answered, with the emergency instruction first or the crisis lines.

Each test connects from a loopback address of its own (127.0.0.2, 127.0.0.3, ...: every 127.x address is this
machine), so that each is a client of its own, as people at different addresses are.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import secrets
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest
import sqlalchemy as sa

from bot.identity import DEFAULT_NAMESPACE, address_of, rest_id
from bot.knowledge import knowledge_base
from bot.rate_limit import CLIENT_BURST, CLIENT_PER_MINUTE, SENDER_BURST, SENDER_PER_MINUTE
from components.channels.fair_use import slow_down
from tests.conftest import MODEL, Assistant, Stack
from tests.test_chat_socket import text_of, widget_says
from tests.test_safety_suite import CRISIS, EMERGENCY_FIRST, IN_CRISIS, SOMEONE_ELSES_EMERGENCY, problems

pytestmark = pytest.mark.server

SENDER_MESSAGES = 3
CLIENT_MESSAGES = 5
# Bursts this small and almost no refill: what is refused stays refused for the whole module.
# As served: REST with a token, the default namespace's.
TOKEN = secrets.token_urlsafe(32)
TIGHT_LIMITS = {
    "TWITCHCHECK_REST_TOKEN": TOKEN,
    SENDER_BURST: str(SENDER_MESSAGES),
    SENDER_PER_MINUTE: "0.1",
    CLIENT_BURST: str(CLIENT_MESSAGES),
    CLIENT_PER_MINUTE: "0.1",
}
CAFFEINE = knowledge_base().topics["caffeine"].answer
FLOOD_REQUESTS = 16


@dataclass(frozen=True)
class Answer:
    status: int
    retry_after: Optional[str]
    body: Any

    @property
    def text(self) -> str:
        return Assistant.text(self.body) if isinstance(self.body, list) else ""


def post(url: str, source: str, sender: str, message: str, headers: Optional[dict] = None) -> Answer:
    """One REST message from the loopback address `source`."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(
        parts.hostname, parts.port, timeout=120, source_address=(source, 0)
    )
    try:
        body = json.dumps({"sender": sender, "message": message}).encode()
        connection.request(
            "POST",
            "/webhooks/rest/webhook",
            body,
            {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}", **(headers or {})},
        )
        response = connection.getresponse()
        return Answer(response.status, response.getheader("Retry-After"), json.loads(response.read()))
    finally:
        connection.close()


@dataclass
class Limited:
    url: str
    database: Path

    def stored_senders(self, prefix: str) -> set[str]:
        return {sender for sender, _ in self.stored_messages(prefix)}

    def stored_messages(self, prefix: str) -> list[tuple[str, str]]:
        """(sender, text) of every stored user message whose sender starts with `prefix`, in order."""
        engine = sa.create_engine(f"sqlite:///{self.database}", future=True)
        try:
            with engine.connect() as connection:
                rows = connection.execute(
                    sa.text(
                        "select sender_id, data from events where type_name = 'user' and sender_id like :p "
                        "order by id"
                    ),
                    {"p": rest_id(DEFAULT_NAMESPACE, prefix) + "%"},
                ).all()
        finally:
            engine.dispose()
        return [(address_of(row.sender_id), json.loads(row.data).get("text")) for row in rows]

    def stored_anywhere(self, marker: str) -> bool:
        engine = sa.create_engine(f"sqlite:///{self.database}", future=True)
        try:
            with engine.connect() as connection:
                query = sa.text("select count(*) from events where data like :m")
                return bool(connection.execute(query, {"m": f"%{marker}%"}).scalar())
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Limited]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (make test does it for you)")
    workdir = tmp_path_factory.mktemp("fair-use")
    database = workdir / "conversations.db"
    stack = Stack(workdir, f"sqlite:///{database}", env=TIGHT_LIMITS)
    try:
        yield Limited(stack.start().url, database)
    finally:
        stack.stop()


@dataclass
class Flood:
    run: str
    answers: list[Answer]
    person: Answer


@pytest.fixture(scope="module")
def flood(limited: Limited) -> Flood:
    """16 long messages at once from one client (127.0.0.2), each from a new sender, while a person at another
    address (127.0.0.3) asks a question."""
    run = uuid.uuid4().hex[:8]
    long_message = ("my calf twitches at night and I keep wondering why it happens " * 20)[:1_000]
    with ThreadPoolExecutor(FLOOD_REQUESTS + 1) as pool:
        sent = [
            pool.submit(post, limited.url, "127.0.0.2", f"flood-{run}-{n}", f"{n} {long_message}")
            for n in range(FLOOD_REQUESTS)
        ]
        question = "can coffee make my muscles twitch?"
        person = pool.submit(post, limited.url, "127.0.0.3", f"person-{run}", question)
        return Flood(run, [future.result() for future in sent], person.result())


def test_a_flood_from_one_client_gets_429_with_retry_after_and_a_reason(flood: Flood) -> None:
    answered = [answer for answer in flood.answers if answer.status == 200]
    refused = [answer for answer in flood.answers if answer.status == 429]
    # A long message takes a whole bucket: the client's first is answered, the others are refused.
    assert len(answered) == 1 and len(refused) == FLOOD_REQUESTS - 1, [a.status for a in flood.answers]
    assert answered[0].text
    for answer in refused:
        assert answer.retry_after is not None and int(answer.retry_after) >= 1
        assert answer.body == {"error": slow_down(), "retry_after": int(answer.retry_after)}


def test_nothing_of_a_refused_flood_is_stored(flood: Flood, limited: Limited) -> None:
    assert len(limited.stored_senders(f"flood-{flood.run}-")) == 1


def test_a_person_at_another_address_is_answered_during_the_flood(flood: Flood) -> None:
    assert flood.person.status == 200 and CAFFEINE in flood.person.text


def test_a_client_cannot_escape_its_limit_by_writing_a_forwarded_address(limited: Limited) -> None:
    run = uuid.uuid4().hex[:8]
    statuses = [
        post(
            limited.url, "127.0.0.4", f"spoof-{run}-{n}", "hello", {"X-Forwarded-For": f"198.51.100.{n}"}
        ).status
        for n in range(CLIENT_MESSAGES + 3)
    ]
    assert statuses == [200] * CLIENT_MESSAGES + [429] * 3


def test_one_person_over_their_limit_does_not_hold_up_another_at_the_same_address(limited: Limited) -> None:
    run = uuid.uuid4().hex[:8]
    mine = [post(limited.url, "127.0.0.5", f"busy-{run}", "hello").status for _ in range(SENDER_MESSAGES + 1)]
    assert mine == [200] * SENDER_MESSAGES + [429]
    other = post(limited.url, "127.0.0.5", f"other-{run}", "can coffee make my muscles twitch?")
    assert other.status == 200 and CAFFEINE in other.text


def test_an_emergency_and_a_crisis_over_the_limit_are_still_answered(limited: Limited) -> None:
    run = uuid.uuid4().hex[:8]
    sender = f"urgent-{run}"
    for _ in range(SENDER_MESSAGES):
        assert post(limited.url, "127.0.0.6", sender, "hello").status == 200
    assert post(limited.url, "127.0.0.6", sender, f"hello again {run}").status == 429
    emergency = post(limited.url, "127.0.0.6", sender, SOMEONE_ELSES_EMERGENCY)
    assert emergency.status == 200
    first = emergency.body[0].get("text") or ""
    assert not problems(EMERGENCY_FIRST, first), (problems(EMERGENCY_FIRST, first), emergency.body)
    crisis = post(limited.url, "127.0.0.6", sender, IN_CRISIS)
    assert crisis.status == 200 and not problems(CRISIS, crisis.text), (problems(CRISIS, crisis.text), crisis)
    # The refused message was not taken in; the urgent ones were.
    texts = [text for _, text in limited.stored_messages(sender)]
    assert texts == ["hello"] * SENDER_MESSAGES + [SOMEONE_ELSES_EMERGENCY, IN_CRISIS]


def test_the_web_chat_asks_a_person_to_slow_down_and_still_meets_an_emergency(limited: Limited) -> None:
    marker = uuid.uuid4().hex
    ordinary = ["hi", "what is a twitch?", "thanks"][:SENDER_MESSAGES]
    replies = asyncio.run(
        widget_says(
            limited.url,
            *ordinary,
            f"can coffee make my muscles twitch? {marker}",
            SOMEONE_ELSES_EMERGENCY,
            source="127.0.0.7",
        )
    )
    assert all(text_of(said) and slow_down() not in text_of(said) for said in replies[:SENDER_MESSAGES])
    assert [reply.get("text") for reply in replies[SENDER_MESSAGES]] == [slow_down()]
    assert not limited.stored_anywhere(marker)
    first = replies[SENDER_MESSAGES + 1][0].get("text") or ""
    assert not problems(EMERGENCY_FIRST, first), (problems(EMERGENCY_FIRST, first), replies[-1])
    # A new session from the same address draws on the same client allowance: one message is left of it
    # (three answered, the emergency taken too), so its second is refused though the session has sent one.
    answered, refused = asyncio.run(widget_says(limited.url, "hello", "thanks", source="127.0.0.7"))
    assert slow_down() not in text_of(answered) and [reply.get("text") for reply in refused] == [slow_down()]
