"""`make bench`: how fast TwitchCheck answers under load, against the bot `rasa init` makes, on this machine.

For each bot it times a cold training and the start-up (until the first reply), then drives REST load
(scripts/load.py, the conversations of scripts/load_mix.yml) at 1, 10 and 50 concurrent users for a bounded
time each, and replays a few long conversations. It prints messages/s, latency percentiles, errors and the
servers' peak memory, and the ratio of TwitchCheck to the stock bot. A measurement, not a test: it fails only
if a bot cannot be trained or started.

TwitchCheck runs twice: as `make run` runs it (SQLite, one Rasa process) and as it is served (PostgreSQL,
Redis locks, two Sanic workers), skipped where PostgreSQL or Redis cannot be reached. The stock bot runs as
`rasa init` makes it: in-memory conversations, one process, no action server. The virtual users type at
machine speed from one address, so these runs have the test servers' fair-use limits (scripts/stack.py):
every message goes through the limiter, none is turned away.

Fair use under a flood, as `make run` runs it: people, each at a loopback address of their own, ask a
question every few seconds, first alone and then while one client at another address (127.0.0.2: every
127.x address is this machine, as distinct to the server as two hosts) keeps 16 messages of 5,000
characters in flight, ignoring Retry-After. Once with no limits (the attack) and once with the default
limits; it prints the people's median reply quiet and under the flood, the ratio, and the flood's requests
answered and refused with 429.

    .venv/bin/python -m scripts.bench [--seconds 20] [--users 1,10,50] [--turns 200] [--long 3]
                                      [--flood-seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import redis
import sqlalchemy as sa
from rasa.cli import scaffold

from bot.rate_limit import CLIENT_BURST, CLIENT_PER_MINUTE, SENDER_BURST, SENDER_PER_MINUTE
from scripts.load import (
    Conversation,
    FloodResult,
    LoadResult,
    drive,
    flood,
    long_conversation,
    mix,
    people,
)
from scripts.stack import RASA, ROOT, Stack, free_port, wait_until_up

RESULTS = ROOT / "results" / "bench.json"
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
BENCH_DATABASE = "twitchcheck_bench"
WARM_UP_SECONDS = 8.0  # new Sanic workers answer their first turns slowly; 3 s left that in the figures
# The flood: one client, 16 long messages in flight, while PEOPLE people each ask a question every
# PERSON_EVERY_SECONDS (within the default per-sender allowance of one every 2 s), each from 127.0.1.x.
FLOOD_ADDRESS = "127.0.0.2"
FLOOD_PARALLEL = 16
FLOOD_CHARACTERS = 5_000
PEOPLE = 10
PERSON_EVERY_SECONDS = 2.5
# As `make run` runs it: empty means the defaults of bot/rate_limit.py.
# As scripts/run.sh: REST callers on this machine need no token (the flood and the people are each at a
# loopback address of their own).
MAKE_RUN_ENV = {"TWITCHCHECK_REST_OPEN_ON_LOOPBACK": "1"}
DEFAULT_LIMITS = {SENDER_BURST: "", SENDER_PER_MINUTE: "", CLIENT_BURST: "", CLIENT_PER_MINUTE: ""}
QUIET_ENV = {
    "RASA_TELEMETRY_ENABLED": "false",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "TF_CPP_MIN_LOG_LEVEL": "2",
}


@dataclass
class Level:
    users: int
    messages_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    first_error: Optional[str]
    unanswered: int = 0

    @classmethod
    def of(cls, result: LoadResult) -> Level:
        return cls(
            result.users,
            result.messages_per_second,
            result.percentile(50),
            result.percentile(95),
            result.percentile(99),
            result.errors,
            result.first_error,
            result.unanswered,
        )


@dataclass
class FloodFigure:
    limits: str
    quiet_p50_ms: float
    flood_p50_ms: float
    quiet_p95_ms: float
    flood_p95_ms: float
    people_replies: int  # timed replies, quiet and under the flood
    people_errors: int
    flood_answered: int
    flood_refused: int
    flood_errors: int

    @property
    def ratio(self) -> float:
        return self.flood_p50_ms / self.quiet_p50_ms


@dataclass
class Measured:
    bot: str
    training_seconds: float = float("nan")
    startup_seconds: float = float("nan")
    peak_memory_mb: float = float("nan")
    levels: List[Level] = field(default_factory=list)
    turn_1_ms: float = float("nan")  # median over the long conversations of their first turn
    turn_last_ms: float = float("nan")  # ... and of their last
    early_turns_ms: float = float("nan")  # median of turns 2-11
    late_turns_ms: float = float("nan")  # median of the last 10 turns
    long_unanswered: int = 0  # turns of the long conversations that got no reply
    floods: List[FloodFigure] = field(default_factory=list)
    skipped: Optional[str] = None

    def level(self, users: int) -> Optional[Level]:
        return next((level for level in self.levels if level.users == users), None)


def train(project: Path, out: Path, config: str = "config.yml") -> float:
    """Trains `project` into out/model.tar.gz from an empty cache, so the time is a full training."""
    env = {**os.environ, **QUIET_ENV, "RASA_CACHE_DIRECTORY": str(out / "cache")}
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    subprocess.run(
        [str(RASA), "train", "--config", config, "--fixed-model-name", "model", "--out", str(out)],
        cwd=project,
        env=env,
        check=True,
        stdout=(out / "train.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    return time.perf_counter() - started


def stock_project(workdir: Path) -> Path:
    """The project `rasa init` creates, from this venv's Rasa."""
    project = workdir / "stock"
    shutil.copytree(scaffold.scaffold_path(), project)  # what `rasa init` copies
    return project


class StockBot:
    """The stock bot served as `rasa run` serves it (no action server: its scaffold has no custom action)."""

    def __init__(self, project: Path, model: Path) -> None:
        self.project, self.model, self.port = project, model, free_port()
        self.process: Optional[subprocess.Popen] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        log = self.project / "rasa.log"
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [str(RASA), "run", "--model", str(self.model), "--port", str(self.port)],
            cwd=self.project,
            env={**os.environ, **QUIET_ENV},
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until_up(f"{self.url}/webhooks/rest/", self.process, log)
        first_reply(self.url)
        return time.perf_counter() - started

    def processes(self) -> List[subprocess.Popen]:
        return [self.process] if self.process else []

    def stop(self) -> None:
        if self.process:
            os.killpg(self.process.pid, 15)
            self.process.wait(timeout=30)


def first_reply(url: str, headers: Optional[Dict[str, str]] = None) -> None:
    """The bot answers a first "hello" (start-up is timed to here)."""
    hello = [Conversation("hello", 1, ("hello",))]
    run = asyncio.run(long_conversation(url, hello, turns=1, headers=headers))
    if run.unanswered:
        raise RuntimeError(f"{url} answered its first 'hello' with nothing")


def peak_memory_mb(roots: Sequence[subprocess.Popen]) -> float:
    """The peak resident memory of the servers, their worker processes included (VmHWM, in MB)."""
    children: Dict[int, List[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    pids, total_kb = [p.pid for p in roots], 0
    while pids:
        pid = pids.pop()
        pids += children.get(pid, [])
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total_kb += next(
            (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM")), 0
        )
    return total_kb / 1024


def run_load(
    url: str,
    conversations: List[Conversation],
    args: argparse.Namespace,
    measured: Measured,
    headers: Optional[Dict[str, str]] = None,
) -> None:
    """`headers` go with every request: TwitchCheck's REST channel needs its token, as served."""
    for users in args.users:
        asyncio.run(drive(url, conversations, users, WARM_UP_SECONDS, headers))
        level = Level.of(asyncio.run(drive(url, conversations, users, args.seconds, headers)))
        measured.levels.append(level)
        print(
            f"  {users:>3} users: {level.messages_per_second:6.1f} msg/s, p50 {level.p50_ms:.0f} ms, "
            f"p95 {level.p95_ms:.0f} ms, p99 {level.p99_ms:.0f} ms, errors {level.errors}, "
            f"unanswered {level.unanswered}",
            flush=True,
        )
    long_runs = [
        asyncio.run(long_conversation(url, conversations, args.turns, headers)) for _ in range(args.long)
    ]
    measured.long_unanswered = sum(run.unanswered for run in long_runs)
    runs = [run.latencies_ms for run in long_runs]
    measured.turn_1_ms = statistics.median(run[0] for run in runs)
    measured.turn_last_ms = statistics.median(run[-1] for run in runs)
    measured.early_turns_ms = statistics.median(ms for run in runs for ms in run[1:11])
    measured.late_turns_ms = statistics.median(ms for run in runs for ms in run[-10:])
    print(
        f"  turn 1 {measured.turn_1_ms:.0f} ms, turn {args.turns} {measured.turn_last_ms:.0f} ms; "
        f"turns 2-11 {measured.early_turns_ms:.0f} ms, last 10 {measured.late_turns_ms:.0f} ms; "
        f"unanswered {measured.long_unanswered}",
        flush=True,
    )


def measure_flood(url: str, limits: str, args: argparse.Namespace) -> FloodFigure:
    """The people's reply times alone, then under one client's flood (see the module docstring)."""
    seconds = args.flood_seconds

    async def scenario() -> tuple[LoadResult, LoadResult, FloodResult]:
        await people(url, PEOPLE, WARM_UP_SECONDS / 2, PERSON_EVERY_SECONDS)
        quiet = await people(url, PEOPLE, seconds, PERSON_EVERY_SECONDS)
        attack = asyncio.ensure_future(
            flood(url, FLOOD_ADDRESS, FLOOD_PARALLEL, seconds + 2, FLOOD_CHARACTERS)
        )
        await asyncio.sleep(2)  # the flood under way
        flooded = await people(url, PEOPLE, seconds, PERSON_EVERY_SECONDS)
        return quiet, flooded, await attack

    quiet, flooded, attack = asyncio.run(scenario())
    figure = FloodFigure(
        limits,
        quiet.percentile(50),
        flooded.percentile(50),
        quiet.percentile(95),
        flooded.percentile(95),
        len(quiet.latencies_ms) + len(flooded.latencies_ms),
        quiet.errors + flooded.errors,
        attack.answered,
        attack.refused,
        attack.errors,
    )
    f = figure
    print(
        f"  flood, {limits}: people's median {f.quiet_p50_ms:.0f} ms quiet, {f.flood_p50_ms:.0f} ms under "
        f"the flood (x{f.ratio:.2f}; p95 {f.quiet_p95_ms:.0f} / {f.flood_p95_ms:.0f} ms), errors "
        f"{f.people_errors}; flood answered {f.flood_answered}, refused {f.flood_refused}, errors "
        f"{f.flood_errors} ({attack.first_error or 'none'})",
        flush=True,
    )
    return figure


def bench_stock(workdir: Path, args: argparse.Namespace) -> Measured:
    measured = Measured("stock rasa init")
    project = stock_project(workdir)
    print(f"{measured.bot}: training...", flush=True)
    measured.training_seconds = train(project, workdir / "stock-model")
    bot = StockBot(project, workdir / "stock-model" / "model.tar.gz")
    try:
        measured.startup_seconds = bot.start()
        run_load(bot.url, mix("stock"), args, measured)
        measured.peak_memory_mb = peak_memory_mb(bot.processes())
    finally:
        bot.stop()
    return measured


def bench_twitchcheck(
    name: str,
    workdir: Path,
    model: Path,
    database_url: str,
    env: Dict[str, str],
    args: argparse.Namespace,
    with_floods: bool = False,
) -> Measured:
    measured = Measured(name)
    stack = Stack(workdir, database_url, env=env, model=model, name=f"-{uuid.uuid4().hex[:6]}")
    try:
        stack.start_actions()
        started = time.perf_counter()
        assistant = stack.start()
        first_reply(stack.url, assistant.headers)
        measured.startup_seconds = time.perf_counter() - started
        run_load(stack.url, mix("twitchcheck"), args, measured, assistant.headers)
        measured.peak_memory_mb = peak_memory_mb(stack.processes())
        if with_floods and args.flood_seconds > 0:
            # This server's limits are the test servers' (far above machine speed): the attack, unlimited.
            measured.floods.append(measure_flood(stack.url, "no limits", args))
    finally:
        stack.stop()
    if with_floods and args.flood_seconds > 0:
        database = f"sqlite:///{workdir / f'flood-{uuid.uuid4().hex[:6]}.db'}"
        env = {**MAKE_RUN_ENV, **DEFAULT_LIMITS}
        limited = Stack(workdir, database, env=env, model=model, name=f"-{uuid.uuid4().hex[:6]}")
        try:
            limited.start()
            first_reply(limited.url)
            measured.floods.append(measure_flood(limited.url, "default limits", args))
        finally:
            limited.stop()
    return measured


def served_database() -> Callable[[], None]:
    """Creates the benchmark's own PostgreSQL database (dropped afterwards) and empties its Redis database."""
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    with admin.connect() as connection:
        connection.execute(sa.text(f"drop database if exists {BENCH_DATABASE} with (force)"))
        connection.execute(sa.text(f"create database {BENCH_DATABASE}"))
    redis.Redis.from_url(REDIS_URL, socket_timeout=3).flushdb()

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(sa.text(f"drop database if exists {BENCH_DATABASE} with (force)"))
        admin.dispose()

    return drop


def print_table(results: List[Measured], users: Sequence[int], turns: int) -> None:
    machine = f"{os.cpu_count()} cores, {platform.machine()}, CPython {platform.python_version()}"
    ran = [m for m in results if not m.skipped]
    print(f"\n`make bench` on this machine ({machine}):\n")
    print("| | " + " | ".join(m.bot for m in ran) + " |")
    print("|---|" + "---|" * len(ran))

    def row(label: str, cell: Callable[[Measured], str]) -> None:
        print(f"| {label} | " + " | ".join(cell(m) for m in ran) + " |")

    row(
        "training (cold)",
        lambda m: f"{m.training_seconds:.0f} s" if m.training_seconds == m.training_seconds else "-",
    )
    row("start-up to first reply", lambda m: f"{m.startup_seconds:.0f} s")
    row("peak memory (all processes)", lambda m: f"{m.peak_memory_mb:.0f} MB")
    for n in users:
        row(f"{n} users: messages/s", lambda m, n=n: f"{m.level(n).messages_per_second:.1f}")
        row(
            f"{n} users: p50 / p95 / p99 ms",
            lambda m, n=n: f"{m.level(n).p50_ms:.0f} / {m.level(n).p95_ms:.0f} / {m.level(n).p99_ms:.0f}",
        )
        row(f"{n} users: errors", lambda m, n=n: str(m.level(n).errors))
        row(f"{n} users: turns without a reply", lambda m, n=n: str(m.level(n).unanswered))
    row(f"turn 1 / turn {turns} ms", lambda m: f"{m.turn_1_ms:.0f} / {m.turn_last_ms:.0f}")
    row("turns 2-11 / last 10 ms", lambda m: f"{m.early_turns_ms:.0f} / {m.late_turns_ms:.0f}")
    row(f"{turns}-turn conversations: turns without a reply", lambda m: str(m.long_unanswered))
    for m in results:
        if m.skipped:
            print(f"\n{m.bot}: skipped ({m.skipped})")
    for m in ran:
        if m.floods:
            print(
                f"\nFair use under a flood ({m.bot}): {PEOPLE} people, each asking a question every "
                f"{PERSON_EVERY_SECONDS} s from an address of their own, alone and while one client keeps "
                f"{FLOOD_PARALLEL} messages of {FLOOD_CHARACTERS:,} characters in flight:\n"
            )
            print("| | people's median reply, quiet / under the flood | ratio | p95 quiet / under the flood "
                  "| people's errors | flood requests answered / refused (429) |")
            print("|---|---|---|---|---|---|")
            for f in m.floods:
                print(
                    f"| {f.limits} | {f.quiet_p50_ms:.0f} / {f.flood_p50_ms:.0f} ms | x{f.ratio:.1f} | "
                    f"{f.quiet_p95_ms:.0f} / {f.flood_p95_ms:.0f} ms | {f.people_errors} | "
                    f"{f.flood_answered} / {f.flood_refused} |"
                )
    stock = next((m for m in ran if m.bot.startswith("stock")), None)
    if stock is None:
        return
    print("\nRatio to the stock bot (throughput: higher is better; p95: lower is better):")
    for m in ran:
        if m is stock:
            continue
        parts = []
        for n in users:
            ours, theirs = m.level(n), stock.level(n)
            parts.append(
                f"{n} users: throughput x{ours.messages_per_second / theirs.messages_per_second:.2f}, "
                f"p95 x{ours.p95_ms / theirs.p95_ms:.2f}"
            )
        print(f"  {m.bot}: " + "; ".join(parts))
        print(
            f"    turn {turns} / turn 1: x{m.turn_last_ms / m.turn_1_ms:.2f} "
            f"(last 10 / turns 2-11: x{m.late_turns_ms / m.early_turns_ms:.2f})"
        )


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="load per concurrency level")
    parser.add_argument("--users", type=lambda s: [int(n) for n in s.split(",")], default=[1, 10, 50])
    parser.add_argument("--turns", type=int, default=200, help="turns of each long conversation")
    parser.add_argument("--long", type=int, default=3, help="how many long conversations")
    parser.add_argument(
        "--flood-seconds", type=float, default=20.0, help="each phase of the flood figure (0: none)"
    )
    args = parser.parse_args(argv)

    results: List[Measured] = []
    with tempfile.TemporaryDirectory(prefix="twitchcheck-bench-") as tmp:
        workdir = Path(tmp)
        results.append(bench_stock(workdir, args))

        print("TwitchCheck: training...", flush=True)
        training = train(ROOT, workdir / "model")
        model = workdir / "model" / "model.tar.gz"
        print("TwitchCheck as make run runs it (SQLite, one process):", flush=True)
        made = bench_twitchcheck(
            "TwitchCheck, make run",
            workdir,
            model,
            f"sqlite:///{workdir / 'bench.db'}",
            MAKE_RUN_ENV,
            args,
            with_floods=True,
        )
        made.training_seconds = training
        results.append(made)

        served = Measured("TwitchCheck, served (2 workers)", training_seconds=training)
        try:
            drop = served_database()
        except (sa.exc.OperationalError, redis.exceptions.ConnectionError) as error:
            served.skipped = f"PostgreSQL at {POSTGRES_URL} or Redis at {REDIS_URL} unreachable: {error}"
        else:
            try:
                print("TwitchCheck as served (PostgreSQL, Redis locks, two workers):", flush=True)
                database = sa.engine.make_url(POSTGRES_URL).set(database=BENCH_DATABASE)
                env = {"REDIS_URL": REDIS_URL, "SANIC_WORKERS": "2"}
                served = bench_twitchcheck(served.bot, workdir, model, str(database), env, args)
                served.training_seconds = training
            finally:
                drop()
        results.append(served)

    print_table(results, args.users, args.turns)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps([asdict(m) for m in results], indent=2))
    print(f"\n(also in {RESULTS.relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
