"""The fair-use buckets (bot/rate_limit.py) on a clock of the test's own: a person at their own pace is
never turned away, a flood is, a long message weighs more, a refused message costs nothing, and the memory
they use stays bounded however many senders come and go."""

from __future__ import annotations

import pytest

from bot.rate_limit import (
    CLIENT_BURST,
    CLIENT_PER_MINUTE,
    DEFAULTS,
    SENDER_PER_MINUTE,
    Allowance,
    Buckets,
    RateLimits,
    limits_from_environment,
    message_cost,
)

SHORT = message_cost(40)
LONG = message_cost(5_000)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def default_limits(clock: Clock) -> RateLimits:
    limits = limits_from_environment({})
    limits.clock = clock
    return limits


def test_a_person_typing_a_message_every_few_seconds_is_never_turned_away(clock: Clock) -> None:
    limits = default_limits(clock)
    for _ in range(500):
        assert limits.admit("alice", "198.51.100.7", SHORT) == 0.0
        clock.now += 2.0


def test_ten_buttons_pressed_in_a_row_are_let_in_and_the_eleventh_waits_for_a_token(clock: Clock) -> None:
    limits = default_limits(clock)
    assert [limits.admit("alice", "198.51.100.7", SHORT) for _ in range(10)] == [0.0] * 10
    wait = limits.admit("alice", "198.51.100.7", SHORT)
    assert wait == pytest.approx(60 / DEFAULTS[SENDER_PER_MINUTE])
    clock.now += wait
    assert limits.admit("alice", "198.51.100.7", SHORT) == 0.0


def test_a_long_message_weighs_as_much_as_the_reading_it_costs(clock: Clock) -> None:
    assert message_cost(0) == message_cost(100) == 1.0
    assert message_cost(5_000) == 50 * message_cost(100)
    limits = default_limits(clock)
    # One long message from someone who sent nothing before always gets through, and empties their bucket.
    assert limits.admit("bob", "198.51.100.8", LONG) == 0.0
    assert limits.admit("bob", "198.51.100.8", SHORT) > 0.0


def test_many_new_senders_from_one_address_are_stopped_by_the_client_limit(clock: Clock) -> None:
    limits = default_limits(clock)
    let_in = [limits.admit(f"new-{n}", "203.0.113.66", SHORT) == 0.0 for n in range(200)]
    assert sum(let_in) == DEFAULTS[CLIENT_BURST] and all(let_in[: int(DEFAULTS[CLIENT_BURST])])
    # Someone at another address is not held up.
    assert limits.admit("carol", "198.51.100.9", SHORT) == 0.0


def test_a_flood_of_long_messages_gets_one_in_and_then_one_each_refill(clock: Clock) -> None:
    limits = default_limits(clock)
    admitted = 0
    for second in range(60):
        for n in range(16):
            admitted += limits.admit(f"flood-{second}-{n}", "203.0.113.66", LONG) == 0.0
        clock.now += 1.0
    # 60 tokens at first, 120 more in the minute: about 3.6 messages of 50 tokens.
    assert admitted == 3


def test_a_refused_message_takes_nothing_from_either_bucket(clock: Clock) -> None:
    limits = default_limits(clock)
    for n in range(int(DEFAULTS[CLIENT_BURST])):
        limits.admit(f"other-{n}", "203.0.113.66", SHORT)
    for _ in range(50):
        assert limits.admit("dave", "203.0.113.66", SHORT) > 0.0
    # From another address dave still has his whole burst: the refusals cost him nothing.
    assert [limits.admit("dave", "198.51.100.10", SHORT) for _ in range(10)] == [0.0] * 10


def test_the_wait_is_exactly_until_the_buckets_can_afford_the_message(clock: Clock) -> None:
    limits = RateLimits(Allowance(burst=10, per_minute=60), Allowance(burst=100, per_minute=6), clock=clock)
    for _ in range(10):
        limits.admit("erin", "198.51.100.11", 1.0)
    assert limits.admit("erin", "198.51.100.11", 3.0) == pytest.approx(3.0)  # the sender's: 1 token/s
    for n in range(90):
        limits.admit(f"x{n}", "198.51.100.11", 1.0)
    assert limits.admit("frank", "198.51.100.11", 2.0) == pytest.approx(20.0)  # the client's: 0.1 token/s


def test_a_message_let_in_anyway_leaves_the_bucket_empty_not_in_debt(clock: Clock) -> None:
    limits = default_limits(clock)
    for _ in range(10):
        limits.admit("gina", None, SHORT)
    for _ in range(20):
        limits.admit_anyway("gina", None, LONG)  # an emergency, told again and again
    assert limits.admit("gina", None, SHORT) == pytest.approx(60 / DEFAULTS[SENDER_PER_MINUTE])


def test_a_message_without_a_client_draws_on_its_sender_only(clock: Clock) -> None:
    limits = default_limits(clock)
    for n in range(500):  # Slack or Telegram: every request from the platform, one sender each
        assert limits.admit(f"U{n}", None, SHORT) == 0.0


def test_buckets_of_senders_gone_quiet_are_forgotten(clock: Clock) -> None:
    allowance = Allowance(burst=10, per_minute=30)
    buckets = Buckets(allowance)
    # A new sender every 10 ms for 1,000 s: each is kept only until its bucket has refilled (20 s here).
    for n in range(100_000):
        buckets.take(f"sender-{n}", 1.0, clock.now)
        clock.now += 0.01
    assert len(buckets) <= allowance.seconds_per_token / 0.01 + 2


def test_there_are_never_more_buckets_than_the_bound(clock: Clock) -> None:
    buckets = Buckets(Allowance(burst=10, per_minute=1), max_keys=1_000)
    for n in range(20_000):
        buckets.take(f"sender-{n}", 10.0, clock.now)  # all at once: none has refilled
    assert len(buckets) == 1_000
    assert buckets.wait("sender-19999", 1.0, clock.now) > 0  # the most recent are the ones kept


def test_the_limits_are_set_by_environment_variables_and_a_rate_of_zero_turns_one_off(clock: Clock) -> None:
    limits = limits_from_environment({CLIENT_PER_MINUTE: "0", "TWITCHCHECK_SENDER_BURST": "3"})
    limits.clock = clock
    assert limits.clients is None
    assert [limits.admit("hal", "203.0.113.66", SHORT) == 0.0 for _ in range(4)] == [True] * 3 + [False]


@pytest.mark.parametrize(
    "environ",
    [{CLIENT_BURST: "lots"}, {CLIENT_BURST: "0.5"}, {SENDER_PER_MINUTE: "-1"}, {SENDER_PER_MINUTE: "inf"}],
    ids=["not-a-number", "burst-below-one", "negative-rate", "infinite"],
)
def test_a_limit_that_makes_no_sense_fails_loudly_naming_its_variable(environ: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="|".join(environ)):
        limits_from_environment(environ)
