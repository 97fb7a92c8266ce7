"""What a person's own story pre-fills in the check-in (issue 16): the extractor's recall of the findings a
careful reader labelled in the held-out stories (tests/data/stories_heldout.yml, written apart from the
training data and from the extractor's development sets). Printed per finding and gated at 0.9."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.extract import extract

STORIES = Path(__file__).resolve().parents[1] / "data" / "stories_heldout.yml"
# The day the set was written: "since last tuesday" is counted from it.
WRITTEN = date(2026, 12, 2)
MIN_RECALL = 0.9


def found(expected: Any, got: Any) -> bool:
    if isinstance(expected, list):
        return got is not None and set(expected) <= set(got if isinstance(got, list) else [got])
    return got == expected


def test_a_story_pre_fills_what_it_says() -> None:
    hits, labelled = Counter(), Counter()
    for item in yaml.safe_load(STORIES.read_text(encoding="utf-8"))["descriptions"]:
        findings = extract(item["text"], today=WRITTEN).findings
        for name, expected in (item.get("findings") or {}).items():
            labelled[name] += 1
            hits[name] += found(expected, findings.get(name))
    recall = sum(hits.values()) / sum(labelled.values())
    total = sum(labelled.values())
    print(f"\nstory findings: recall {recall:.3f} of {total} labelled (minimum {MIN_RECALL})")
    for name, count in labelled.most_common():
        print(f"  {name}: {hits[name]}/{count}")
    assert recall >= MIN_RECALL
