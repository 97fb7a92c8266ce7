"""The assessment card every channel draws: its title is the level's, sent in the payload from
data/red_flags.yml, so no channel keeps a copy of the words."""

from __future__ import annotations

import pytest

from bot.cards import assessment_card
from bot.triage import LEVELS, assess, red_flag_rules

CALF_FOR_A_MONTH = {"location": ["calf"], "duration_days": 30}


def payload(findings: dict) -> dict:
    return {"type": "assessment", **assess(findings).to_dict()}


def test_the_card_is_titled_with_the_levels_title_from_the_payload() -> None:
    card = assessment_card(payload(CALF_FOR_A_MONTH))
    assert card.level == "see_doctor" and card.title == "See a doctor in the next few days"
    assert card.mark == "🟡" and card.what_to_do.startswith("Make an appointment with your doctor")


def test_the_title_the_payload_sends_is_the_one_shown() -> None:
    sent = {**payload(CALF_FOR_A_MONTH), "level_title": "A title a clinician rewrote"}
    assert assessment_card(sent).title == "A title a clinician rewrote"


@pytest.mark.parametrize("level", LEVELS)
def test_a_payload_kept_from_before_titles_were_sent_gets_its_levels_title(level: str) -> None:
    old = {key: value for key, value in payload(CALF_FOR_A_MONTH).items() if key != "level_title"}
    assert assessment_card({**old, "level": level}).title == red_flag_rules().levels[level].title


def test_an_unknown_level_is_shown_as_urgent() -> None:
    old = {key: value for key, value in payload(CALF_FOR_A_MONTH).items() if key != "level_title"}
    card = assessment_card({**old, "level": "something_new"})
    assert card.level == "urgent" and card.title == red_flag_rules().levels["urgent"].title


def test_the_card_reads_in_the_words_of_the_message() -> None:
    card = assessment_card(payload({**CALF_FOR_A_MONTH, "caffeine_cups_per_day": 5}))
    assert card.why_section.startswith("Why:\n• ") and card.why_section.count("\n• ") == len(card.why)
    assert card.triggers_section.startswith("What may be feeding the twitching:\n• ")
    assert card.if_worse_line == f"If things get worse: {card.if_worse}"
    assert card.sources_line == "Sources: " + "; ".join(card.sources)
    assert card.not_a_diagnosis == "General information, not a diagnosis."


def test_a_card_with_nothing_to_list_has_no_empty_headings() -> None:
    card = assessment_card({"type": "assessment", "level": "self_care"})
    assert card.why_section == card.triggers_section == card.sources_line == ""

