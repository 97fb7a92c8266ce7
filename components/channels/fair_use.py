"""Fair use under load: the limits of bot/rate_limit.py, applied by every channel before a message is read or
stored, so that one client's flood cannot slow everyone else's replies or fill the database.

- Who is limited. The sender, by its conversation id, which names its channel (bot/identity.py:
  "rest:<namespace>:alice", "web:<session>"), so that ids sent over one channel cannot use up another's; and
  the client, the address the request came from, for REST and the web widget. Slack's and Telegram's requests
  all come from the platform's servers, whose signatures and secrets the channels check, so only their senders
  are limited. Behind a proxy the client is the address the proxy forwarded, and only when Sanic is told to
  trust it: SANIC_PROXIES_COUNT=1 behind one proxy that appends to X-Forwarded-For (deploy/ sets it for nginx
  and ingress-nginx), or SANIC_REAL_IP_HEADER, or SANIC_FORWARDED_SECRET. Unset, forwarded headers are
  ignored: any client could write one.
- Over the limit, a message is neither read nor stored: the check comes before Rasa sees it, so a flood of
  new senders stores no conversation. REST answers 429 with Retry-After and a JSON error (`refused_request`);
  the chat channels send the domain's utter_slow_down (`handle_carefully` in components/channels/reading.py).
- An emergency or a person in crisis is never turned away: a message over the limit is screened first
  (bot.safety.must_be_met_at_once) and, if it is one, handled as usual, its cost taken and the buckets left
  empty. A flood written as emergencies therefore gets through; nginx's limits in deploy/ stand behind that.
- Screening what is turned away costs time too: up to 150 ms for the 5,000 characters read (a quarter of
  reading it all), so a refused flood alone could still hold everyone up. So each client's messages over the
  limit (or each sender's, with no client) are screened one at a time, the shortest first, so that an
  emergency, rarely long, is not kept behind a flood of long messages; and after each screening the client's
  next waits SCREENING_PAUSE times as long as that one took: a client's refused messages get at most a tenth
  of the process's time. The flood's own answers come slowly; other people's come as before.
- The limits are each process's own: with SANIC_WORKERS=2 or several replicas each keeps its own buckets.
  nginx's limits (deploy/) hold for the whole.

Defaults and variables: bot/rate_limit.py (TWITCHCHECK_SENDER_BURST, ..._PER_MINUTE, TWITCHCHECK_CLIENT_...),
read when this module is imported, at start-up: a value that is not a number stops Rasa from starting.
"""

from __future__ import annotations

import asyncio
import functools
import heapq
import itertools
import logging
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, List, Optional, Tuple

import yaml
from rasa.core.channels.channel import UserMessage
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.extract import MAX_TEXT_CHARS
from bot.rate_limit import RateLimits, limits_from_environment, message_cost
from bot.safety import must_be_met_at_once

logger = logging.getLogger(__name__)
SLOW_DOWN = "utter_slow_down"
DOMAIN_FILE = Path(__file__).resolve().parents[2] / "domain.yml"
# A client's refused messages get at most 1 / (1 + SCREENING_PAUSE) of the time: a tenth.
SCREENING_PAUSE = 9.0


@functools.lru_cache(maxsize=1)
def slow_down() -> str:
    """What a message over the limit gets: the domain's `utter_slow_down`, read once."""
    domain = yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))
    return str(domain["responses"][SLOW_DOWN][0]["text"])


@dataclass
class _Lane:
    """One client's (or sender's) messages over the limit, waiting to be screened: (cost, order, text,
    future) in a heap, the cheapest first; `free_at` is when the next may be screened."""

    waiting: List[Tuple[float, int, str, asyncio.Future]] = field(default_factory=list)
    free_at: float = 0.0
    screening: Optional[asyncio.Task] = None  # kept: the loop holds only a weak reference to a task


class FairUse:
    def __init__(
        self,
        limits: RateLimits,
        pause: float = SCREENING_PAUSE,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.limits = limits
        self.pause = pause
        self.clock = clock
        self._lanes: dict[str, _Lane] = {}
        self._order = itertools.count()

    async def refusal(self, text: str, sender: str, client: Optional[str]) -> Optional[int]:
        """None when the message may be handled (its cost taken); else the whole seconds to wait before
        sending it again (at least 1)."""
        reading = text.strip()[:MAX_TEXT_CHARS]  # what is read of it (components/channels/reading.py)
        cost = message_cost(len(reading))
        wait = self.limits.admit(sender, client, cost)
        if wait == 0.0:
            return None
        arrived = self.clock()
        if await self._screened_in_turn(client or sender, cost, reading):
            self.limits.admit_anyway(sender, client, cost)
            return None
        return max(1, math.ceil(wait - (self.clock() - arrived)))

    async def _screened_in_turn(self, key: str, cost: float, reading: str) -> bool:
        """Whether the message must be met at once, screened in its turn in the lane of `key`."""
        future = asyncio.get_running_loop().create_future()
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane()
            logger.info("messages over the fair-use limit: screened, and turned away unless urgent")
            lane.screening = asyncio.ensure_future(self._screen(key, lane))
        heapq.heappush(lane.waiting, (cost, next(self._order), reading, future))
        return await future

    async def _screen(self, key: str, lane: _Lane) -> None:
        try:
            while True:
                # Also after the last one: a lane lives out its pause, so a client that sends again at once
                # still waits its turn.
                delay = lane.free_at - self.clock()
                if delay > 0:
                    await asyncio.sleep(delay)
                if not lane.waiting:
                    return
                _, _, reading, future = heapq.heappop(lane.waiting)
                if future.done():
                    continue  # the client went away meanwhile
                started = self.clock()
                try:
                    urgent = must_be_met_at_once(reading)
                except Exception:
                    # Without the text: it may be health data. Handled, rather than turned away unread.
                    logger.exception("screening a message over the fair-use limit failed")
                    urgent = True
                spent = self.clock() - started
                lane.free_at = started + spent * (1 + self.pause)
                future.set_result(urgent)
        finally:
            del self._lanes[key]
            for *_, future in lane.waiting:
                future.cancel()


FAIR_USE = FairUse(limits_from_environment(os.environ))


def client_of(request: Request) -> str:
    """The client's address: as a proxy forwarded it when Sanic is told to trust that, else the peer's."""
    return request.remote_addr or request.ip


def client_of_socket(sio: Any, sid: str, namespace: Optional[str] = None) -> Optional[str]:
    """The address of a Socket.IO session's client, from the request that opened it."""
    request = (sio.get_environ(sid, namespace=namespace) or {}).get("sanic.request")
    return client_of(request) if request is not None else None


async def turned_away(message: UserMessage, client: Optional[str]) -> bool:
    """True when `message` is over the limits (and not urgent): the person has been told to slow down."""
    output = message.output_channel
    sender = message.sender_id  # it names its channel (bot/identity.py)
    if await FAIR_USE.refusal(message.text or "", sender, client) is None:
        return False
    await output.send_text_message(message.sender_id, slow_down())
    return True


async def refused_request(request: Request, text: str, sender: str) -> Optional[HTTPResponse]:
    """For REST: None when the message may be handled, else the 429 to answer, with Retry-After. `sender`
    is the conversation id, namespace included (bot/identity.py): integrators' senders are kept apart."""
    seconds = await FAIR_USE.refusal(text, sender, client_of(request))
    if seconds is None:
        return None
    return response.json(
        {"error": slow_down(), "retry_after": seconds}, status=429, headers={"Retry-After": str(seconds)}
    )
