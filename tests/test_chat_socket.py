"""The web widget's Socket.IO channel (components/channels/chat_socket.py) with a socket client of its own, as
web/chat.js talks to it, against the shared real stack: odd messages are read as every channel reads them
(components/channels/reading.py), and a message the channel cannot read gets a clear reply instead of silence.
The widget itself, in a browser, is tests/test_widget.py."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Optional, Union

import aiohttp
import pytest
import socketio

from components.channels.chat_socket import DEFAULT_ORIGINS, UNREADABLE
from components.channels.reading import ONLY_THE_BEGINNING
from tests.conftest import Assistant
from tests.test_bad_input import CHECK_IN_OPENING, NOT_SURE
from tests.test_safety_suite import CRISIS, EMERGENCY_FIRST, IN_CRISIS, SOMEONE_ELSES_EMERGENCY, problems

pytestmark = pytest.mark.server


@dataclass(frozen=True)
class Raw:
    """The user_uttered event's data exactly as given; `Raw(NOTHING)` is the event with no data at all."""

    data: Any


NOTHING = object()
QUIET_SECONDS = 2.0  # a reply is complete once nothing more has come for this long
TIMEOUT_SECONDS = 60.0


async def widget_says(
    url: str, *messages: Union[str, Raw], source: Optional[str] = None
) -> list[list[dict[str, Any]]]:
    """Opens a session as the widget does, sends each message in turn (text as the widget sends it) and
    returns the replies to each. `source` is the loopback address to connect from (127.0.0.2, ...), for a
    client of its own."""
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(source, 0))) if source else None
    client = socketio.AsyncClient(reconnection=False, **({"http_session": http} if http else {}))
    replies: asyncio.Queue = asyncio.Queue()
    confirmed: asyncio.Future = asyncio.get_running_loop().create_future()
    client.on("bot_uttered", replies.put_nowait)
    client.on("session_confirm", lambda sid: confirmed.done() or confirmed.set_result(sid))
    # Long polling: this aiohttp is older than the WebSocket client of python-engineio expects.
    await client.connect(
        url, headers={"Origin": DEFAULT_ORIGINS.split()[0]}, transports=["polling"], wait_timeout=10
    )
    try:
        await client.emit("session_request", {"session_id": None})
        session_id = await asyncio.wait_for(confirmed, TIMEOUT_SECONDS)  # issued by the server
        answers = []
        for message in messages:
            if isinstance(message, str):
                await client.emit("user_uttered", {"message": message, "session_id": session_id})
            elif message.data is NOTHING:
                await client.emit("user_uttered")
            else:
                await client.emit("user_uttered", (message.data,))  # a tuple: sent as it is, even None
            said = [await asyncio.wait_for(replies.get(), TIMEOUT_SECONDS)]
            while True:
                try:
                    said.append(await asyncio.wait_for(replies.get(), QUIET_SECONDS))
                except asyncio.TimeoutError:
                    break
            answers.append(said)
        return answers
    finally:
        await client.disconnect()
        if http is not None:
            await http.close()


def text_of(replies: list[dict[str, Any]]) -> str:
    return "\n".join(reply.get("text") or "" for reply in replies)


def test_an_emergency_after_a_payload_gets_the_emergency_instruction_first(assistant: Assistant) -> None:
    [replies] = asyncio.run(widget_says(assistant.url, '/inform{"a": 1} I can\'t breathe'))
    assert "call your emergency number" in replies[0]["text"] and CHECK_IN_OPENING not in text_of(replies)


def test_a_broken_payload_gets_topics_not_the_check_in(assistant: Assistant) -> None:
    [replies] = asyncio.run(widget_says(assistant.url, "/inform{bad"))
    said = text_of(replies)
    assert NOT_SURE in said and CHECK_IN_OPENING not in said
    assert [button for reply in replies for button in reply.get("quick_replies") or []]


def test_a_long_message_is_answered_and_the_reply_ends_saying_only_the_beginning_was_read(
    assistant: Assistant,
) -> None:
    message = ("my calf twitches " * 400)[:6_000]
    [replies] = asyncio.run(widget_says(assistant.url, message))
    assert len(replies) > 1 and replies[-1]["text"] == ONLY_THE_BEGINNING


@pytest.mark.parametrize(
    "data",
    [NOTHING, None, "just a string", {"session_id": "s", "message": 42}],
    ids=["no-data", "null", "a-string", "number-message"],
)
def test_a_message_the_channel_cannot_read_gets_a_clear_reply(assistant: Assistant, data: Any) -> None:
    [replies] = asyncio.run(widget_says(assistant.url, Raw(data)))
    assert [reply["text"] for reply in replies] == [UNREADABLE]


def test_a_message_that_names_no_session_is_answered_in_the_session_its_socket_holds(
    assistant: Assistant,
) -> None:
    [replies] = asyncio.run(widget_says(assistant.url, Raw({"message": "hello"})))
    assert text_of(replies).strip() and UNREADABLE not in text_of(replies)




def test_a_person_in_crisis_in_the_web_chat_gets_the_crisis_lines(assistant: Assistant) -> None:
    [replies] = asyncio.run(widget_says(assistant.url, IN_CRISIS))
    said = text_of(replies)
    assert not problems(CRISIS, said), (problems(CRISIS, said), replies)


def test_an_emergency_not_about_twitching_in_the_web_chat_first_says_to_call_the_emergency_number(
    assistant: Assistant,
) -> None:
    [replies] = asyncio.run(widget_says(assistant.url, SOMEONE_ELSES_EMERGENCY))
    first = replies[0].get("text") or ""
    assert not problems(EMERGENCY_FIRST, first), (problems(EMERGENCY_FIRST, first), replies)
