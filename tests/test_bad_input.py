"""Odd input over REST against the real stack (components/channels/rest.py, components/channels/reading.py):
every message gets a helpful reply, nothing answers 5xx, every message the channel accepts is in the tracker
store, and a request it cannot read gets a clear 4xx in JSON and stores nothing."""

from __future__ import annotations

import http.client
import itertools
import json
import urllib.parse
import uuid
from collections import defaultdict
from typing import Any, Iterator

import pytest
import sqlalchemy as sa
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.identity import DEFAULT_NAMESPACE, address_of, rest_id
from bot.knowledge import knowledge_base
from components.channels.reading import CONVERSATION_CONTROLS, MAX_READ_CHARS, ONLY_THE_BEGINNING, SORRY
from tests.conftest import ROOT, Assistant

pytestmark = pytest.mark.server

KB = knowledge_base()
NOT_SURE = "I'm not sure I understood. Did you mean one of these?"
EMERGENCY_NUMBERS = ("911", "999", "112", "000")
CHECK_IN_OPENING = "Let's go through it together."
QUESTION_AFTER_THE_URGENT_ONE = "Where do you feel the twitching?"
LONG_QUESTION = "my calf twitches " * 1250  # 21,250 characters

ODD_MESSAGES = {
    "empty": "",
    "whitespace": " \t\n  ",
    "very long": LONG_QUESTION,
    "emoji only": "😣💪⚡",
    "spanish": "me tiembla el párpado desde hace una semana",
    "chinese": "我的眼皮一直在跳",
    "arabic": "عضلة ساقي ترتعش",
    "html and script": '<script>alert("x")</script><img src=x onerror=alert(1)>',
    "sql-looking": "'; DROP TABLE events; --",
    "broken intent payload": "/inform{bad",
    "unknown intent payload": "/no_such_intent",
    "payload with wrong entity json": '/faq{"topic": ["not", "a", "string"]}',
    "unknown topic": '/faq{"topic": "no_such_topic"}',
    "control characters": "\x00\x07\x1b[31mred\x1b[0m",
    "right-to-left override": "\u202eevil",
}


class RestClient:
    """One keep-alive connection to the REST channel, as an integration would hold it."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.headers = headers or {}
        parts = urllib.parse.urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)

    def post(
        self, body: bytes, content_type: str = "application/json", query: str = ""
    ) -> tuple[int, str, str]:
        """Status, Content-Type and body of the answer."""
        for attempt in range(2):
            try:
                self.connection.request(
                    "POST",
                    "/webhooks/rest/webhook" + query,
                    body,
                    {**self.headers, "Content-Type": content_type},
                )
                response = self.connection.getresponse()
                return response.status, response.getheader("Content-Type", ""), response.read().decode()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # Sanic closes a connection left idle for 5 s (between tests); the request never arrived.
                self.connection.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def send(self, sender: str, message: str) -> list[dict[str, Any]]:
        status, _, answer = self.post(json.dumps({"sender": sender, "message": message}).encode())
        assert status == 200, (status, answer)
        return json.loads(answer)


@pytest.fixture(scope="module")
def rest(assistant: Assistant) -> Iterator[RestClient]:
    client = RestClient(assistant.url, assistant.headers)
    yield client
    client.connection.close()


def stored_user_texts(assistant: Assistant, sender_pattern: str) -> dict[str, list[str]]:
    """The user messages in the tracker store, per conversation whose sender matches (SQL LIKE)."""
    engine = sa.create_engine(f"sqlite:///{assistant.workdir / 'conversations.db'}", future=True)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "select sender_id, data from events where sender_id like :s and type_name = 'user' "
                    "order by id"
                ),
                {"s": rest_id(DEFAULT_NAMESPACE, sender_pattern)},
            )
            texts: dict[str, list[str]] = defaultdict(list)
            for row in rows:
                texts[address_of(row.sender_id)].append(json.loads(row.data).get("text"))
            return dict(texts)
    finally:
        engine.dispose()


def new_sender(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:12]}"


def assert_answered(replies: list[dict[str, Any]], what: str) -> str:
    text = Assistant.text(replies)
    assert text.strip(), f"no reply to {what!r}"
    assert SORRY not in text and "Traceback" not in text and "Exception" not in text, text
    return text


@pytest.mark.parametrize("kind", list(ODD_MESSAGES))
def test_odd_messages_get_a_helpful_reply_and_are_kept(
    assistant: Assistant, rest: RestClient, kind: str
) -> None:
    sender, message = new_sender("odd"), ODD_MESSAGES[kind]
    replies = rest.send(sender, message)
    assert_answered(replies, kind)
    assert Assistant.buttons(replies), "no way on: the reply offers nothing to tap"
    # Rasa strips a message before it stores it, so an empty or blank one is stored as "".
    assert stored_user_texts(assistant, sender) == {sender: [message.strip()]}


def test_a_broken_payload_is_read_as_words_not_half_obeyed(rest: RestClient) -> None:
    # Rasa alone would drop "{bad" and start the check-in for the "inform" it could parse.
    text = assert_answered(rest.send(new_sender("payload"), "/inform{bad"), "/inform{bad")
    assert NOT_SURE in text and CHECK_IN_OPENING not in text


def test_an_emergency_written_after_a_payload_is_still_escalated(rest: RestClient) -> None:
    # Rasa alone would take the payload's intent ("inform") over the emergency screen's.
    message = '/inform{"location": "calf"} and now I can\'t breathe'
    text = assert_answered(rest.send(new_sender("payload"), message), message)
    assert any(number in text for number in EMERGENCY_NUMBERS) and CHECK_IN_OPENING not in text


@pytest.mark.parametrize(
    "payload",
    ['/faq{"topic": 3}', '/faq{"topic": ["not", "a", "string"]}', '/faq{"topic": "no_such_topic"}'],
)
def test_a_topic_button_with_a_wrong_topic_offers_the_topics(rest: RestClient, payload: str) -> None:
    replies = rest.send(new_sender("payload"), payload)
    assert NOT_SURE in assert_answered(replies, payload)
    assert [b["title"] for b in Assistant.buttons(replies)] == [t.title for t in KB.menu_topics()]


def test_unknown_intent_payload_gets_the_closest_topics(rest: RestClient) -> None:
    replies = rest.send(new_sender("payload"), "/no_such_intent")
    assert NOT_SURE in assert_answered(replies, "/no_such_intent") and Assistant.buttons(replies)


def test_a_payload_for_an_intent_the_assistant_lacks_is_read_as_words(rest: RestClient) -> None:
    # "/start" is how Telegram opens a chat, and people type it elsewhere too: read as "start", a greeting.
    text = assert_answered(rest.send(new_sender("payload"), "/start"), "/start")
    assert "I'm TwitchCheck" in text and NOT_SURE not in text


@pytest.mark.parametrize("control", ["/restart", "/back", "/session_start"])
def test_rasas_conversation_controls_are_read_as_words_and_forget_nothing(
    rest: RestClient, control: str
) -> None:
    # Rasa would obey them without a word: "/restart" would silently forget the check-in begun here.
    sender = new_sender("control")
    assert CHECK_IN_OPENING in assert_answered(rest.send(sender, "check my symptoms"), "")
    assert_answered(rest.send(sender, control), control)
    assert QUESTION_AFTER_THE_URGENT_ONE in assert_answered(rest.send(sender, "none of these"), "")
    assert NOT_SURE in assert_answered(rest.send(new_sender("control"), control), control)


def test_a_message_with_no_word_the_assistant_knows_is_offered_the_menu(rest: RestClient) -> None:
    # The classifier ranks every topic alike; three of them would be arbitrary.
    replies = rest.send(new_sender("unknown"), "😣💪⚡")
    assert NOT_SURE in assert_answered(replies, "emoji")
    assert [b["title"] for b in Assistant.buttons(replies)] == [t.title for t in KB.menu_topics()]


def test_well_formed_payloads_work_as_before(rest: RestClient) -> None:
    button = '/faq{"topic": "caffeine"}'
    assert KB.topics["caffeine"].answer in assert_answered(rest.send(new_sender("payload"), button), button)
    assert CHECK_IN_OPENING in assert_answered(rest.send(new_sender("payload"), "/check_symptoms"), "")


def test_a_very_long_message_is_answered_from_its_beginning_and_kept_whole(
    assistant: Assistant, rest: RestClient
) -> None:
    sender = new_sender("long")
    message = "can coffee make my muscles twitch? " + "x" * 30_000
    replies = rest.send(sender, message)
    assert KB.topics["caffeine"].answer in assert_answered(replies, "a long message")
    assert replies[-1]["text"] == ONLY_THE_BEGINNING and f"{MAX_READ_CHARS:,}" in ONLY_THE_BEGINNING
    assert stored_user_texts(assistant, sender) == {sender: [message]}


def test_an_emergency_in_a_long_message_still_comes_first(rest: RestClient) -> None:
    replies = rest.send(new_sender("long"), "I can't breathe. " + LONG_QUESTION)
    assert any(number in replies[0]["text"] for number in EMERGENCY_NUMBERS)
    assert replies[-1]["text"] == ONLY_THE_BEGINNING


# Each body is sent with a sender of its own where it has one ({sender}), to check nothing was stored.
MALFORMED_REQUESTS = {
    "broken-json": (b"{not json", "application/json"),
    "json-list": (b'["a", "list"]', "application/json"),
    "json-string": (b'"hi"', "application/json"),
    "empty-body": (b"", "application/json"),
    "no-message": (b'{"sender": "{sender}"}', "application/json"),
    "null-message": (b'{"sender": "{sender}", "message": null}', "application/json"),
    "number-message": (b'{"sender": "{sender}", "message": 42}', "application/json"),
    "no-sender": (b'{"message": "hi"}', "application/json"),
    "empty-sender": (b'{"sender": "", "message": "hi"}', "application/json"),
    "list-sender": (b'{"sender": ["x"], "message": "hi"}', "application/json"),
    "sender-too-long": (b'{"sender": "' + b"x" * 256 + b'", "message": "hi"}', "application/json"),
    "string-metadata": (b'{"sender": "{sender}", "message": "hi", "metadata": "m"}', "application/json"),
    "form": (b"sender={sender}&message=hi", "application/x-www-form-urlencoded"),
    "text": (b"hi", "text/plain"),
    "bad-utf8": (b'{"sender": "{sender}", "message": "\xff\xfe"}', "application/json"),
}


@pytest.mark.parametrize("kind", list(MALFORMED_REQUESTS))
def test_malformed_requests_get_a_clear_400_and_store_nothing(
    assistant: Assistant, rest: RestClient, kind: str
) -> None:
    sender = new_sender("refused")
    body, content_type = MALFORMED_REQUESTS[kind]
    status, answer_type, answer = rest.post(body.replace(b"{sender}", sender.encode()), content_type)
    assert status == 400, (status, answer)
    assert answer_type == "application/json" and json.loads(answer)["error"], answer
    assert stored_user_texts(assistant, sender) == {}


def test_a_request_over_a_megabyte_is_refused_as_too_large(assistant: Assistant, rest: RestClient) -> None:
    sender = new_sender("refused")
    body = json.dumps({"sender": sender, "message": "x" * 1_000_000}).encode()
    status, answer_type, answer = rest.post(body)
    assert status == 413 and answer_type == "application/json" and "too large" in json.loads(answer)["error"]
    assert stored_user_texts(assistant, sender) == {}


@pytest.mark.parametrize("path", ["/webhooks/rest/webhook", "/socket.io/?EIO=4&transport=polling"])
def test_a_body_of_megabytes_is_refused_before_it_is_buffered(assistant: Assistant, path: str) -> None:
    # Sanic would buffer up to 100 MB before any channel's own check; every route now refuses at 1 MB.
    parts = urllib.parse.urlsplit(assistant.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.request("POST", path, b"x" * 5_000_000, {"Content-Type": "application/json"})
        assert connection.getresponse().status == 413
    except (ConnectionResetError, BrokenPipeError):
        pass  # refused while the body was still being sent: not buffered either
    finally:
        connection.close()


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "text/plain", "application/json; charset=utf-8"]
)
def test_a_json_body_is_read_whatever_its_content_type(rest: RestClient, content_type: str) -> None:
    # `curl -d '{"sender": ..., "message": ...}'`, as the README shows, sends JSON labelled as a form.
    body = json.dumps({"sender": new_sender("typed"), "message": "hello"}).encode()
    status, _, answer = rest.post(body, content_type)
    assert status == 200 and "TwitchCheck" in Assistant.text(json.loads(answer))


def test_streamed_replies_still_come_one_json_line_each(rest: RestClient) -> None:
    body = json.dumps({"sender": new_sender("stream"), "message": "check my symptoms"}).encode()
    status, _, answer = rest.post(body, query="?stream=true")
    replies = [json.loads(line) for line in answer.splitlines()]
    assert status == 200 and CHECK_IN_OPENING in replies[0]["text"] and Assistant.buttons(replies)


# Generated messages: any text up to 300 characters, and payload-like text built on the domain's intents and
# Rasa's own restart, back and session_start (read as words). Half of them arrive in the middle of a
# check-in, where the form reads them.
INTENTS = [
    *yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["intents"],
    *sorted(CONVERSATION_CONTROLS),
]
GENERATED = st.one_of(
    st.text(max_size=300),
    st.builds("/{}{}".format, st.sampled_from(INTENTS), st.text(max_size=30)),
)
OPENERS = st.sampled_from([None, "check my symptoms"])
GENERATED_COUNT = 1_000


def test_a_thousand_generated_messages_all_get_a_reply_and_are_kept(
    assistant: Assistant, rest: RestClient
) -> None:
    run = uuid.uuid4().hex[:8]
    counter = itertools.count()
    sent: dict[str, list[str]] = {}

    @settings(
        max_examples=GENERATED_COUNT,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(message=GENERATED, opener=OPENERS)
    def each_gets_a_reply(message: str, opener: str | None) -> None:
        sender = f"generated-{run}-{next(counter)}"
        if opener:
            assert_answered(rest.send(sender, opener), opener)
        assert_answered(rest.send(sender, message), message)
        sent[sender] = [text.strip() for text in (opener, message) if text is not None]

    each_gets_a_reply()
    assert len(sent) >= GENERATED_COUNT
    assert stored_user_texts(assistant, f"generated-{run}-%") == sent
