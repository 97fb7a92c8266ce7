"""Conversation locks in Redis that several Rasa replicas can share safely.

Rasa handles one person's messages one after another with a ticket lock. Its RedisLockStore keeps each
conversation's lock as one Redis value and changes it by reading it, changing it in Python and writing it
back. Two replicas doing that at once both read the same lock: both take the same ticket and answer the same
person at the same time, and the later write drops the other's ticket. The SQL tracker store then appends
each replica's events after the count already stored, so one message and its answer are lost (found by
tests/test_scale_out.py; RasaHQ/rasa#9213; Rasa's fix, ConcurrentRedisLockStore, is in Rasa Pro only).

Here every such change is one Redis transaction (WATCH the key, MULTI/EXEC the write, retry if another
replica changed the lock in between), so no ticket is issued twice or lost. The value and the keys are
Rasa's own, so nothing else changes. scripts/endpoints.py selects it when REDIS_URL is set.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Optional, Tuple, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

Result = TypeVar("Result")
# Given the stored lock (None if there is none), what to return and the lock to store (None: delete it).
Change = Callable[[Optional[TicketLock]], Tuple[Result, Optional[TicketLock]]]


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's RedisLockStore with each read-change-write of a lock done as one Redis transaction."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        # Rasa builds a lock store named by module path from its endpoint config.
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

    def _change(self, conversation_id: str, change: Change[Result]) -> Result:
        key = self.key_prefix + conversation_id

        def attempt(pipe: Any) -> Result:
            stored = pipe.get(key)  # the key is WATCHed: EXEC fails if anyone writes it before then
            before = TicketLock.from_dict(json.loads(stored)) if stored else None
            result, after = change(before)
            pipe.multi()
            if after is not None:
                pipe.set(key, after.dumps())
            elif before is not None:
                pipe.delete(key)
            return result

        return self.red.transaction(attempt, key, value_from_callable=True)

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
