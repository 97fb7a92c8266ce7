"""Fails when the held-out NLU evaluation falls below a minimum accuracy.

Reads the reports `rasa test nlu` writes (intent_report.json, response_selection_report.json), prints
the accuracy of intents and of FAQ retrieval with how many questions it got wrong, and exits 1 below the
minimum. Which questions is not printed: the set is held out, and what is read while tuning stops being.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def accuracy(report_dir: Path, report: str, errors: str) -> tuple[float, list[dict]]:
    scores = json.loads((report_dir / report).read_text())
    error_file = report_dir / errors
    wrong = json.loads(error_file.read_text()) if error_file.exists() else []
    return float(scores["accuracy"]), wrong


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("report_dir", type=Path)
    parser.add_argument("--minimum", type=float, default=0.90, help="for both, unless given apart")
    parser.add_argument("--intent-minimum", type=float, default=None)
    parser.add_argument("--faq-minimum", type=float, default=None)
    args = parser.parse_args(argv)
    failed = False
    for name, report, errors, minimum in (
        ("intents", "intent_report.json", "intent_errors.json", args.intent_minimum),
        ("FAQ retrieval", "response_selection_report.json", "response_selection_errors.json",
         args.faq_minimum),
    ):
        minimum = args.minimum if minimum is None else minimum
        score, wrong = accuracy(args.report_dir, report, errors)
        ok = score >= minimum
        failed |= not ok
        print(
            f"{name}: accuracy {score:.3f} on held-out questions (minimum {minimum:.2f}) "
            f"{'OK' if ok else 'TOO LOW'}; {len(wrong)} wrong"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
