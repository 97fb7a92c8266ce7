"""Benchmark: how long Rasa's whole NLU pipeline takes per message (`make bench`).

Loads the trained model and parses the held-out questions (tests/data/nlu_heldout) one at a time, after a
warm-up: every component of config.yml runs, the classifiers, the findings extractor, the safety and
emergency screens and the reading of stories and follow-ups. Prints the median, 95th percentile and maximum
per message against the 5 ms budget of issue 16. A measurement, not a test: nothing fails.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import platform
import statistics
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "twitchcheck.tar.gz"
HELD_OUT = ROOT / "tests" / "data" / "nlu_heldout"
BUDGET_MS = 5.0


def held_out_texts() -> list[str]:
    texts = []
    for path in sorted(HELD_OUT.glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            for line in str(block.get("examples") or "").splitlines():
                if line.strip().startswith("- "):
                    texts.append(line.strip()[2:].strip())
    return texts


async def measure(rounds: int) -> tuple[list[float], int]:
    from rasa.core.agent import Agent  # late: loading Rasa takes seconds
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # no debug line per parse
    agent = Agent.load(str(MODEL))
    texts = held_out_texts()
    for text in texts:  # warm-up
        await agent.parse_message(text)
    timings = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter()
            await agent.parse_message(text)
            timings.append((time.perf_counter() - start) * 1000)
    return sorted(timings), len(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    timings, count = asyncio.run(measure(args.rounds))
    p95 = timings[int(len(timings) * 0.95)]
    median = statistics.median(timings)
    print(
        f"NLU pipeline on {platform.machine()} {platform.python_implementation()} "
        f"{platform.python_version()}: {count} held-out messages x {args.rounds} rounds"
    )
    print(
        f"  per message: median {median:.2f} ms, p95 {p95:.2f} ms, max {timings[-1]:.2f} ms "
        f"(budget {BUDGET_MS:.0f} ms: {'within' if median <= BUDGET_MS else 'OVER'})"
    )


if __name__ == "__main__":
    main()
