"""Misspellings read as the words meant before the safety screens look for a phrase."""

from __future__ import annotations

import pytest

from bot.spelling import edit_distance, safety_speller


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("i cant breth", "i can't breath"),
        ("chest pian", "chest pain"),
        ("sucidal thoughts", "suicidal thoughts"),
        ("siezure", "seizure"),
        ("unconsious", "unconscious"),
        ("thinking about su1cide", "thinking about suicide"),
        ("can i stpo my setraline", "can i stop my sertraline"),
        ("she isnt responding", "she isn't responding"),
        ("My Face Is Droopin", "my face is drooping"),
    ],
)
def test_typos_and_text_speak_are_read_as_the_words_meant(typed: str, meant: str) -> None:
    assert safety_speller().normalise(typed) == meant


@pytest.mark.parametrize(
    "ordinary",
    ["what was she checking", "i heard a noise", "fewer pills", "toddlers nap", "hunger strike", "3 weeks"],
)
def test_ordinary_words_a_typo_away_stay_as_they_are(ordinary: str) -> None:
    assert safety_speller().normalise(ordinary) == ordinary


def test_edit_distance_counts_a_swap_as_one_edit_and_gives_up_past_the_limit() -> None:
    assert edit_distance("siezure", "seizure", 1) == 1
    assert edit_distance("breath", "breathe", 1) == 1
    assert edit_distance("checking", "choking", 1) == 2
