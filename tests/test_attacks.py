"""The attacks of issue 15, tried as an attacker would against the served configuration: a real Rasa and
action server, REST with tokens (two integrators), signed web sessions, and people of every channel already
in the database. Before the fix each attack here reached another person's diary, summary or replies.

Attacks that other files already try are listed in ATTACKS with the test that tries them, and
`test_every_attack_has_a_test` fails if one of those tests goes missing.
"""

from __future__ import annotations

import ast
import asyncio
import json
import secrets
import urllib.error
import urllib.request
import uuid
from typing import Any, Iterator, Optional

import pytest
import socketio
import sqlalchemy as sa

from bot.identity import DEFAULT_NAMESPACE, WebSessions, rest_id, slack_id, telegram_id, web_id
from bot.storage.migrations import migrate
from bot.storage.repository import connect
from components.channels.chat_socket import DEFAULT_ORIGINS
from tests.conftest import MODEL, ROOT, Assistant, Stack

pytestmark = pytest.mark.server

TOKEN, OTHER_INTEGRATOR_TOKEN = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
SESSION_SECRET = secrets.token_urlsafe(32)
TELEGRAM_CHAT, SLACK_TEAM, SLACK_USER = "555001", "T0001", "U0VICTIM"
WEB_KEY = "victimwebsessionkey0123456789ab"  # as it sits in the database: the key without its signature
REST_SENDER = "alice"
# What each victim has in their diary: a twitch nobody else logs, so any reply showing it is a leak.
VICTIM_TWITCH = {"location": "thumb", "side": "right", "lasted_minutes": 17}
LEAK_MARKS = ("thumb", "17 minutes")
QUIET_SECONDS = 3.0
TIMEOUT_SECONDS = 60.0

VICTIMS = {
    "telegram": telegram_id(TELEGRAM_CHAT),
    "slack": slack_id(SLACK_TEAM, SLACK_USER),
    "web": web_id(WEB_KEY),
    "rest": rest_id(DEFAULT_NAMESPACE, REST_SENDER),
}
# Every way a REST caller could name those people: their channel's own id, and our id for them.
NAMED_AS = [
    TELEGRAM_CHAT,
    VICTIMS["telegram"],
    SLACK_USER,
    VICTIMS["slack"],
    WEB_KEY,
    VICTIMS["web"],
    f"{SLACK_TEAM}:{SLACK_USER}",
    f"{DEFAULT_NAMESPACE}:{REST_SENDER}",
    VICTIMS["rest"],
]

# Issue 15's attacks, each with the tests that try it (file::test). Those in this file are below.
ATTACKS = {
    "REST without a token, or with a wrong one": [
        "tests/test_attacks.py::test_rest_without_a_valid_token_is_refused_and_nothing_is_stored",
        "tests/test_make_run.py::test_a_logged_twitch_is_still_listed_after_make_run_restarts",
    ],
    "a Telegram chat id or a Slack user id sent as a REST sender": [
        "tests/test_attacks.py::test_a_rest_caller_reaches_nobody_of_another_channel",
    ],
    "one integrator naming another integrator's sender": [
        "tests/test_attacks.py::test_an_integrator_reaches_nobody_of_another_integrator",
    ],
    "a second Socket.IO client asking for another client's session": [
        "tests/test_attacks.py::test_a_socket_that_asks_for_someone_elses_session_gets_a_new_one",
        "tests/test_attacks.py::test_a_message_naming_someone_elses_session_stays_in_the_senders_own",
    ],
    "a Telegram group sharing one diary, consent and delete": [
        "tests/test_telegram.py::test_a_group_gets_a_note_to_talk_in_private_and_no_health_reply",
    ],
    "a Slack mention getting health data posted in a channel": [
        "tests/test_slack.py::test_a_mention_in_a_channel_is_answered_by_direct_message_only",
    ],
    "the summary token stored in clear": [
        "tests/components/stores/test_tracker_store.py::test_a_summary_link_is_stored_without_its_token",
        "tests/bot/storage/test_repository.py::test_a_summary_link_keeps_no_usable_token_and_needs_consent",
        "tests/test_deploy.py::test_nginx_logs_no_summary_token",
        "tests/test_deploy.py::test_the_ingress_does_not_log_summary_downloads",
    ],
    "a pickled model that runs code when loaded": [
        "tests/bot/test_text_classifier.py::test_a_model_file_that_would_run_code_is_refused_and_runs_nothing",
    ],
    "one client's flood of long messages slowing everyone, and every new sender stored": [
        "tests/test_fair_use.py::test_a_flood_from_one_client_gets_429_with_retry_after_and_a_reason",
        "tests/test_fair_use.py::test_nothing_of_a_refused_flood_is_stored",
        "tests/test_fair_use.py::test_a_person_at_another_address_is_answered_during_the_flood",
        "tests/test_fair_use.py::test_a_client_cannot_escape_its_limit_by_writing_a_forwarded_address",
        "tests/test_fair_use.py::test_the_web_chat_asks_a_person_to_slow_down_and_still_meets_an_emergency",
    ],
    "a body of megabytes buffered before the size check": [
        "tests/test_bad_input.py::test_a_body_of_megabytes_is_refused_before_it_is_buffered",
        "tests/test_telegram.py::test_a_body_over_a_megabyte_is_refused_before_it_is_read",
    ],
    "the widget's transcript and session readable by any script, kept after delete, from Math.random": [
        "tests/test_widget.py::test_the_session_is_the_servers_and_lives_only_in_this_tab",
        "tests/test_widget.py::test_delete_my_data_also_clears_what_the_browser_kept",
        "tests/test_widget.py::test_the_widget_makes_no_ids_of_its_own",
    ],
    "any pod running the deletion or summary action for any sender": [
        "tests/test_action_server_auth.py::test_a_call_without_the_token_is_refused",
        "tests/test_endpoints.py::test_rasa_calls_the_action_server_with_the_shared_token",
    ],
    "consents kept for ever, no purge under make run or Compose": [
        "tests/bot/storage/test_repository.py::test_a_consent_falls_under_retention_once_nothing_of_the_person_is_kept",
        "tests/bot/storage/test_cli.py::test_the_purge_can_run_every_few_hours_until_stopped",
        "tests/test_deploy.py::test_migrations_run_once_and_the_purge_daily",
    ],
    "a deleted person's bytes left in the SQLite file": [
        "tests/bot/storage/test_repository.py::test_deleting_a_person_leaves_no_copy_in_the_sqlite_file",
    ],
    "a replayed signed Slack request handled again by another replica": [
        "tests/test_slack.py::test_a_delivery_handled_by_one_replica_is_skipped_by_another_when_redis_is_shared",
    ],
    "a Telegram callback without a message, an edit, a repeated update": [
        "tests/test_telegram.py::test_a_button_pressed_on_a_message_telegram_no_longer_has_is_acknowledged_not_a_500",
        "tests/test_telegram.py::test_an_edited_message_is_not_answered_twice_unless_it_now_describes_an_emergency",
        "tests/test_telegram.py::test_start_greets_and_a_repeated_update_is_answered_once",
    ],
}


def test_every_attack_has_a_test() -> None:
    missing = []
    for tests in ATTACKS.values():
        for test in tests:
            path, _, name = test.partition("::")
            tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
            if name not in {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}:
                missing.append(test)
    assert missing == []


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, str]]:
    """TwitchCheck as deploy/ serves it: REST only with a token (two integrators), web sessions signed,
    nothing open to loopback; its database already holds a person of each channel."""
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    workdir = tmp_path_factory.mktemp("attacks")
    database = f"sqlite:///{workdir / 'twitchcheck.db'}"
    migrate(database)
    with connect(database) as store:
        for person in VICTIMS.values():
            store.give_consent(person)
            store.log_twitch(person, **VICTIM_TWITCH)
    stack = Stack(
        workdir,
        database,
        {
            "TWITCHCHECK_REST_TOKEN": TOKEN,
            "TWITCHCHECK_REST_TOKENS": f"clinic-b={OTHER_INTEGRATOR_TOKEN}",
            "TWITCHCHECK_SESSION_SECRET": SESSION_SECRET,
            "TWITCHCHECK_REST_OPEN_ON_LOOPBACK": "",
        },
    )
    try:
        stack.start()
        yield stack, database
    finally:
        stack.stop()


def post(url: str, body: dict[str, Any], token: Optional[str]) -> tuple[int, dict[str, str], Any]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", json.dumps(body).encode(), headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"null")


def say(url: str, token: str, sender: str, text: str) -> str:
    status, _, replies = post(url, {"sender": sender, "message": text}, token)
    assert status == 200, (status, replies)
    return Assistant.text(replies)


def victims_rows(database: str) -> dict[str, tuple[int, bool]]:
    """Each victim's diary entries and whether their consent still stands."""
    with connect(database) as store:
        return {name: (len(store.diary(who)), store.has_consent(who)) for name, who in VICTIMS.items()}


def events_of(database: str, conversation: str) -> int:
    engine = sa.create_engine(database, future=True)
    try:
        with engine.connect() as connection:
            query = sa.text("select count(*) from events where sender_id = :p")
            return connection.execute(query, {"p": conversation}).scalar_one()
    finally:
        engine.dispose()


def assert_no_leak(reply: str, what: str) -> None:
    assert not any(mark in reply for mark in LEAK_MARKS), (what, reply)


def try_everything_as(url: str, token: str, sender: str) -> None:
    """Reads the diary and the summary, adds a false entry, and erases everything, as `sender`."""
    assert_no_leak(say(url, token, sender, "show my twitch log"), sender)
    assert_no_leak(say(url, token, sender, "summary for my doctor"), sender)
    say(url, token, sender, "log a twitch in my right thumb")
    say(url, token, sender, "yes")
    say(url, token, sender, "delete my data")
    say(url, token, sender, "yes")


@pytest.mark.parametrize("token", [None, "", "not-the-token", TOKEN[:-1], TOKEN + "x"], ids=repr)
def test_rest_without_a_valid_token_is_refused_and_nothing_is_stored(served, token: Optional[str]) -> None:
    stack, database = served
    sender = f"no-token-{uuid.uuid4().hex[:8]}"
    status, headers, body = post(stack.url, {"sender": sender, "message": "show my twitch log"}, token)
    assert status == 401 and headers.get("WWW-Authenticate", "").startswith("Bearer"), (status, body)
    assert "token" in body["error"]
    assert events_of(database, rest_id(DEFAULT_NAMESPACE, sender)) == 0


def test_a_rest_caller_reaches_nobody_of_another_channel(served) -> None:
    stack, database = served
    before = victims_rows(database)
    for named in NAMED_AS:
        try_everything_as(stack.url, TOKEN, named)
    assert victims_rows(database) == before
    # What the caller did went to conversations of its own namespace, never to a victim's.
    for victim in VICTIMS.values():
        assert events_of(database, victim) == 0, victim


def test_an_integrator_reaches_nobody_of_another_integrator(served) -> None:
    stack, database = served
    before = victims_rows(database)
    for named in [REST_SENDER, *NAMED_AS]:  # its own "alice" is a different person from the default one's
        try_everything_as(stack.url, OTHER_INTEGRATOR_TOKEN, named)
    assert victims_rows(database) == before
    # The default namespace's own alice still reaches her diary.
    assert "thumb" in say(stack.url, TOKEN, REST_SENDER, "show my twitch log")


class WebClient:
    """A Socket.IO client as the widget is one: asks for a session, sends messages, collects replies."""

    def __init__(self) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.replies: asyncio.Queue = asyncio.Queue()
        self.confirmed: asyncio.Queue = asyncio.Queue()
        self.client.on("bot_uttered", self.replies.put_nowait)
        self.client.on("session_confirm", self.confirmed.put_nowait)

    async def open(self, url: str, asked: Any = None) -> str:
        await self.client.connect(
            url, headers={"Origin": DEFAULT_ORIGINS.split()[0]}, transports=["polling"], wait_timeout=10
        )
        return await self.ask(asked)

    async def ask(self, asked: Any) -> str:
        await self.client.emit("session_request", {"session_id": asked})
        return await asyncio.wait_for(self.confirmed.get(), TIMEOUT_SECONDS)

    async def say(self, text: str, session_id: Any = None) -> str:
        await self.client.emit("user_uttered", {"message": text, "session_id": session_id})
        said = [await asyncio.wait_for(self.replies.get(), TIMEOUT_SECONDS)]
        return "\n".join(reply.get("text") or "" for reply in said + await self.heard())

    async def heard(self) -> list[dict[str, Any]]:
        """Whatever reaches this socket until it has been quiet for a while."""
        said = []
        while True:
            try:
                said.append(await asyncio.wait_for(self.replies.get(), QUIET_SECONDS))
            except asyncio.TimeoutError:
                return said


def test_a_socket_that_asks_for_someone_elses_session_gets_a_new_one(served) -> None:
    stack, _ = served

    async def attack() -> None:
        victim, attacker = WebClient(), WebClient()
        mine = await victim.open(stack.url)
        key = mine.split(".")[0]
        try:
            await attacker.open(stack.url)
            forged = [
                key,  # the key alone, as the database holds it
                web_id(key),
                f"{key}.{'0' * 64}",
                WebSessions(b"another server's secret!").issue(),
                uuid.uuid4().hex,  # as Rasa's own channel and the old widget made them
                WEB_KEY,
                web_id(WEB_KEY),
            ]
            for asked in forged:
                given = await attacker.ask(asked)
                assert given != mine and given != asked, asked
                assert_no_leak(await attacker.say("show my twitch log"), asked)
            await victim.say("how does caffeine affect twitching?")
            assert await attacker.heard() == [], "the victim's reply reached the attacker"
        finally:
            await victim.client.disconnect()
            await attacker.client.disconnect()

    asyncio.run(attack())


def test_a_message_naming_someone_elses_session_stays_in_the_senders_own(served) -> None:
    stack, database = served

    async def attack() -> None:
        victim, attacker = WebClient(), WebClient()
        mine = await victim.open(stack.url)
        try:
            await attacker.open(stack.url)
            reply = await attacker.say("log a twitch in my left calf", session_id=mine)
            assert reply.strip()  # answered, in the attacker's own conversation
            assert await victim.heard() == [], "the attacker's message was answered to the victim"
        finally:
            await victim.client.disconnect()
            await attacker.client.disconnect()
        # The victim has said nothing: their conversation holds nothing of the attacker's.
        assert events_of(database, web_id(mine.split(".")[0])) == 0

    asyncio.run(attack())


def test_the_same_session_comes_back_after_a_reconnect(served) -> None:
    stack, _ = served

    async def rejoin() -> None:
        first = WebClient()
        mine = await first.open(stack.url)
        await first.say("how does caffeine affect twitching?")
        await first.client.disconnect()
        again = WebClient()
        try:
            assert await again.open(stack.url, mine) == mine
        finally:
            await again.client.disconnect()

    asyncio.run(rejoin())

