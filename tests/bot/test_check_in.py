"""The check-in's reading of answers: buttons and free text become the findings a person meant."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.check_in import ANSWERED, NAME_THEM, UNCLEAR, UNKNOWN, WHY, check_in, load_check_in
from bot.findings import FINDINGS, validate_findings

ROOT = Path(__file__).resolve().parents[2]
INTERVIEW = check_in()

READINGS = [
    # (question, answer, findings it must give)
    (
        "emergency_screen",
        "none of these",
        {"breathing_difficulty": False, "sudden_weakness": False, "seizure": False},
    ),
    ("emergency_screen", "Nope", {"breathing_difficulty": False, "seizure": False}),
    ("emergency_screen", "yes", {"unspecified_emergency_sign": True}),
    (
        "emergency_screen",
        "no trouble breathing but I had a seizure",
        {"breathing_difficulty": False, "seizure": True},
    ),
    ("location", "left calf and both eyelids", {"location": ["eyelid", "calf"]}),
    ("location", "my calves", {"location": ["calf"]}),
    ("location", "all over", {"location": ["whole_body"]}),
    ("duration", "about 3 weeks", {"duration_days": 21}),
    ("duration", "a couple of weeks", {"duration_days": 14}),
    ("duration", "since last month", {"duration_days": 30}),
    ("duration", "a few days", {"duration_days": 3}),
    ("duration", "two months now", {"duration_days": 60}),
    ("duration", "1-2 weeks", {"duration_days": 14}),
    ("frequency", "every day", {"frequency": "daily"}),
    ("frequency", "nearly all the time", {"frequency": "constant"}),
    ("frequency", "mostly as I fall asleep", {"when_falling_asleep": True}),
    ("muscles_and_nerves", "weakness but no numbness", {"weakness": True, "numbness": False}),
    ("muscles_and_nerves", "my grip is weaker and I'm slurring", {"weakness": True, "speech_change": True}),
    (
        "muscles_and_nerves",
        "none",
        {"weakness": False, "muscle_wasting": False, "swallowing_difficulty": False},
    ),
    ("body_and_history", "cramps and my dad had a nerve disease", {"cramps": True, "family_history": True}),
    (
        "muscles_and_nerves",
        "I keep tripping and dropping things",
        {"falls_or_tripping": True, "dexterity_loss": True},
    ),
    (
        "muscles_and_nerves",
        "no falls, but my handwriting got worse",
        {"falls_or_tripping": False, "dexterity_loss": True},
    ),
    ("muscles_and_nerves", "my family says I've changed", {"behaviour_or_thinking_change": True}),
    (
        "muscles_and_nerves",
        "none",
        {"falls_or_tripping": False, "dexterity_loss": False, "behaviour_or_thinking_change": False},
    ),
    (
        "body_and_history",
        "out of breath lying down and I wake up with headaches",
        {"breathless_lying_flat_or_on_exertion": True, "morning_headaches": True},
    ),
    ("body_and_history", "sleepy all day", {"daytime_sleepiness": True}),
    ("body_and_history", "headaches", {"morning_headaches": True}),
    ("body_and_history", "stiff muscles, no cramps", {"muscle_stiffness": True, "cramps": False}),
    (
        "body_and_history",
        "none of these",
        {
            "breathless_lying_flat_or_on_exertion": False,
            "morning_headaches": False,
            "daytime_sleepiness": False,
        },
    ),
    (
        "frequency",
        "every day, and it squeezes my eye shut",
        {"frequency": "daily", "eyelid_forceful_closing": True},
    ),
    ("duration", "4 months", {"duration_days": 120}),
    ("caffeine", "about 3 cups", {"caffeine_cups_per_day": 3}),
    ("caffeine", "3-4", {"caffeine_cups_per_day": 4}),
    ("caffeine", "two coffees", {"caffeine_cups_per_day": 2}),
    ("caffeine", "none", {"caffeine_cups_per_day": 0}),
    ("caffeine", "I don't drink coffee", {"caffeine_cups_per_day": 0}),
    ("sleep", "5-6 hours", {"sleep_hours": 5}),
    ("sleep", "about six", {"sleep_hours": 6}),
    ("sleep", "less than 5", {"sleep_hours": 4}),
    ("lifestyle", "stressed with exams and I vape", {"stress": True, "nicotine": True}),
    (
        "medications",
        "omeprazole and sertraline",
        {"medications": ["antidepressant", "proton_pump_inhibitor"]},
    ),
    ("medications", "none of these", {"medications": [], "b6_supplements": False}),
    ("medications", "several supplements with B6", {"b6_supplements": True}),
]


@pytest.mark.parametrize(("question_id", "answer", "expected"), READINGS)
def test_answers_give_the_findings_meant(question_id: str, answer: str, expected: dict) -> None:
    reading = INTERVIEW.interpret(INTERVIEW.question(question_id), answer)
    assert reading.status == ANSWERED
    for name, value in expected.items():
        assert reading.findings[name] == value, (name, dict(reading.findings))
    validate_findings(reading.findings)


@pytest.mark.parametrize(
    ("question_id", "answer", "status"),
    [
        ("location", "I don't know", UNKNOWN),
        ("medications", "skip", UNKNOWN),
        ("duration", "not sure", UNKNOWN),
        ("caffeine", "why do you ask?", WHY),
        ("sleep", "Why?", WHY),
        ("muscles_and_nerves", "yes", NAME_THEM),
        ("duration", "ages", UNCLEAR),
        ("sleep", "30", UNCLEAR),
        ("location", "", UNCLEAR),
        ("caffeine", "does coffee cause twitching?", UNCLEAR),
    ],
)
def test_unknowns_whys_and_unclear_answers_are_told_apart(question_id: str, answer: str, status: str) -> None:
    assert INTERVIEW.interpret(INTERVIEW.question(question_id), answer).status == status


def test_an_unknown_never_becomes_a_no() -> None:
    reading = INTERVIEW.interpret(INTERVIEW.question("muscles_and_nerves"), "I don't know")
    assert reading.findings == {}


def test_a_typical_person_is_asked_at_most_ten_questions() -> None:
    assert len(INTERVIEW.questions) <= 10


def test_every_question_fits_its_buttons_on_a_phone() -> None:
    for question in INTERVIEW.questions:
        assert len(question.buttons) <= 9, question.id


def test_every_yes_no_finding_is_asked_by_some_question() -> None:
    asked = {name for q in INTERVIEW.questions for name in q.findings}
    asked |= {q.on_bare_yes for q in INTERVIEW.questions if q.on_bare_yes}
    yes_no = {name for name, finding in FINDINGS.items() if finding.kind == "bool"}
    assert yes_no - asked == set()


def test_no_trouble_breathing_is_not_read_as_breathlessness_lying_flat() -> None:
    question = INTERVIEW.question("body_and_history")
    reading = INTERVIEW.interpret(question, "no trouble breathing, just stiff muscles")
    assert reading.findings == {"muscle_stiffness": True}
    assert reading.extra == {"breathing_difficulty": False}


def test_known_findings_skip_their_questions() -> None:
    remaining = INTERVIEW.remaining({"location": ["calf"], "duration_days": 7}, answered=set())
    assert [q.id for q in remaining][:3] == ["emergency_screen", "frequency", "muscles_and_nerves"]


def test_an_emergency_sign_ends_the_questions() -> None:
    assert INTERVIEW.remaining({"seizure": True}, answered=set()) == []
    assert INTERVIEW.remaining({"unspecified_emergency_sign": True}, answered=set()) == []


def test_emergency_screen_comes_first_and_every_question_explains_itself() -> None:
    assert INTERVIEW.questions[0].id == "emergency_screen"
    for question in INTERVIEW.questions:
        assert question.why and question.buttons and question.text


def test_every_button_is_understood_by_its_own_question() -> None:
    for question in INTERVIEW.questions:
        for button in question.buttons:
            reading = INTERVIEW.interpret(question, button["payload"])
            assert reading.status == ANSWERED, (question.id, button)


def test_the_form_in_the_domain_asks_the_questions_in_data_order() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    assert domain["forms"]["check_in_form"]["required_slots"] == [
        f"checkin_{q.id}" for q in INTERVIEW.questions
    ]


def test_a_question_naming_an_unknown_finding_is_refused(tmp_path: Path) -> None:
    broken = (
        (ROOT / "data" / "check_in.yml")
        .read_text()
        .replace("findings: [caffeine_cups_per_day]", "findings: [coffees]")
    )
    (tmp_path / "check_in.yml").write_text(broken)
    with pytest.raises(ValueError, match="coffees"):
        load_check_in(tmp_path / "check_in.yml")


def test_knowing_how_often_skips_the_frequency_question() -> None:
    remaining = INTERVIEW.remaining({"frequency": "daily"}, answered=set())
    assert "frequency" not in [q.id for q in remaining]
