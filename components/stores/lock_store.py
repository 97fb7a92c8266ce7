"""Conversation locks in Redis that several Rasa replicas can share safely.

Rasa handles one person's messages one after another with a ticket lock. Its RedisLockStore keeps each
conversation's lock as one Redis value and changes it by reading it, changing it in Python and writing it
back. Two replicas doing that at once both read the same lock: both take the same ticket and answer the same
person at the same time, and the later write drops the other's ticket. The SQL tracker store then appends
each replica's events after the count already stored, so one message and its answer are lost (found by
tests/test_scale_out.py; RasaHQ/rasa#9213; Rasa's fix, ConcurrentRedisLockStore, is in Rasa Pro only).

Here every such change is a compare-and-swap: the lock is read, changed by Rasa's own TicketLock code, and
written back by a small Lua script that Redis runs atomically, only if the stored lock is still the one
read; otherwise the change is made again on what is there now. So no ticket is issued twice or lost. A
change costs two round trips to Redis: a first version with WATCH/MULTI/EXEC took four, plus redis-py's
pipeline machinery, and every message makes two changes. The value and the keys are Rasa's own, so
nothing else changes. scripts/endpoints.py selects it when REDIS_URL is set.
"""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any, Callable, Optional, Tuple, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

Result = TypeVar("Result")
SWAP_IF_UNCHANGED = """
local stored = redis.call('GET', KEYS[1]) or ''
if stored ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2]) end
return 1
"""
# Given the stored lock (None if there is none), what to return and the lock to store (None: delete it).
Change = Callable[[Optional[TicketLock]], Tuple[Result, Optional[TicketLock]]]


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's RedisLockStore with each read-change-write of a lock made atomic by a compare-and-swap."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        # Rasa builds a lock store named by module path from its endpoint config.
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

    def _change(self, conversation_id: str, change: Change[Result]) -> Result:
        key = self.key_prefix + conversation_id
        while True:
            stored = self.red.get(key)
            before = TicketLock.from_dict(json.loads(stored)) if stored else None
            result, after = change(before)
            replacement = after.dumps() if after is not None else ""
            if replacement == (stored.decode() if isinstance(stored, bytes) else stored or ""):
                return result  # nothing to write (a change of nothing, say)
            if self._swap(keys=[key], args=[stored or "", replacement]):
                return result
            # Another process changed the lock since it was read: change what is there now.

    @cached_property
    def _swap(self) -> Any:
        """Sets the key to ARGV[2] (deletes it if that is empty) if it still holds ARGV[1] ("": no key)."""
        return self.red.register_script(SWAP_IF_UNCHANGED)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def issue(lock: Optional[TicketLock]) -> Tuple[int, TicketLock]:
            lock = lock or self.create_lock(conversation_id)
            return lock.issue_ticket(lock_lifetime), lock

        try:
            return self._change(conversation_id, issue)
        except Exception as error:  # as Rasa's: callers expect a LockError
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        def drop_expired(lock: Optional[TicketLock]) -> Tuple[None, Optional[TicketLock]]:
            if lock is not None:
                lock.remove_expired_tickets()
            return None, lock

        self._change(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        def finish(lock: Optional[TicketLock]) -> Tuple[None, Optional[TicketLock]]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return None, lock

        self._change(conversation_id, finish)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Finishes the ticket and deletes the lock if no one waits, in one step: Rasa's two steps could
        delete a ticket another replica issued in between."""

        def finish_and_tidy(lock: Optional[TicketLock]) -> Tuple[None, Optional[TicketLock]]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return None, lock if lock.is_someone_waiting() else None

        self._change(conversation_id, finish_and_tidy)
