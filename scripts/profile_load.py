"""`make profile`: where Rasa spends its time while 10 people talk to it at once.

Starts the stack as `make run` runs it (SQLite, one Rasa process), or with --served as `make bench` serves it
(PostgreSQL, Redis locks, two Sanic workers), drives the benchmark's conversations (scripts/load_mix.yml)
from 10 concurrent users, and samples Rasa's processes with py-spy meanwhile, counting only the samples in
which a thread holds the GIL (its CPU time, not its waits). Writes a flame graph to results/profile.svg and
prints the functions that took the most time, with their share. This is how each speed-up in the history
was found; profile before changing anything for speed.

    .venv/bin/python -m scripts.profile_load [--users 10] [--seconds 20] [--served]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Optional, Sequence

from sqlalchemy.engine import make_url

from scripts.bench import BENCH_DATABASE, POSTGRES_URL, REDIS_URL, WARM_UP_SECONDS, served_database
from scripts.load import drive, mix
from scripts.stack import ROOT, Stack

RESULTS = ROOT / "results"
PY_SPY = Path(sys.executable).with_name("py-spy")
REQUEST_ENTRY = "handler (rasa/core/channels/channel.py"  # where a message enters Rasa


def record(pid: int, seconds: float, out: Path, fmt: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(PY_SPY), "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "200",
         "--nonblocking", "--gil", "--subprocesses", "--format", fmt, "--output", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def top_functions(raw: Path, count: int = 30) -> list[tuple[float, str]]:
    """The functions whose samples (themselves and what they called) took the largest share of the time.
    Left out: the frames every request runs through on its way to Rasa's channel handler (the server, the
    worker processes), which say nothing, and the process each stack starts with under --subprocesses."""
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        frames = stack.split(";")
        entry = next((i for i, frame in enumerate(frames) if frame.startswith(REQUEST_ENTRY)), None)
        total += int(samples)
        for frame in set(frames[entry + 1 :] if entry is not None else frames):
            if not frame.startswith("process "):
                inclusive[frame] += int(samples)
    shares = [(100 * n / total, frame) for frame, n in inclusive.most_common()] if total else []
    return shares[:count]


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--served", action="store_true", help="PostgreSQL, Redis locks, two workers: as make bench serves it"
    )
    args = parser.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="twitchcheck-profile-") as tmp:
        workdir, drop_database = Path(tmp), None
        if args.served:
            drop_database = served_database()
            database = make_url(POSTGRES_URL).set(database=BENCH_DATABASE)
            stack = Stack(workdir, str(database), env={"REDIS_URL": REDIS_URL, "SANIC_WORKERS": "2"})
        else:
            stack = Stack(workdir, f"sqlite:///{workdir / 'profile.db'}")
        try:
            assistant = stack.start()
            asyncio.run(
                drive(assistant.url, mix("twitchcheck"), args.users, WARM_UP_SECONDS, assistant.headers)
            )
            raw = workdir / "profile.txt"
            spies = [
                record(stack.rasa.pid, args.seconds, RESULTS / "profile.svg", "flamegraph"),
                record(stack.rasa.pid, args.seconds, raw, "raw"),
            ]
            load = threading.Thread(
                target=lambda: asyncio.run(
                    drive(assistant.url, mix("twitchcheck"), args.users, args.seconds, assistant.headers)
                )
            )
            load.start()
            load.join()
            for spy in spies:
                spy.wait(timeout=60)
            print(f"Rasa's CPU time while {args.users} users talk, by function (with what it calls):")
            for share, frame in top_functions(raw):
                print(f"  {share:5.1f}%  {frame}")
            print(f"\nflame graph: {(RESULTS / 'profile.svg').relative_to(ROOT)}")
        finally:
            stack.stop()
            if drop_database:
                drop_database()
    return 0

if __name__ == "__main__":
    sys.exit(main())
