"""REST load for `make bench`: virtual users replaying the conversations in scripts/load_mix.yml.

A closed loop: each of N users sends a message, waits for the reply and sends the next, with no pause, so the
server is kept as busy as N people typing instantly would keep it. Latency is the time from sending a message
to having all of its replies (the REST channel answers once the turn is over).
"""

from __future__ import annotations

import asyncio
import ipaddress
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

from bot.safety import must_be_met_at_once

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


async def people(
    url: str, count: int, seconds: float, every: float, first_address: str = "127.0.1.1"
) -> LoadResult:
    """`count` people, each at a loopback address of their own (127.0.1.1, ...) and in a conversation of their
    own, each asking a held-out FAQ question every `every` seconds, as people type: not a closed loop. Only
    replies that come within `seconds` are timed; a refused or failed message is an error."""
    questions = faq_questions()
    base = ipaddress.ip_address(first_address)
    result = LoadResult(users=count, seconds=seconds)
    deadline = time.perf_counter() + seconds

    async def person(index: int) -> None:
        rng = random.Random(index)
        connector = aiohttp.TCPConnector(local_addr=(str(base + index), 0))
        sender = f"person-{uuid.uuid4().hex[:12]}"
        timeout = aiohttp.ClientTimeout(total=120)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            await asyncio.sleep(every * index / count)  # spread out, as people are
            while (started := time.perf_counter()) < deadline:
                try:
                    await send(session, url, sender, rng.choice(questions))
                except Exception as error:  # counted and shown, never fatal to the run
                    result.errors += 1
                    result.first_error = result.first_error or f"{type(error).__name__}: {error}"
                else:
                    if time.perf_counter() <= deadline:
                        result.latencies_ms.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(max(0.0, started + every - time.perf_counter()))

    await asyncio.gather(*(person(i) for i in range(count)))
    return result


@dataclass
class FloodResult:
    answered: int = 0
    refused: int = 0  # 429, over the fair-use limits
    errors: int = 0
    first_error: Optional[str] = None


async def flood(url: str, source: str, parallel: int, seconds: float, characters: int) -> FloodResult:
    """One client, at the loopback address `source`, keeping `parallel` long messages in flight for `seconds`:
    each of `characters` characters, held-out questions in a different order each time, from a new sender,
    sent again as soon as the last is answered or refused (Retry-After ignored). What is still in flight at
    the end is abandoned. None describes an emergency or a crisis (those are let through any limit, so a
    flood of them is another attack: fair use cannot stop it, nginx's limits must)."""
    result = FloodResult()
    # Whole questions as sentences: random words together can read as an emergency ("jaw ... locked").
    plain = [question.rstrip("?.! ") + ". " for question in faq_questions()]
    plain = [sentence for sentence in plain if not must_be_met_at_once(sentence)]
    connector = aiohttp.TCPConnector(local_addr=(source, 0), limit=parallel)

    async def attacker(index: int, session: aiohttp.ClientSession) -> None:
        rng = random.Random(index)
        while True:
            text = "".join(rng.choices(plain, k=characters // 20))[:characters]
            body = {"sender": f"flood-{uuid.uuid4().hex[:12]}", "message": text}
            try:
                async with session.post(f"{url}/webhooks/rest/webhook", json=body) as response:
                    await response.read()
                    if response.status == 200:
                        result.answered += 1
                    elif response.status == 429:
                        result.refused += 1
                    else:
                        raise RuntimeError(f"HTTP {response.status}")
            except Exception as error:  # counted, never fatal
                result.errors += 1
                result.first_error = result.first_error or f"{type(error).__name__}: {error}"

    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        attackers = [asyncio.ensure_future(attacker(i, session)) for i in range(parallel)]
        await asyncio.sleep(seconds)
        for task in attackers:
            task.cancel()
        await asyncio.gather(*attackers, return_exceptions=True)
    return result
