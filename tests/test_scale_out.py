"""Scale-out: two Rasa replicas, each with its own action server, behind nginx (Debian's, round robin),
sharing PostgreSQL (the tracker store and the assistant's tables) and a Redis lock store.

One person's turns go to both replicas in turn and must still make one conversation: a check-in carried
through to its assessment, a diary entry with consent, the diary, a FAQ answer. Messages sent at once to both
replicas are handled one after another, none lost or stored twice (the Redis lock store of
components/stores/lock_store.py; with Rasa's own, half of such bursts lost a message). When one replica stops,
nginx sends the next turn to the other and the conversation carries on.

The replicas start once for the module (scripts/stack.py, scripts/load_balancer.py). The last test stops one
replica, so it stays last.
"""

from __future__ import annotations

import json
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterator

import pytest
import sqlalchemy as sa
import yaml

from bot.check_in import check_in
from bot.identity import DEFAULT_NAMESPACE, rest_id
from bot.knowledge import knowledge_base
from scripts.endpoints import LOCK_KEY_PREFIX
from scripts.load_balancer import NGINX, Forwarded, LoadBalancer
from tests.conftest import (
    CHECK_IN_ANSWERS,
    MODEL,
    POSTGRES_URL,
    REDIS_URL,
    ROOT,
    Assistant,
    Stack,
    postgres_or_skip,
    redis_or_skip,
)

pytestmark = pytest.mark.server

QUESTIONS = {q.id: q.text for q in check_in().questions}
CUSTOM_ACTIONS = frozenset(yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["actions"])


@dataclass
class Cluster:
    """The two stacks, nginx in front of them, and the REST channel through nginx."""

    stacks: list[Stack]
    balancer: LoadBalancer
    chat: Assistant
    engine: sa.engine.Engine
    sent: int  # requests sent through nginx so far: the lines its access log will have
    counting: threading.Lock = field(default_factory=threading.Lock)

    def send(self, person: str, message: str) -> list[dict]:
        """A message through nginx, counted so the access log's line for it can be found."""
        with self.counting:
            self.sent += 1
        return self.chat.send(person, message)

    def address(self, stack: Stack) -> str:
        return f"127.0.0.1:{stack.rasa_port}"

    def requests_since(self, mark: int) -> list[Forwarded]:
        """What nginx did with the messages sent since `sent` was `mark`, in the order it finished them."""
        # nginx logs a request just after answering it: the line may come a moment after the answer.
        return self.balancer.forwarded(at_least=self.sent)[mark : self.sent]

    def turns(self, person: str) -> list[tuple[str, list[str]]]:
        """The person's stored conversation, in order: each message's text and the actions that followed."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.text("select type_name, action_name, data from events where sender_id = :p order by id"),
                {"p": rest_id(DEFAULT_NAMESPACE, person)},
            ).all()
        turns: list[tuple[str, list[str]]] = []
        for kind, action, data in rows:
            if kind == "user":
                turns.append((json.loads(data)["text"], []))
            elif kind == "action" and turns:
                turns[-1][1].append(action)
        return turns

    def user_messages(self, person: str) -> list[str]:
        return [text for text, _ in self.turns(person)]

    def rows(self, sql: str, person: str) -> list[Any]:
        with self.engine.connect() as connection:
            return connection.execute(sa.text(sql), {"p": rest_id(DEFAULT_NAMESPACE, person)}).all()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    if not NGINX.exists():
        pytest.fail(f"{NGINX} is missing: `make nginx` installs it (make test does)")
    engine = postgres_or_skip()
    locks = redis_or_skip()
    # Locks left by an earlier run that was killed; only ours, by their prefix.
    for key in locks.scan_iter(match=f"{LOCK_KEY_PREFIX}:*"):
        locks.delete(key)
    workdir = tmp_path_factory.mktemp("scale-out")
    # Replicas share what the served configuration shares: the REST token and the web session secret.
    shared = {
        "REDIS_URL": REDIS_URL,
        "TWITCHCHECK_REST_TOKEN": secrets.token_urlsafe(32),
        "TWITCHCHECK_SESSION_SECRET": secrets.token_urlsafe(32),
    }
    stacks = [Stack(workdir, POSTGRES_URL, env=shared, name=name) for name in ("a", "b")]
    balancer = LoadBalancer(workdir, [stack.rasa_port for stack in stacks])
    try:
        # One after the other: the first creates the tables (migrations, Rasa's events), which two
        # processes starting at once on an empty database could both try to do.
        for stack in stacks:
            stack.start()
        balancer.start()
        health_checks = len(balancer.forwarded(at_least=1))
        chat = Assistant(balancer.url, workdir, shared["TWITCHCHECK_REST_TOKEN"])
        yield Cluster(stacks, balancer, chat, engine, health_checks)
    finally:
        balancer.stop()
        for stack in stacks:
            stack.stop()
        engine.dispose()


def new_person(what: str) -> str:
    return f"scale-{what}-{uuid.uuid4().hex[:8]}"


def asked(replies: list[dict]) -> str | None:
    """Which check-in question the replies end with, if any."""
    text = Assistant.text(replies)
    return next((qid for qid, question in QUESTIONS.items() if text.endswith(question)), None)


def assessment(replies: list[dict]) -> dict | None:
    return next((r["custom"] for r in replies if r.get("custom", {}).get("type") == "assessment"), None)


def test_one_persons_turns_alternate_between_replicas_and_make_one_conversation(cluster: Cluster) -> None:
    me = new_person("alternate")
    mark = cluster.sent
    said: list[str] = []

    def say(message: str) -> list[dict]:
        said.append(message)
        return cluster.send(me, message)

    caffeine = knowledge_base().topics["caffeine"]
    assert caffeine.answer in Assistant.text(say("can coffee make my muscles twitch?"))

    assert "May I keep it?" in Assistant.text(say("log a twitch in my left calf"))
    logged = Assistant.text(say("yes"))  # answered by the other replica than the question was
    assert "Logged in your twitch diary" in logged and "left calf" in logged
    diary = Assistant.text(say("show my twitch log"))
    assert "1 twitch" in diary and "left calf" in diary

    # Every answer lands on the other replica than the question: the form's state must travel with it.
    replies = say("check my symptoms")
    assert asked(replies) == "emergency_screen"
    questions = ["emergency_screen"]
    for answer in CHECK_IN_ANSWERS:
        replies = say(answer)
        if asked(replies):
            questions.append(asked(replies))
    assert questions == list(QUESTIONS)  # each question once, in order, none skipped or repeated
    result = assessment(replies)
    assert result is not None, Assistant.text(replies)
    assert result["level"] == "see_doctor"
    assert "long_lasting" in [flag["id"] for flag in result["red_flags"]]
    assert {"caffeine", "short_sleep", "stress"} <= {c["id"] for c in result["contributors"]}
    text = Assistant.text(replies)
    assert text.startswith("See a doctor in the next few days. Make an appointment with your doctor")
    assert "not a diagnosis" in text
    assert "I've added this result to your record" in text  # the consent given for the diary holds

    # nginx sent the turns to both replicas in strict alternation, each straight to one replica.
    requests = cluster.requests_since(mark)
    assert [r.status for r in requests] == [200] * len(said)
    assert all(len(r.upstreams) == 1 for r in requests), requests
    replicas = [r.answered_by for r in requests]
    assert set(replicas) == {cluster.address(stack) for stack in cluster.stacks}
    assert all(first != second for first, second in zip(replicas, replicas[1:], strict=False)), replicas

    # The database holds exactly this conversation, in order, and what the actions stored.
    turns = cluster.turns(me)
    assert [text for text, _ in turns] == said
    assert cluster.rows("select location, side from diary_entries where person = :p", me) == [
        ("calf", "left")
    ]
    assert cluster.rows("select level from assessments where person = :p", me) == [("see_doctor",)]

    # Each replica calls only its own action server, and each replica's turns ran custom actions: so both
    # action servers did part of this conversation's work.
    action_urls = {yaml.safe_load(s.endpoints.read_text())["action_endpoint"]["url"] for s in cluster.stacks}
    assert action_urls == {f"http://127.0.0.1:{s.actions_port}/webhook" for s in cluster.stacks}
    for stack in cluster.stacks:
        ran = {
            action
            for (_, actions), replica in zip(turns, replicas, strict=True)
            if replica == cluster.address(stack)
            for action in actions
        }
        assert ran & CUSTOM_ACTIONS, (stack.name, ran)


def test_messages_sent_at_once_to_both_replicas_are_each_answered_and_stored_once(cluster: Cluster) -> None:
    me = new_person("burst")
    topics = knowledge_base().topics
    chosen = ("caffeine", "magnesium_foods_forms", "als_worry", "eyelid_twitching", "sleep", "dehydration")
    burst = {topics[topic].examples[0]: topics[topic].answer for topic in chosen}
    mark = cluster.sent
    replies: dict[str, list[dict]] = {}
    start = threading.Barrier(len(burst))

    def send(question: str) -> None:
        start.wait()
        replies[question] = cluster.send(me, question)

    threads = [threading.Thread(target=send, args=(question,)) for question in burst]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Each message got its own answer, not another's, and nginx spread them over both replicas.
    for question, answer in burst.items():
        assert answer in Assistant.text(replies[question]), question
    requests = cluster.requests_since(mark)
    assert [r.status for r in requests] == [200] * len(burst)
    assert {r.answered_by for r in requests} == {cluster.address(stack) for stack in cluster.stacks}

    # Stored once each, none lost, and one turn finished before the next began: the replicas took turns
    # on the Redis lock instead of both appending to the same conversation at once.
    turns = cluster.turns(me)
    assert sorted(text for text, _ in turns) == sorted(burst)
    for text, actions in turns:
        assert actions and actions[-1] == "action_listen", (text, actions)
        assert "action_listen" not in actions[:-1], (text, actions)
        assert "action_answer_faq" in actions, (text, actions)
    message_ids = [
        json.loads(data)["message_id"]
        for (data,) in cluster.rows(
            "select data from events where sender_id = :p and type_name = 'user' order by id", me
        )
    ]
    assert len(set(message_ids)) == len(burst)

    # The conversation is still whole: the next message carries on from it, on either replica.
    assert "diary is empty" in Assistant.text(cluster.send(me, "show my twitch log"))
    assert cluster.user_messages(me)[-1] == "show my twitch log"
    assert len(cluster.user_messages(me)) == len(burst) + 1


def test_when_a_replica_stops_nginx_sends_the_next_turns_to_the_other(cluster: Cluster) -> None:
    """Stopping a replica mid-conversation: the person notices nothing. The turn nginx would have given the
    stopped replica is refused at connect, before the message was sent, so nginx passes it on (a POST is
    never resent once delivered; see scripts/load_balancer.py)."""
    me = new_person("failover")
    assert asked(cluster.send(me, "check my symptoms")) == "emergency_screen"
    assert asked(cluster.send(me, "none of these")) == "location"

    stopped, running = cluster.stacks[1], cluster.stacks[0]
    stopped.stop_rasa()  # as a rolling restart or a replica taken out; its action server is irrelevant now
    mark = cluster.sent
    assert asked(cluster.send(me, "my left calf")) == "duration"
    assert asked(cluster.send(me, "about 3 weeks")) == "frequency"

    requests = cluster.requests_since(mark)
    assert [r.status for r in requests] == [200, 200]
    assert all(r.answered_by == cluster.address(running) for r in requests), requests
    # Round robin gives one of the two turns to the stopped replica first; it was passed on.
    assert any(
        r.upstreams == (cluster.address(stopped), cluster.address(running))
        and r.upstream_statuses[0] == "502"
        for r in requests
    ), requests
    said = ["check my symptoms", "none of these", "my left calf", "about 3 weeks"]
    assert cluster.user_messages(me) == said
