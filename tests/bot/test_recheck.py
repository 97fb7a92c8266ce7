"""The re-check: the findings brought up to date, the level compared, and what changed said in plain words."""

from __future__ import annotations

import pytest

from bot.recheck import (
    HIGHER,
    NO,
    SAME,
    UNCLEAR,
    UNSURE,
    YES,
    RecheckAnswers,
    diary_note,
    read_answer,
    recheck,
    what_changed,
)

# A check-in that ended in self care: five days, left eyelid, every warning sign answered "no".
SELF_CARE = {
    "location": ["eyelid"],
    "duration_days": 5,
    "frequency": "occasional",
    "breathing_difficulty": False,
    "sudden_weakness": False,
    "seizure": False,
    "weakness": False,
    "muscle_wasting": False,
    "swallowing_difficulty": False,
    "speech_change": False,
}
STILL_NOTHING_NEW = RecheckAnswers(still_going=True, spread=False, new_weakness=False)


def test_the_self_care_example_is_self_care() -> None:
    assert recheck(SELF_CARE, STILL_NOTHING_NEW, 0).before.level == "self_care"


def test_two_more_weeks_make_it_long_lasting_and_the_reason_says_how_long() -> None:
    result = recheck(SELF_CARE, STILL_NOTHING_NEW, days_since=14.2)
    assert result.findings["duration_days"] == 19
    assert (result.before.level, result.after.level, result.change) == ("self_care", "see_doctor", HIGHER)
    said = what_changed(result)
    assert "from \"Look after it at home\" to \"See a doctor in the next few days\"" in said
    assert "it has now gone on for about 3 weeks, which is worth a doctor's visit" in said


def test_a_week_more_that_stays_short_keeps_the_advice_and_says_so() -> None:
    result = recheck(SELF_CARE, STILL_NOTHING_NEW, days_since=7)
    assert result.after.level == "self_care" and result.change == SAME
    same = 'Compared with your last check-in, my advice is the same: "Look after it at home".'
    assert what_changed(result) == same


@pytest.mark.parametrize(
    ("answers", "sign"),
    [
        (RecheckAnswers(True, True, False), "twitching that spreads"),
        (RecheckAnswers(True, False, True), "muscle weakness"),
        (RecheckAnswers(False, False, True), "muscle weakness"),  # stopped, but weak: still higher
    ],
)
def test_spreading_or_new_weakness_triages_higher_with_the_sign_named(answers, sign) -> None:
    result = recheck(SELF_CARE, answers, days_since=7)
    assert result.change == HIGHER and not result.settled
    assert f"you now report {sign}" in what_changed(result)


def test_stopped_with_nothing_new_is_reassuring_and_says_when_to_come_back() -> None:
    result = recheck(SELF_CARE, RecheckAnswers(False, False, False), days_since=14)
    assert result.settled
    assert result.findings["duration_days"] == 5, "time after it stopped is not counted as twitching"
    said = what_changed(result)
    assert said.startswith("That's reassuring") and "lasts 14 days or more" in said


def test_stopped_after_a_doctors_level_is_not_called_settled() -> None:
    before = {**SELF_CARE, "duration_days": 21}
    result = recheck(before, RecheckAnswers(False, False, False), days_since=7)
    assert not result.settled and result.after.level == "see_doctor"
    assert what_changed(result).startswith("Compared with your last check-in, my advice is the same")


def test_a_no_to_new_weakness_never_takes_back_an_old_one() -> None:
    before = {**SELF_CARE, "weakness": True}
    result = recheck(before, STILL_NOTHING_NEW, days_since=1)
    assert result.findings["weakness"] is True and result.change == SAME


def test_not_sure_it_still_goes_on_counts_the_time_as_if_it_did() -> None:
    result = recheck(SELF_CARE, RecheckAnswers(None, False, False), days_since=14)
    assert result.findings["duration_days"] == 19 and result.after.level == "see_doctor"


def test_without_an_earlier_check_in_the_diary_says_how_long() -> None:
    result = recheck(None, STILL_NOTHING_NEW, days_since=None, diary_days=20.5)
    assert result.findings["duration_days"] == 20 and result.before is None
    assert result.after.level == "see_doctor"
    assert what_changed(result).startswith("I have no earlier check-in of yours to compare with")


def test_with_an_earlier_check_in_that_left_out_how_long_the_time_since_is_the_least_it_lasted() -> None:
    before = {key: value for key, value in SELF_CARE.items() if key != "duration_days"}
    assert recheck(before, STILL_NOTHING_NEW, days_since=15).findings["duration_days"] == 15


@pytest.mark.parametrize(
    ("said", "answer"),
    [("yes", YES), ("Yeah", YES), ("no", NO), ("nope", NO), ("none", NO), ("not sure", UNSURE),
     ("I don't know", UNSURE), ("my calf hurts", UNCLEAR), ("", UNCLEAR)],
)
def test_answers_are_read_as_yes_no_or_not_sure(said: str, answer: str) -> None:
    assert read_answer(said) == answer


def test_the_answers_come_from_the_form_slots_and_unanswered_is_not_sure() -> None:
    assert RecheckAnswers.from_slots(YES, NO, None) == RecheckAnswers(True, False, None)


def test_the_diary_note_records_the_answers() -> None:
    assert diary_note(RecheckAnswers(True, True, None)) == (
        "Re-check: still twitching; spread: yes; new weakness: not sure."
    )
