"""REST load for `make bench`: virtual users replaying the conversations in scripts/load_mix.yml.

A closed loop: each of N users sends a message, waits for the reply and sends the next, with no pause, so the
server is kept as busy as N people typing instantly would keep it. Latency is the time from sending a message
to having all of its replies (the REST channel answers once the turn is over).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import statistics
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence

import aiohttp
import yaml

ROOT = Path(__file__).resolve().parent.parent
MIX = Path(__file__).with_name("load_mix.yml")
HELDOUT = ROOT / "tests" / "data" / "nlu_heldout"
FAQ_PLACEHOLDER = "faq"


@dataclass(frozen=True)
class Conversation:
    name: str
    weight: int
    turns: tuple[str, ...]


def faq_questions() -> list[str]:
    """The held-out FAQ questions: phrasings the model never saw in training."""
    questions = []
    for path in sorted(HELDOUT.glob("*.yml")):
        for block in yaml.safe_load(path.read_text()).get("nlu", []):
            if block["intent"].startswith("faq/"):
                questions += [line[2:].strip() for line in block["examples"].splitlines() if line.strip()]
    return questions


def mix(bot: str) -> list[Conversation]:
    return [
        Conversation(entry["name"], int(entry["weight"]), tuple(str(turn) for turn in entry["turns"]))
        for entry in yaml.safe_load(MIX.read_text())[bot]
    ]


def conversations_in_turn(conversations: Sequence[Conversation], seed: int) -> Iterator[list[str]]:
    """An endless, reproducible sequence of conversations drawn by weight, FAQ placeholders filled in."""
    rng = random.Random(seed)
    questions = faq_questions()
    weights = [c.weight for c in conversations]
    while True:
        conversation = rng.choices(conversations, weights)[0]
        yield [rng.choice(questions) if turn == FAQ_PLACEHOLDER else turn for turn in conversation.turns]


@dataclass
class LoadResult:
    users: int
    seconds: float
    latencies_ms: List[float] = field(default_factory=list)
    errors: int = 0
    first_error: Optional[str] = None
    # Turns the bot answered with nothing at all (the stock bot has no rule for some messages): counted and
    # reported, never a crash of the run.
    unanswered: int = 0

    @property
    def messages_per_second(self) -> float:
        return len(self.latencies_ms) / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def send(session: aiohttp.ClientSession, url: str, sender: str, text: str) -> list:
    """The replies to one message (an empty list when the bot said nothing); a failed request raises."""
    async with session.post(
        f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}
    ) as response:
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {(await response.text())[:200]}")
        replies = await response.json()
        return replies


async def drive(
    url: str,
    conversations: Sequence[Conversation],
    users: int,
    seconds: float,
    headers: Optional[Dict[str, str]] = None,
) -> LoadResult:
    """`users` people talking at once for `seconds`; only turns that end inside the window are counted.
    `headers` go with every request (the REST token)."""
    result = LoadResult(users=users, seconds=seconds)
    deadline = time.perf_counter() + seconds
    timeout = aiohttp.ClientTimeout(total=120)
    connector = aiohttp.TCPConnector(limit=users, force_close=False)

    async def person(index: int, session: aiohttp.ClientSession) -> None:
        for turns in conversations_in_turn(conversations, seed=index):
            sender = f"load-{uuid.uuid4().hex[:12]}"
            for text in turns:
                if time.perf_counter() >= deadline:
                    return
                started = time.perf_counter()
                try:
                    replies = await send(session, url, sender, text)
                except Exception as error:  # counted and shown, never fatal to the run
                    result.errors += 1
                    result.first_error = result.first_error or f"{type(error).__name__}: {error}"
                    break
                if time.perf_counter() <= deadline:
                    result.latencies_ms.append((time.perf_counter() - started) * 1000)
                    result.unanswered += not replies

    async with aiohttp.ClientSession(connector=connector, timeout=timeout, headers=headers) as session:
        await asyncio.gather(*(person(i, session) for i in range(users)))
    return result


@dataclass
class LongRun:
    """One long conversation: the latency of each turn, in order, and the turns that got no reply."""

    latencies_ms: List[float] = field(default_factory=list)
    unanswered: int = 0


async def long_conversation(
    url: str, conversations: Sequence[Conversation], turns: int, headers: Optional[Dict[str, str]] = None
) -> LongRun:
    """One person's `turns` messages in one conversation. A turn the bot leaves unanswered is timed and
    counted like any other: the stock bot has no rule for a "no" after some of its questions."""
    sender = f"long-{uuid.uuid4().hex[:12]}"
    messages = itertools.chain.from_iterable(conversations_in_turn(conversations, seed=7))
    run = LongRun()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120), headers=headers) as session:
        for text in itertools.islice(messages, turns):
            started = time.perf_counter()
            replies = await send(session, url, sender, text)
            run.latencies_ms.append((time.perf_counter() - started) * 1000)
            run.unanswered += not replies
    return run


def median_ms(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")
