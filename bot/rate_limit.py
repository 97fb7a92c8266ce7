"""Fair use: token buckets that let a person type at their own pace and turn a flood away.

Each sender (a conversation) and each client (the address a request comes from) has a bucket of `burst`
tokens that refills at `per_minute` tokens a minute. A message takes `message_cost` tokens and is let in only
when every bucket it draws on holds that many; otherwise the answer is how many seconds until they would.

A message's cost grows with what is read of it, because reading is what a message costs: on the project's
2-core machine all of NLU took 10 ms for 60 characters and 590 ms for 5,000 (the most that is read,
bot.extract.MAX_TEXT_CHARS), about 0.12 ms a character. So a message of up to CHARACTERS_PER_TOKEN
characters costs one token, a longer one a token for each CHARACTERS_PER_TOKEN characters read (50 for
5,000), and never more than a full bucket: a long message from someone who has sent nothing for a while
always gets through, and empties the bucket.

Memory is bounded. A bucket that has refilled is the same as no bucket, so it is forgotten (the least
recently used first, a couple on every call); since a bucket refills within burst / rate seconds, only the
keys seen in that time are kept, and never more than `max_keys` (past that the longest unused is
forgotten, which forgives what it owed).

Each bucket is kept as the one moment it will be full again (the "generic cell rate algorithm", the same
arithmetic as a token bucket): one float per key, no timers.

    python -m bot.rate_limit 60 5000     # the cost of messages of these lengths, in tokens
"""

from __future__ import annotations

import math
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Mapping, Optional, Sequence

CHARACTERS_PER_TOKEN = 100
# Per table. A key is a sender id (at most 255 characters) or an address: some 100 bytes each besides the
# key itself, so a full table is some tens of MB.
MAX_KEYS = 100_000
# Idle buckets forgotten per call: more than the one a call can add, so a backlog always shrinks.
EVICTIONS_PER_CALL = 2

SENDER_BURST = "TWITCHCHECK_SENDER_BURST"
SENDER_PER_MINUTE = "TWITCHCHECK_SENDER_PER_MINUTE"
CLIENT_BURST = "TWITCHCHECK_CLIENT_BURST"
CLIENT_PER_MINUTE = "TWITCHCHECK_CLIENT_PER_MINUTE"
# A person types a message every few seconds and may press ten buttons in a row in the check-in. A client
# address may be many people (an office, a mobile network's shared address): a few dozen at once.
DEFAULTS = {SENDER_BURST: 10.0, SENDER_PER_MINUTE: 30.0, CLIENT_BURST: 60.0, CLIENT_PER_MINUTE: 120.0}


def message_cost(characters_read: int) -> float:
    """The tokens a message takes when this many of its characters are read (before capping at a burst)."""
    return max(1.0, characters_read / CHARACTERS_PER_TOKEN)


@dataclass(frozen=True)
class Allowance:
    """`burst` tokens at most, refilled at `per_minute` tokens a minute."""

    burst: float
    per_minute: float

    def __post_init__(self) -> None:
        if not (self.burst >= 1 and self.per_minute > 0 and math.isfinite(self.burst * self.per_minute)):
            raise ValueError(f"an allowance needs a burst of at least 1 and a positive rate, not {self}")

    @property
    def seconds_per_token(self) -> float:
        return 60.0 / self.per_minute

    @property
    def refill_seconds(self) -> float:
        """How long an empty bucket takes to fill: a bucket unused this long is forgotten."""
        return self.burst * self.seconds_per_token


class Buckets:
    """One bucket per key, all with the same allowance."""

    def __init__(self, allowance: Allowance, max_keys: int = MAX_KEYS) -> None:
        self.allowance = allowance
        self.max_keys = max_keys
        # key -> the moment its bucket is full again; least recently used first.
        self._full_at: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._full_at)

    def _debt(self, cost: float) -> float:
        """Seconds of refill that `cost` tokens take, a message never costing more than a full bucket."""
        return min(cost, self.allowance.burst) * self.allowance.seconds_per_token

    def wait(self, key: str, cost: float, now: float) -> float:
        """Seconds until the bucket holds `cost` tokens (at most a full bucket); 0.0 when it does now."""
        full_at = self._full_at.get(key, now)
        return max(0.0, max(full_at, now) + self._debt(cost) - now - self.allowance.refill_seconds)

    def take(self, key: str, cost: float, now: float) -> None:
        """Takes `cost` tokens; a bucket asked for more than it holds is left empty, never in debt."""
        full_at = max(self._full_at.pop(key, now), now) + self._debt(cost)
        self._full_at[key] = min(full_at, now + self.allowance.refill_seconds)
        self._forget_idle(now)

    def _forget_idle(self, now: float) -> None:
        for _ in range(EVICTIONS_PER_CALL):
            oldest, full_at = next(iter(self._full_at.items()))
            if full_at > now:
                break
            del self._full_at[oldest]
        while len(self._full_at) > self.max_keys:
            self._full_at.popitem(last=False)


class RateLimits:
    """The per-sender and per-client buckets together: a message is let in when both can afford it, and then
    draws on both. Either may be None (no limit of that kind); a message with no client (Slack and Telegram,
    whose requests all come from the platform's servers) draws on its sender's bucket only."""

    def __init__(
        self,
        per_sender: Optional[Allowance],
        per_client: Optional[Allowance],
        max_keys: int = MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.senders = Buckets(per_sender, max_keys) if per_sender else None
        self.clients = Buckets(per_client, max_keys) if per_client else None
        self.clock = clock

    def _buckets(self, sender: str, client: Optional[str]) -> list[tuple[Buckets, str]]:
        drawn = [(self.senders, sender)]
        if client is not None:
            drawn.append((self.clients, client))
        return [(buckets, key) for buckets, key in drawn if buckets is not None]

    def wait(self, sender: str, client: Optional[str], cost: float) -> float:
        """Seconds until a message of this cost would be let in; 0.0 when it would be now."""
        now, drawn = self.clock(), self._buckets(sender, client)
        return max((buckets.wait(key, cost, now) for buckets, key in drawn), default=0.0)

    def admit(self, sender: str, client: Optional[str], cost: float) -> float:
        """Lets the message in and takes its cost (returns 0.0), or returns the seconds until it would be let
        in and takes nothing."""
        wait = self.wait(sender, client, cost)
        if wait == 0.0:
            self.admit_anyway(sender, client, cost)
        return wait

    def admit_anyway(self, sender: str, client: Optional[str], cost: float) -> None:
        """Takes the cost of a message that is let in whatever the buckets hold (an emergency)."""
        now = self.clock()
        for buckets, key in self._buckets(sender, client):
            buckets.take(key, cost, now)


def _allowance(burst: tuple[str, Optional[str]], rate: tuple[str, Optional[str]]) -> Optional[Allowance]:
    """The allowance of a (variable name, value) for the burst and one for the rate; None when it is off."""
    values = []
    for name, raw in (burst, rate):
        raw = (raw or "").strip()
        try:
            values.append(float(raw) if raw else DEFAULTS[name])
        except ValueError:
            raise ValueError(f"{name} must be a number, not {raw!r}") from None
    if values[1] == 0:
        return None  # this limit is off
    try:
        return Allowance(*values)
    except ValueError:
        problem = f"{burst[0]} must be at least 1 and {rate[0]} positive (0 turns it off)"
        raise ValueError(problem) from None


def limits_from_environment(environ: Mapping[str, str]) -> RateLimits:
    """The limits these variables set, each defaulting to DEFAULTS; a rate of 0 turns that limit off. A value
    that is not a number fails loudly."""
    return RateLimits(
        _allowance(
            (SENDER_BURST, environ.get("TWITCHCHECK_SENDER_BURST")),
            (SENDER_PER_MINUTE, environ.get("TWITCHCHECK_SENDER_PER_MINUTE")),
        ),
        _allowance(
            (CLIENT_BURST, environ.get("TWITCHCHECK_CLIENT_BURST")),
            (CLIENT_PER_MINUTE, environ.get("TWITCHCHECK_CLIENT_PER_MINUTE")),
        ),
    )


def main(argv: Sequence[str]) -> int:
    for length in argv or ["60", "500", "5000"]:
        print(f"{int(length):>6} characters: {message_cost(int(length)):.1f} tokens")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
