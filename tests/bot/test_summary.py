"""The doctor-visit summary: pertinent positives and negatives, habits, diary and assessment, cited."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.knowledge import knowledge_base
from bot.storage.repository import DiaryEntry, StoredAssessment
from bot.summary import build_summary, chat_text, markdown
from bot.triage import assess

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=timezone.utc)
CALF_TWITCH = {
    "location": ["calf"],
    "duration_days": 21,
    "weakness": False,
    "numbness": True,
    "caffeine_cups_per_day": 5,
    "sleep_hours": 5,
}
DIARY = [
    DiaryEntry(1, "p", NOW - timedelta(days=20), "calf", "left", 2.0, None),
    DiaryEntry(2, "p", NOW - timedelta(days=1), "calf", "left", None, None),
]


def stored() -> StoredAssessment:
    result = assess(CALF_TWITCH).to_dict()
    return StoredAssessment(1, "p", NOW - timedelta(hours=1), CALF_TWITCH, result, result["level"], "v")


def test_the_chat_summary_separates_what_was_reported_from_what_was_not() -> None:
    text = chat_text(build_summary(NOW, DIARY, stored()))
    assert "• Reported: numbness or tingling" in text
    assert "• Not present: no muscle weakness" in text
    assert "5 cups of coffee, tea or energy drinks a day" in text and "about 5 hours of sleep" in text
    assert "2 twitches logged, the first 20 days ago" in text
    assert "Latest assessment" in text and "twitching for two weeks or more" in text
    assert "not a diagnosis" in text


def test_the_summary_cites_both_articles_by_title() -> None:
    text = chat_text(build_summary(NOW, DIARY, stored()))
    for source in knowledge_base().sources.values():
        if source.kind == "article":
            assert source.title in text


def test_the_file_has_every_section_and_the_whole_diary() -> None:
    document = markdown(build_summary(NOW, DIARY, stored()))
    for heading in (
        "# Muscle twitching: summary for the doctor",
        "## Pertinent positives (reported)",
        "## Pertinent negatives (said not present)",
        "## Habits and medicines",
        "## Twitch diary",
        "## Latest assessment",
        "## Sources",
    ):
        assert heading in document
    assert "- Mon 2 Nov 2026, 09:30 UTC: left calf, lasted about 2 minutes" in document
    assert "- Sat 21 Nov 2026, 09:30 UTC: left calf" in document
    assert "Everyday triggers that may contribute: caffeine, short sleep." in document


def test_without_stored_records_the_summary_comes_from_this_conversation() -> None:
    result = assess(CALF_TWITCH).to_dict()
    summary = build_summary(NOW, (), None, CALF_TWITCH, result)
    assert summary.findings_from == "this conversation"
    assert "no twitch diary kept" in chat_text(summary)


def test_with_nothing_known_the_summary_says_how_to_start() -> None:
    summary = build_summary(NOW)
    assert summary.is_empty
    assert "check my symptoms" in chat_text(summary)


def test_a_guideline_sign_is_reported_and_its_guideline_cited() -> None:
    findings = {
        **CALF_TWITCH,
        "falls_or_tripping": True,
        "morning_headaches": False,
        "location": ["eyelid"],
        "duration_days": 120,
    }
    text = chat_text(build_summary(NOW, (), None, findings, assess(findings).to_dict()))
    assert "falls or tripping" in text and "no headaches on waking" in text
    assert "eyelid twitching for more than three months" in text
    for source_id in ("nice_ng42", "nice_ng127"):
        assert knowledge_base().sources[source_id].title in text
