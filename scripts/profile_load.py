"""`make profile`: where Rasa spends its time while 10 people talk to it at once.

Starts the stack as `make run` runs it (SQLite, one Rasa process), drives the benchmark's conversations
(scripts/load_mix.yml) from 10 concurrent users, and samples Rasa's main thread with py-spy meanwhile. Writes
a flame graph to results/profile.svg and prints the functions that took the most time, with their share.
This is how each speed-up in the history was found; profile before changing anything for speed.

    .venv/bin/python -m scripts.profile_load [--users 10] [--seconds 20]
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

from scripts.load import drive, mix
from scripts.stack import ROOT, Stack

RESULTS = ROOT / "results"
PY_SPY = Path(sys.executable).with_name("py-spy")


def record(pid: int, seconds: float, out: Path, fmt: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(PY_SPY), "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "200",
         "--nonblocking", "--format", fmt, "--output", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def top_functions(raw: Path, count: int = 30) -> list[tuple[float, str]]:
    """The functions whose samples (themselves and what they called) took the largest share of the time,
    leaving out the spine every request runs through (over 90%), which says nothing."""
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        if "handle_request" not in stack:  # idle time between requests is not what we are after
            continue
        total += int(samples)
        for frame in set(stack.split(";")):
            inclusive[frame] += int(samples)
    shares = [(100 * n / total, frame) for frame, n in inclusive.most_common()] if total else []
    return [(share, frame) for share, frame in shares if share <= 90][:count]


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="twitchcheck-profile-") as tmp:
        stack = Stack(Path(tmp), f"sqlite:///{tmp}/profile.db")
        try:
            assistant = stack.start()
            asyncio.run(drive(assistant.url, mix("twitchcheck"), args.users, 3.0))  # warm up
            raw = Path(tmp) / "profile.txt"
            spies = [
                record(stack.rasa.pid, args.seconds, RESULTS / "profile.svg", "flamegraph"),
                record(stack.rasa.pid, args.seconds, raw, "raw"),
            ]
            load = threading.Thread(
                target=lambda: asyncio.run(drive(assistant.url, mix("twitchcheck"), args.users, args.seconds))
            )
            load.start()
            load.join()
            for spy in spies:
                spy.wait(timeout=60)
            print(f"Rasa's time while {args.users} users talk (share of the time spent handling requests):")
            for share, frame in top_functions(raw):
                print(f"  {share:5.1f}%  {frame}")
            print(f"\nflame graph: {(RESULTS / 'profile.svg').relative_to(ROOT)}")
        finally:
            stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
