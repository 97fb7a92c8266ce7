"""Check-in actions on real Tracker and CollectingDispatcher objects: validation, result and stop."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.check_in import ActionCheckInResult, ActionStopCheckIn, ValidateCheckInForm
from actions.emergency import ActionEmergency
from bot.cards import assessment_card
from bot.check_in import check_in
from bot.emergency import IF_URGENT
from bot.triage import assess
from tests.actions.replies import rendered

QUESTION_SLOTS = [f"checkin_{q.id}" for q in check_in().questions]
DOMAIN = {"forms": {"check_in_form": {"required_slots": QUESTION_SLOTS}}, "slots": {}}


def form_tracker(
    requested: str,
    answer: str,
    findings: dict[str, Any],
    answered: dict[str, str] | None = None,
    intent: str = "inform",
    topic: tuple[str, float] | None = None,
) -> Tracker:
    """The tracker the form's validation sees right after the person answered `requested`."""
    if answered is None:  # as in a real check-in: every earlier question has been answered
        answered = {slot: "answered" for slot in QUESTION_SLOTS[: QUESTION_SLOTS.index(requested)]}
    slots = {slot: None for slot in QUESTION_SLOTS} | answered
    slots |= {"findings": findings, "requested_slot": requested, requested: answer}
    latest = {
        "text": answer,
        "intent": {"name": intent, "confidence": 0.9},
        "response_selector": {
            "faq": {
                "response": {"intent_response_key": f"faq/{topic[0]}", "confidence": topic[1]}
                if topic
                else {},
                "ranking": [],
            }
        },
    }
    events = [{"event": "user", "text": answer}, {"event": "slot", "name": requested, "value": answer}]
    return Tracker("someone", slots, latest, events, False, None, {"name": "check_in_form"}, "check_in_form")


def validate(tracker: Tracker) -> tuple[list[dict], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidateCheckInForm().run(dispatcher, tracker, DOMAIN))
    dispatcher.messages = [rendered(message) for message in dispatcher.messages]  # as Rasa sends them
    return events, dispatcher


def slot_values(events: list[dict]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_a_free_text_answer_becomes_findings_and_the_next_question_is_requested() -> None:
    events, dispatcher = validate(
        form_tracker(
            "checkin_duration",
            "about 3 weeks",
            {"location": ["calf"]},
            {"checkin_emergency_screen": "none", "checkin_location": "calf"},
        )
    )
    values = slot_values(events)
    assert values["findings"] == {"location": ["calf"], "duration_days": 21}
    assert values["requested_slot"] == "checkin_frequency"
    assert dispatcher.messages == []


def test_an_unclear_answer_is_asked_again_with_a_clear_hint() -> None:
    events, dispatcher = validate(form_tracker("checkin_duration", "ages", {}))
    assert slot_values(events)["checkin_duration"] is None
    assert slot_values(events)["requested_slot"] == "checkin_duration"
    assert dispatcher.messages[0]["response"] == "utter_check_in_didnt_understand"


def test_why_explains_the_question_then_asks_it_again() -> None:
    events, dispatcher = validate(form_tracker("checkin_caffeine", "why do you ask?", {}))
    assert "excitable" in dispatcher.messages[0]["text"]
    assert slot_values(events)["requested_slot"] == "checkin_caffeine"


def test_a_faq_question_mid_form_is_answered_and_the_form_resumes() -> None:
    tracker = form_tracker(
        "checkin_sleep", "is magnesium good for twitching?", {}, intent="faq", topic=("magnesium", 0.9)
    )
    events, dispatcher = validate(tracker)
    assert dispatcher.messages[0]["text"].startswith(check_in_answer("magnesium"))
    assert dispatcher.messages[1]["response"] == "utter_check_in_resume"
    assert slot_values(events)["requested_slot"] == "checkin_sleep"


def test_an_unplaced_question_mid_form_right_after_an_answer_is_about_that_answer() -> None:
    """"how many rest days then?" after the exercise answer, which the classifier could not place, gets
    the exercise answer again rather than "I didn't catch that", and the form resumes."""
    tracker = form_tracker("checkin_sleep", "how many rest days then?", {}, intent="nlu_fallback")
    ranking = [{"intent_response_key": "faq/exercise_recovery", "confidence": 0.3}]
    tracker.latest_message["response_selector"]["faq"]["ranking"] = ranking
    tracker.slots["last_topic"] = "exercise_recovery"
    tracker.events[:0] = [
        {"event": "user", "text": "why do my legs twitch after running?"},
        {"event": "slot", "name": "last_topic", "value": "exercise_recovery"},
    ]
    _, dispatcher = validate(tracker)
    assert dispatcher.messages[0]["text"].startswith(check_in_answer("exercise_recovery"))
    assert dispatcher.messages[1]["response"] == "utter_check_in_resume"


def check_in_answer(topic_id: str) -> str:
    from bot.knowledge import knowledge_base

    return knowledge_base().topics[topic_id].answer


def test_skip_leaves_the_findings_unknown_and_moves_on() -> None:
    events, _ = validate(form_tracker("checkin_location", "skip", {}, {"checkin_emergency_screen": "none"}))
    values = slot_values(events)
    assert values["findings"] == {} and values["checkin_location"] == "(skipped)"
    assert values["requested_slot"] == "checkin_duration"


def test_a_yes_to_the_emergency_screen_ends_the_questions() -> None:
    events, _ = validate(form_tracker("checkin_emergency_screen", "yes", {}, {}))
    assert slot_values(events)["requested_slot"] is None


def run_result(findings: dict[str, Any]) -> list[dict]:
    dispatcher = CollectingDispatcher()
    tracker = Tracker("someone", {"findings": findings}, {}, [], False, None, {}, "check_in_form")
    asyncio.run(ActionCheckInResult().run(dispatcher, tracker, DOMAIN))
    # The result; a question about keeping it may follow.
    return [rendered(message) for message in dispatcher.messages[:1]]


def test_findings_the_vocabulary_rejects_get_an_apology_that_ends_with_the_emergency_line() -> None:
    [message] = run_result({"no_such_finding": True})
    assert message["text"].startswith("Sorry, something went wrong with your answers")
    assert message["text"].endswith(IF_URGENT) and not message.get("custom")


def payload_entries(message: dict) -> list:
    return message["custom"]["red_flags"] + message["custom"]["contributors"]


def test_the_result_gives_level_reasons_contributors_and_not_a_diagnosis_in_that_order() -> None:
    findings = {
        "breathing_difficulty": False,
        "sudden_weakness": False,
        "seizure": False,
        "weakness": True,
        "muscle_wasting": False,
        "swallowing_difficulty": False,
        "speech_change": False,
        "caffeine_cups_per_day": 5,
        "location": ["hand"],
        "duration_days": 40,
    }
    [message] = run_result(findings)
    text = message["text"]
    # The level's name first and the sources last, for a widget that shows only the text.
    assert text.startswith("See a doctor in the next few days. Make an appointment with your doctor")
    assert (
        text.index("Why:")
        < text.index("What may be feeding the twitching:")
        < text.index("Sources: “")
        < text.index("not a diagnosis")
    )
    for entry in payload_entries(message):
        assert entry["source_title"] in text
    payload = message["custom"]
    assert payload["type"] == "assessment" and payload["level"] == "see_doctor"
    assert payload["level_title"] == "See a doctor in the next few days"  # the card's heading, from data
    assert payload["card_headings"]["why"] == "Why"  # the widget's headings too
    assert "weakness" in [flag["id"] for flag in payload["red_flags"]]
    assert "caffeine" in [c["id"] for c in payload["contributors"]]
    assert all(entry["source_title"] for entry in payload["red_flags"] + payload["contributors"])


def test_stop_ends_the_form_politely() -> None:
    dispatcher = CollectingDispatcher()
    tracker = Tracker("someone", {}, {}, [], False, None, {"name": "check_in_form"}, "check_in_form")
    events = asyncio.run(ActionStopCheckIn().run(dispatcher, tracker, DOMAIN))
    assert ActiveLoop(None) in events and SlotSet("requested_slot", None) in events
    assert dispatcher.messages[0]["response"] == "utter_check_in_stopped"


def test_an_emergency_during_the_check_in_ends_it() -> None:
    latest = {
        "text": "I can't breathe",
        "intent": {"name": "emergency"},
        "intent_ranking": [],
        "entities": [{"entity": "emergency_sign", "value": "breathing_difficulty"}],
    }
    tracker = Tracker("someone", {}, latest, [], False, None, {"name": "check_in_form"}, "check_in_form")
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionEmergency().run(dispatcher, tracker, DOMAIN))
    assert ActiveLoop(None) in events
    assert "911" in dispatcher.messages[0]["text"]


def test_a_turn_without_an_answer_gives_no_events_so_rasa_can_hand_it_to_the_emergency_rule() -> None:
    tracker = form_tracker("checkin_emergency_screen", "trouble breathing", {}, {})
    tracker.events.pop()  # the form extracted nothing: the emergency intent is excluded from its slots
    tracker.slots["checkin_emergency_screen"] = None
    validator = ValidateCheckInForm()
    events = asyncio.run(validator.get_validation_events(CollectingDispatcher(), tracker, DOMAIN))
    assert events == []


def test_a_description_that_opens_the_check_in_fills_what_it_says_and_is_confirmed() -> None:
    from actions.check_in import ActionStartCheckIn

    latest = {
        "text": "my left calf twitches for 3 weeks, no weakness",
        "findings": {"location": ["calf"], "duration_days": 21, "weakness": False},
        "finding_sides": {"calf": "left"},
    }
    tracker = Tracker("someone", {}, latest, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionStartCheckIn().run(dispatcher, tracker, DOMAIN))
    assert slot_values(events)["findings"] == latest["findings"]
    confirmation = rendered(dispatcher.messages[1])["text"]
    assert confirmation.startswith("I understood: left calf, about 3 weeks, no muscle weakness.")


def test_extra_information_in_an_answer_is_kept() -> None:
    events, _ = validate(
        form_tracker("checkin_muscles_and_nerves", "weakness, and I drink 6 coffees a day", {})
    )
    findings = slot_values(events)["findings"]
    assert findings["weakness"] is True and findings["caffeine_cups_per_day"] == 6


def test_a_correction_in_the_middle_updates_what_is_known() -> None:
    events, dispatcher = validate(
        form_tracker("checkin_frequency", "actually it's my right thigh", {"location": ["calf"]})
    )
    assert slot_values(events)["findings"]["location"] == ["thigh"]
    assert dispatcher.messages[0]["text"].startswith("Thanks, noted: thigh")


def test_a_storys_question_of_a_known_kind_has_a_general_answer() -> None:
    from actions.check_in import general_topic_of_question

    story = {"text": "my calf has been jumping for a fortnight. should i be worried?"}
    assert general_topic_of_question(story) == "when_to_see_doctor"
    assert general_topic_of_question({"text": "my calf has twitched for a week, no weakness"}) is None


def test_the_widget_gets_the_same_headings_as_the_message_and_the_other_cards() -> None:
    from actions.check_in import assessment_message, assessment_payload

    assessment = assess({"location": ["calf"], "duration_days": 30, "caffeine_cups_per_day": 5})
    message, sent = assessment_message(assessment), assessment_payload(assessment)
    card, headings = assessment_card(sent), sent["card_headings"]
    for heading in ("why", "what_may_feed_it", "if_worse"):
        assert f"\n\n{headings[heading]}:" in message
    assert card.sources_line.startswith(f"{headings['sources']}: ")
    assert card.not_a_diagnosis == headings["not_a_diagnosis"]
