"""Benchmark: how long the free-text extractor takes per message (`make bench`).

Runs the extractor over the annotated test messages several times after a warm-up and prints the
median, 95th percentile and maximum time per message. A measurement, not a test: nothing fails.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

import yaml

from bot.extract import extractor

SENTENCES = Path(__file__).resolve().parent.parent / "tests" / "data" / "extraction_sentences.yml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    texts = [s["text"] for s in yaml.safe_load(SENTENCES.read_text())["sentences"]]
    started = time.perf_counter()
    engine = extractor()
    build_ms = (time.perf_counter() - started) * 1000
    for text in texts:  # warm-up
        engine.extract(text)
    timings = []
    for _ in range(args.rounds):
        for text in texts:
            start = time.perf_counter()
            engine.extract(text)
            timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    print(
        f"extractor on {platform.machine()} {platform.python_implementation()} {platform.python_version()}: "
        f"{len(texts)} messages x {args.rounds} rounds"
    )
    print(
        f"  build {build_ms:.0f} ms; per message: median {statistics.median(timings):.2f} ms, "
        f"p95 {timings[int(len(timings) * 0.95)]:.2f} ms, max {timings[-1]:.2f} ms"
    )


if __name__ == "__main__":
    main()
