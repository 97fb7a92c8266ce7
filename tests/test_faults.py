"""Faults, with the real parts: the action server down, the database restarted or down, Rasa killed.

Whatever breaks, the person gets a clear reply (never silence, never a stack trace), an emergency still gets
the instruction to call emergency services, and once the part is back the conversation carries on where it
was. The database faults run on a PostgreSQL cluster of their own (initdb in a temporary folder, on a free
port), so stopping it disturbs no other test; where that cannot be done they are skipped with the reason,
unless TWITCHCHECK_REQUIRE_POSTGRES is set (CI sets it), in which case they fail.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.check_in import check_in
from bot.emergency import emergency_instruction
from bot.identity import DEFAULT_NAMESPACE, rest_id
from bot.triage import red_flag_rules
from bot.wording import wording
from components.rasa_layer import outages
from components.rasa_layer.outages import (
    ACTION_SERVER_DOWN_REPLY,
    LAST_RESORT_EMERGENCY_INSTRUCTION,
    NOT_TAKEN_IN_REPLY,
    emergency_here,
)
from components.stores import tracker_store
from components.stores.tracker_store import ConversationStore, ConversationStoreUnavailable
from tests.conftest import CHECK_IN_ANSWERS, MODEL, ROOT, Assistant, Stack, free_port

pytestmark = pytest.mark.server

POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")
QUESTIONS = {q.id: q.text for q in check_in().questions}
BREATHING = emergency_instruction(["breathing_difficulty"])
CRISIS_LINES = ("988", "116 123", "13 11 14", "findahelpline.com")
IN_CRISIS = "i dont want to be alive anymore"
# After "none of these" and "my left calf", the answers that finish the check-in (as test_rest_check_in.py).
REST_OF_THE_CHECK_IN = CHECK_IN_ANSWERS[2:]


def new_person(kind: str) -> str:
    return f"faults-{kind}-{uuid.uuid4().hex[:8]}"


def text(replies: list[dict[str, Any]]) -> str:
    said = Assistant.text(replies)
    assert "Traceback" not in said and "Exception" not in said
    return said


def asked(replies: list[dict[str, Any]]) -> str | None:
    """Which check-in question the replies end with, if any."""
    said = text(replies)
    return next((qid for qid, question in QUESTIONS.items() if said.endswith(question)), None)


def finish_check_in(assistant: Assistant, person: str) -> dict[str, Any]:
    """Answers the rest of the check-in; returns the assessment the last answer got."""
    for answer in REST_OF_THE_CHECK_IN:
        replies = assistant.send(person, answer)
        found = [r["custom"] for r in replies if r.get("custom", {}).get("type") == "assessment"]
        if found:
            return found[0]
    raise AssertionError(f"no assessment; last replies: {text(replies)}")


def stored_user_messages(url: str, person: str) -> list[str]:
    """The user messages stored in the conversation `person` (a conversation id; REST senders: `of_rest`)."""
    engine = sa.create_engine(url, future=True)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("select data from events where sender_id = :p and type_name = 'user' order by id"),
                {"p": person},
            )
            return [json.loads(row.data)["text"] for row in rows]
    finally:
        engine.dispose()


def of_rest(sender: str) -> str:
    """The conversation of a sender of the test stack's REST client."""
    return rest_id(DEFAULT_NAMESPACE, sender)


def diary_entries(url: str, person: str) -> int:
    engine = sa.create_engine(url, future=True)
    try:
        with engine.connect() as connection:
            return connection.execute(
                sa.text("select count(*) from diary_entries where person = :p"), {"p": person}
            ).scalar_one()
    finally:
        engine.dispose()


class PrivatePostgres:
    """A PostgreSQL cluster of our own in a temporary folder, to stop and restart at will."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        command = [str(POSTGRES_BIN / program), *args]
        if os.geteuid() == 0:  # initdb refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def _pg_ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.directory / "data"), "-w", *args)

    def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        self._run("initdb", "-D", str(self.directory / "data"), "-U", "postgres", "-A", "trust")
        self.start()

    def start(self) -> None:
        self._pg_ctl(
            "start",
            "-l",
            str(self.directory / "postgres.log"),
            "-o",
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1",
        )

    def stop(self) -> None:
        self._pg_ctl("stop", "-m", "fast")

    def restart(self) -> None:
        # Not `pg_ctl restart`: it would log to our pipe, and the pipe would stay open as long as the server.
        self.stop()
        self.start()


@pytest.fixture(scope="module")
def postgres() -> Iterator[PrivatePostgres]:
    directory = Path(tempfile.mkdtemp(prefix="twitchcheck-faults-pg-"))
    cluster = PrivatePostgres(directory)
    try:
        try:
            cluster.create()
        except (OSError, subprocess.SubprocessError, LookupError) as error:
            reason = f"cannot run a private PostgreSQL cluster from {POSTGRES_BIN} ({error})"
            if os.environ.get("TWITCHCHECK_REQUIRE_POSTGRES"):
                pytest.fail(reason + " and TWITCHCHECK_REQUIRE_POSTGRES is set")
            pytest.skip(reason)
        yield cluster
    finally:
        try:
            cluster.stop()
        except (OSError, subprocess.SubprocessError):
            pass  # not running
        shutil.rmtree(directory, ignore_errors=True)


def running_stack(workdir: Path, database_url: str) -> Iterator[tuple[Stack, Assistant]]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    stack = Stack(workdir, database_url)
    try:
        yield stack, stack.start()
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def sqlite_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, Assistant]]:
    workdir = tmp_path_factory.mktemp("faults-sqlite")
    yield from running_stack(workdir, f"sqlite:///{workdir / 'conversations.db'}")


@pytest.fixture(scope="module")
def postgres_stack(
    postgres: PrivatePostgres, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Stack, Assistant]]:
    yield from running_stack(tmp_path_factory.mktemp("faults-postgres"), postgres.url)


def database_url(stack: Stack) -> str:
    return stack.env["DATABASE_URL"]


def summary_link(assistant: Assistant, person: str) -> str:
    """A person with one diary entry asks for the doctor's summary; its private link."""
    assistant.send(person, "log a twitch in my left calf")
    assistant.send(person, "yes")
    summary = text(assistant.send(person, "summary for my doctor"))
    found = re.search(r"http://\S+/webhooks/summary/\S+", summary)
    assert found, "no summary link"
    return found[0]


def fetch(url: str) -> tuple[int, Any, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode(errors="replace")


def start_check_in(assistant: Assistant, person: str) -> None:
    assistant.send(person, "check my symptoms")
    assert asked(assistant.send(person, "none of these")) == "location"


def test_with_the_action_server_down_people_are_told_and_carry_on_once_it_is_back(
    sqlite_stack: tuple[Stack, Assistant],
) -> None:
    stack, assistant = sqlite_stack
    mid_check_in, in_danger, danger_at_once, asking, in_crisis, crisis_at_once = (
        new_person(kind) for kind in ("answer", "danger", "danger-at-once", "faq", "crisis", "crisis-at-once")
    )
    start_check_in(assistant, mid_check_in)
    start_check_in(assistant, in_danger)
    start_check_in(assistant, in_crisis)
    stack.stop_actions()
    try:
        # A person in crisis gets the crisis lines from Rasa's own process too, mid check-in or not.
        for person in (in_crisis, crisis_at_once):
            said = text(assistant.send(person, IN_CRISIS))
            assert all(line in said for line in CRISIS_LINES), said
        assert text(assistant.send(mid_check_in, "my left calf")) == ACTION_SERVER_DOWN_REPLY
        # The emergency action runs in Rasa's own process: the same words as when the server is up.
        assert text(assistant.send(in_danger, "I can't breathe")) == BREATHING
        assert text(assistant.send(danger_at_once, "I can't breathe")) == BREATHING
        assert "call your emergency number now" in BREATHING.lower() and "911" in BREATHING
        assert text(assistant.send(asking, "can coffee make my muscles twitch?")) == ACTION_SERVER_DOWN_REPLY
    finally:
        stack.start_actions()

    # Sent again, the answer is taken where it was left: the next question, then the assessment.
    assert asked(assistant.send(mid_check_in, "my left calf")) == "duration"
    assert finish_check_in(assistant, mid_check_in)["level"] == "see_doctor"
    answer = text(assistant.send(asking, "can coffee make my muscles twitch?"))
    assert "caffeine" in answer.lower() and ACTION_SERVER_DOWN_REPLY not in answer
    # The emergency ended the check-in, as it does when the server is up: a question is not an answer.
    assert "Back to the check-in" not in text(assistant.send(in_danger, "can coffee make my muscles twitch?"))

    url = database_url(stack)
    assert stored_user_messages(url, of_rest(mid_check_in)) == [
        "check my symptoms",
        "none of these",
        "my left calf",
        "my left calf",
        *REST_OF_THE_CHECK_IN,
    ]
    assert stored_user_messages(url, of_rest(danger_at_once)) == ["I can't breathe"]
    assert stored_user_messages(url, of_rest(asking)) == ["can coffee make my muscles twitch?"] * 2


def test_if_even_the_emergency_action_fails_the_instruction_is_still_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(*args: Any) -> None:
        raise RuntimeError("as if the action's code were broken")

    monkeypatch.setattr(outages._in_process_executor, "run", broken)
    domain = Domain.load(ROOT / "domain.yml")
    tracker = DialogueStateTracker.from_events(
        "someone",
        [ActionExecuted("action_listen"), UserUttered("I can't breathe", {"name": "emergency"})],
        domain.slots,
    )
    events = asyncio.run(emergency_here(None, None, None, tracker, domain))  # type: ignore[arg-type]
    said = [event.text for event in events if isinstance(event, BotUttered)]
    assert said == [LAST_RESORT_EMERGENCY_INSTRUCTION] and ActiveLoop(None) in events
    wording = red_flag_rules().levels["emergency"]
    assert LAST_RESORT_EMERGENCY_INSTRUCTION == f"{wording.headline} {wording.what_to_do}"


def test_saving_waits_for_the_database_and_stores_each_event_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tracker_store, "RETRY_DELAYS_SECONDS", (0.0, 0.0))
    url = f"sqlite:///{tmp_path / 'conversations.db'}"
    domain = Domain.load(ROOT / "domain.yml")
    store = ConversationStore(domain=domain, database_url=url)
    dropped = sa.exc.OperationalError("commit", {}, ConnectionResetError("server closed the connection"))
    conversation = DialogueStateTracker.from_events(
        "ana", [ActionExecuted("action_listen"), UserUttered("hello", {"name": "greet"})], domain.slots
    )
    write = store._append_new_events
    acknowledgements_lost = []

    def committed_but_unacknowledged(tracker: DialogueStateTracker) -> None:
        write(tracker)
        if not acknowledgements_lost:  # the first time: the connection drops after the commit
            acknowledgements_lost.append(tracker.sender_id)
            raise dropped

    monkeypatch.setattr(store, "_append_new_events", committed_but_unacknowledged)
    asyncio.run(store.save(conversation))
    assert acknowledgements_lost and stored_user_messages(url, "ana") == ["hello"]

    def down(tracker: DialogueStateTracker) -> None:
        raise dropped

    monkeypatch.setattr(store, "_append_new_events", down)
    with pytest.raises(ConversationStoreUnavailable) as outage:
        asyncio.run(store.save(conversation))
    assert outage.value.writing


def resumes_after_rasa_is_killed(stack: Stack, assistant: Assistant) -> None:
    in_check_in, asked_consent = new_person("killed-check-in"), new_person("killed-consent")
    start_check_in(assistant, in_check_in)
    assert "May I keep it?" in text(assistant.send(asked_consent, "log a twitch in my left calf"))

    stack.kill_rasa()
    assistant = stack.start()

    assert asked(assistant.send(in_check_in, "my left calf")) == "duration"
    logged = text(assistant.send(asked_consent, "yes"))
    assert "Logged in your twitch diary" in logged and "left calf" in logged
    url = database_url(stack)
    assert stored_user_messages(url, of_rest(in_check_in)) == [
        "check my symptoms",
        "none of these",
        "my left calf",
    ]
    assert stored_user_messages(url, of_rest(asked_consent)) == ["log a twitch in my left calf", "yes"]
    assert diary_entries(url, of_rest(asked_consent)) == 1


def test_after_rasa_is_killed_the_conversation_resumes_on_sqlite(
    sqlite_stack: tuple[Stack, Assistant],
) -> None:
    resumes_after_rasa_is_killed(*sqlite_stack)


def retries_logged(stack: Stack) -> int:
    log = stack.workdir / "rasa.log"
    return log.read_text().count("the conversation database is unreachable; retrying")


def test_a_database_restart_goes_unnoticed_and_the_conversation_carries_on(
    postgres: PrivatePostgres, postgres_stack: tuple[Stack, Assistant]
) -> None:
    stack, assistant = postgres_stack
    person = new_person("restart")
    start_check_in(assistant, person)

    postgres.restart()
    assert asked(assistant.send(person, "my left calf")) == "duration"

    # Down while a message is on its way: the message waits for the database instead of failing.
    retries_before = retries_logged(stack)
    postgres.stop()
    try:
        replies: list[list[dict[str, Any]]] = []
        sending = threading.Thread(target=lambda: replies.append(assistant.send(person, "about 3 weeks")))
        sending.start()
        while retries_logged(stack) == retries_before and sending.is_alive():
            sending.join(0.1)
    finally:
        postgres.start()
    sending.join(60)
    assert replies and asked(replies[0]) == "frequency"

    # The rest, including the action server's own use of the database (the consent it checks).
    answers = REST_OF_THE_CHECK_IN[1:]
    for answer in answers[:-1]:
        assistant.send(person, answer)
    final = text(assistant.send(person, answers[-1]))
    assert final.startswith("See a doctor in the next few days. Make an appointment with your doctor")
    assert stored_user_messages(postgres.url, of_rest(person)) == [
        "check my symptoms",
        "none of these",
        "my left calf",
        *REST_OF_THE_CHECK_IN,
    ]


def test_while_the_database_stays_down_people_are_told_and_an_emergency_is_still_escalated(
    postgres: PrivatePostgres, postgres_stack: tuple[Stack, Assistant]
) -> None:
    _, assistant = postgres_stack
    person, in_danger = new_person("down"), new_person("down-danger")
    start_check_in(assistant, person)
    link = summary_link(assistant, new_person("down-summary"))

    postgres.stop()
    try:
        # A summary link opened meanwhile says so in plain words (no stack trace, nothing cached).
        status, headers, body = fetch(link)
        assert (status, body) == (503, wording("summary_link_unavailable") + "\n")
        assert headers["Cache-Control"] == "no-store"
        assert text(assistant.send(person, "my left calf")) == NOT_TAKEN_IN_REPLY
        assert text(assistant.send(in_danger, "I can't breathe")) == BREATHING
        said = text(assistant.send(new_person("down-crisis"), IN_CRISIS))
        assert all(line in said for line in CRISIS_LINES), said
        after_a_payload = '/inform{"location": "calf"} and now I can\'t breathe'
        assert text(assistant.send(new_person("down-payload"), after_a_payload)) == BREATHING
    finally:
        postgres.start()

    assert fetch(link)[0] == 200  # the same link works again once the database is back
    # Rasa did not carry on with an empty conversation: sent again, the answer is taken where it was left.
    assert asked(assistant.send(person, "my left calf")) == "duration"
    # What arrived while the database was down could not be stored; the person was told to send it again.
    assert stored_user_messages(postgres.url, of_rest(person)) == [
        "check my symptoms",
        "none of these",
        "my left calf",
    ]


def test_after_rasa_is_killed_the_conversation_resumes_on_postgresql(
    postgres_stack: tuple[Stack, Assistant],
) -> None:
    resumes_after_rasa_is_killed(*postgres_stack)
