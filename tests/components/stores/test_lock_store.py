"""Two lock stores on one Redis, as two Rasa replicas: tickets taken at once are never shared or lost, and one
person's turns never overlap. Real Redis (TEST_REDIS_URL, by default database 7 on the local server).

Rasa's own RedisLockStore fails the first test: two stores read the same lock and issue the same ticket.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from typing import Iterator

import pytest
from sqlalchemy.engine import make_url

from components.stores.lock_store import AtomicRedisLockStore
from scripts.endpoints import LOCK_KEY_PREFIX
from tests.conftest import REDIS_URL, redis_or_skip

THREADS_PER_REPLICA, TICKETS_PER_THREAD = 4, 25


@pytest.fixture
def replicas() -> Iterator[list[AtomicRedisLockStore]]:
    redis_or_skip()
    url = make_url(REDIS_URL)
    stores = [
        AtomicRedisLockStore(
            host=url.host, port=url.port or 6379, db=int(url.database or 0), key_prefix=LOCK_KEY_PREFIX
        )
        for _ in range(2)  # each with its own connections, as two processes have
    ]
    yield stores
    for store in stores:
        store.red.close()


def at_once(work: list[threading.Thread]) -> None:
    for thread in work:
        thread.start()
    for thread in work:
        thread.join()


def test_tickets_taken_at_once_by_two_replicas_are_all_different_and_all_kept(
    replicas: list[AtomicRedisLockStore],
) -> None:
    conversation = f"lock-{uuid.uuid4().hex}"
    tickets: list[int] = []
    start = threading.Barrier(len(replicas) * THREADS_PER_REPLICA)

    def take(store: AtomicRedisLockStore) -> None:
        start.wait()
        for _ in range(TICKETS_PER_THREAD):
            tickets.append(store.issue_ticket(conversation))

    at_once([threading.Thread(target=take, args=(s,)) for s in replicas for _ in range(THREADS_PER_REPLICA)])
    issued = len(replicas) * THREADS_PER_REPLICA * TICKETS_PER_THREAD
    assert sorted(tickets) == list(range(issued))  # none twice, none skipped
    assert len(replicas[1].get_lock(conversation).tickets) == issued  # none overwritten

    # Finishing them all at once from both replicas leaves no lock behind, and deletes none too early.
    finish = threading.Barrier(len(replicas))

    def finish_half(store: AtomicRedisLockStore, mine: list[int]) -> None:
        finish.wait()
        for ticket in mine:
            store.cleanup(conversation, ticket)

    at_once(
        [
            threading.Thread(target=finish_half, args=(s, tickets[i :: len(replicas)]))
            for i, s in enumerate(replicas)
        ]
    )
    assert replicas[0].get_lock(conversation) is None


def test_one_persons_turns_on_two_replicas_never_overlap(replicas: list[AtomicRedisLockStore]) -> None:
    conversation = f"lock-{uuid.uuid4().hex}"
    inside: list[str] = []
    overlaps: list[str] = []
    done: list[str] = []

    async def turn(store: AtomicRedisLockStore, name: str) -> None:
        async with store.lock(conversation, wait_time_in_seconds=0.01):
            if inside:
                overlaps.append(f"{name} while {inside[0]}")
            inside.append(name)
            await asyncio.sleep(0.02)  # a turn's work; the other replica's turns wait meanwhile
            inside.remove(name)
            done.append(name)

    async def replica(store: AtomicRedisLockStore, index: int) -> None:
        await asyncio.gather(*(turn(store, f"replica {index} turn {n}") for n in range(5)))

    # Each replica in its own thread and event loop, as in its own process.
    at_once(
        [
            threading.Thread(target=asyncio.run, args=(replica(store, index),))
            for index, store in enumerate(replicas)
        ]
    )
    assert len(done) == 10 and not overlaps, overlaps
    assert replicas[0].get_lock(conversation) is None
