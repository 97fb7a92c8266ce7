"""The free-text extractor: what people write becomes the findings they meant, "no" included."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot.extract import extract
from bot.findings import validate_findings

SENTENCES = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "data" / "extraction_sentences.yml").read_text()
)["sentences"]
MINIMUM = 0.90


def field_scores() -> dict[str, tuple[float, float, int]]:
    """Per finding: precision, recall and how many sentences state it, over the annotated sentences."""
    right, extra, missed = Counter(), Counter(), Counter()
    for sentence in SENTENCES:
        got, expected = dict(extract(sentence["text"]).findings), sentence["findings"]
        for name in set(got) | set(expected):
            if name in got and name in expected and got[name] == expected[name]:
                right[name] += 1
                continue
            extra[name] += name in got
            missed[name] += name in expected
    scores = {}
    for name in set(right) | set(extra) | set(missed):
        precision = right[name] / (right[name] + extra[name]) if right[name] + extra[name] else 1.0
        recall = right[name] / (right[name] + missed[name]) if right[name] + missed[name] else 1.0
        scores[name] = (precision, recall, right[name] + missed[name])
    return scores


def test_there_are_enough_annotated_sentences() -> None:
    assert len(SENTENCES) >= 80


def test_every_field_is_found_with_precision_and_recall_of_at_least_ninety_percent() -> None:
    scores = field_scores()
    print("\nfinding                     precision  recall  sentences")
    for name, (precision, recall, count) in sorted(scores.items()):
        print(f"{name:27} {precision:9.2f} {recall:7.2f} {count:10}")
    low = {name: s for name, s in scores.items() if s[0] < MINIMUM or s[1] < MINIMUM}
    assert not low, low


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no weakness", {"weakness": False}),
        ("haven't noticed any weakness or numbness", {"weakness": False, "numbness": False}),
        ("twitching without cramps", {"cramps": False}),
        ("denies fever", {"fever": False}),
        ("no weakness but my vision is blurry", {"weakness": False, "vision_change": True}),
        ("no weakness, numbness or cramps", {"weakness": False, "numbness": False, "cramps": False}),
        (
            "neither my speech nor my swallowing has changed",
            {"speech_change": False, "swallowing_difficulty": False},
        ),
        ("my grip is weaker and I keep dropping things", {"weakness": True}),
        ("food goes down the wrong way", {"swallowing_difficulty": True}),
        ("I can't catch my breath", {"breathing_difficulty": True}),
        ("pins and needles in my hands", {"numbness": True}),
        ("the muscle looks smaller", {"muscle_wasting": True}),
        ("I'm slurring my words", {"speech_change": True}),
        ("I keep losing balance", {"balance_problems": True}),
    ],
)
def test_negation_scopes_and_lay_words(text: str, expected: dict) -> None:
    findings = extract(text).findings
    for name, value in expected.items():
        assert findings.get(name) == value, (name, dict(findings))


@pytest.mark.parametrize(
    ("text", "name", "value"),
    [
        ("my calf twitches, 5 cups a day", "caffeine_cups_per_day", 5),
        ("calf twitch, two coffees a day", "caffeine_cups_per_day", 2),
        ("eyelid twitching and a couple of energy drinks a day", "caffeine_cups_per_day", 2),
        ("calf twitching for 3 weeks", "duration_days", 21),
        ("my thigh has twitched since last month", "duration_days", 30),
        ("eyelid twitching for a few days", "duration_days", 3),
        ("twitching in my arm, two months now", "duration_days", 60),
        ("my calves twitch", "location", ["calf"]),
        ("my eye keeps twitching", "location", ["eyelid"]),
        ("twitching thighs and fingers", "location", ["finger", "thigh"]),
        ("I take omeprazole and furosemide", "medications", ["diuretic", "proton_pump_inhibitor"]),
        ("on prednisone and sertraline", "medications", ["steroid", "antidepressant"]),
        ("I vape and use nicotine pouches", "nicotine", True),
        ("pre-workout every morning", "stimulants", True),
        ("calf twiching for 3 weks, no weeknes", "weakness", False),
    ],
)
def test_numbers_durations_places_medicines_and_typos(text: str, name: str, value: object) -> None:
    assert extract(text).findings.get(name) == value, dict(extract(text).findings)


def test_the_side_is_kept_where_said() -> None:
    extraction = extract("my left calf and right thumb twitch")
    assert extraction.sides == {"calf": "left", "thumb": "right"}


def test_general_questions_state_nothing_about_the_person() -> None:
    assert dict(extract("can coffee cause twitching?").findings) == {}
    assert dict(extract("what if it starts spreading?").findings) == {}


def test_extracted_findings_always_fit_the_vocabulary() -> None:
    for sentence in SENTENCES:
        validate_findings(extract(sentence["text"]).findings)


def test_the_command_line_prints_the_findings_as_json() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.extract",
            "calf twitching for a week, no weakness, I drink 4 cups of coffee a day",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(result.stdout) == {
        "location": ["calf"],
        "duration_days": 7,
        "weakness": False,
        "caffeine_cups_per_day": 4,
    }


def test_its_output_feeds_the_triage_command() -> None:
    extracted = subprocess.run(
        [sys.executable, "-m", "bot.extract", "my hand has twitched for 6 weeks and my grip is weaker"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    triage = subprocess.run(
        [sys.executable, "-m", "bot.triage"], input=extracted, capture_output=True, text=True, check=True
    )
    assert json.loads(triage.stdout)["level"] in ("see_doctor", "urgent", "emergency")


def test_only_the_beginning_of_a_very_long_message_is_read() -> None:
    filler = "and then I went for a walk " * 1000  # about 27,000 characters, nothing about twitching
    findings = extract("my left calf twitches, no weakness " + filler + " my grip is weaker").findings
    assert findings["weakness"] is False and "calf" in findings["location"]
