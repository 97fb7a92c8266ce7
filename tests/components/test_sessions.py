"""When a long conversation may start a new session, and what the new session keeps."""

from __future__ import annotations

from pathlib import Path

from rasa.core.actions.action import ActionSessionStart
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from components.sessions import (
    CONTEXT_ACTIONS,
    SESSION_EVENT_LIMIT,
    carried_over_slots,
    context_actions,
    has_conversation_start_rules,
    should_split,
)

DOMAIN = Domain.load(Path(__file__).resolve().parents[2] / "domain.yml")


def faq_turn(question: str = "is this ALS?") -> list:
    return [
        UserUttered(question, {"name": "faq", "confidence": 0.9}),
        ActionExecuted("action_answer_faq"),
        BotUttered("An answer, with its source."),
        ActionExecuted("action_listen"),
    ]


def conversation(*turns: list, faq_turns: int = 50) -> DialogueStateTracker:
    events = [SessionStarted(), ActionExecuted("action_listen")]
    for _ in range(faq_turns):
        events += faq_turn()
    for turn in turns:
        events += turn
    return DialogueStateTracker.from_events("ana", events, DOMAIN.slots)


def test_a_long_conversation_at_rest_starts_a_new_session() -> None:
    assert len(conversation().events) > SESSION_EVENT_LIMIT
    assert should_split(conversation())


def test_a_short_conversation_keeps_its_session() -> None:
    assert not should_split(conversation(faq_turns=3))


def test_the_check_in_is_never_split() -> None:
    check_in = [
        UserUttered("check my symptoms", {"name": "check_symptoms", "confidence": 1.0}),
        ActionExecuted("action_start_check_in"),
        ActionExecuted("check_in_form"),
        ActiveLoop("check_in_form"),
        SlotSet("requested_slot", "checkin_location"),
        ActionExecuted("action_listen"),
    ]
    assert not should_split(conversation(check_in))


def test_a_waiting_yes_or_no_question_is_never_split() -> None:
    consent_asked = [
        UserUttered("log a twitch in my left calf", {"name": "log_twitch", "confidence": 1.0}),
        ActionExecuted("action_log_twitch"),
        SlotSet("pending_question", "consent"),
        ActionExecuted("action_listen"),
    ]
    assert not should_split(conversation(consent_asked))
    answered = [UserUttered("no", {"name": "deny", "confidence": 1.0}), ActionExecuted("action_deny")]
    answered += [SlotSet("pending_question", None), ActionExecuted("action_listen")]
    assert should_split(conversation(consent_asked, answered))


def test_an_action_a_rule_reads_as_context_is_never_split_from_the_next_message() -> None:
    logged = [
        UserUttered("log a twitch in my left calf", {"name": "log_twitch", "confidence": 1.0}),
        ActionExecuted("action_log_twitch"),
        ActionExecuted("action_listen"),
    ]
    assert "action_log_twitch" in CONTEXT_ACTIONS
    assert not should_split(conversation(logged))
    # A turn that was reverted (the unhandled-message fallback) leaves the context where it was.
    reverted = [
        UserUttered("blorp", {"name": "nlu_fallback", "confidence": 0.2}),
        ActionExecuted("action_core_fallback"),
        UserUtteranceReverted(),
        ActionExecuted("action_listen"),
    ]
    assert not should_split(conversation(logged, reverted))


def test_context_comes_from_the_rules_themselves() -> None:
    rules = [
        {"rule": "a", "steps": [{"intent": "greet"}, {"action": "utter_greet"}]},
        {"rule": "b", "steps": [{"action": "action_log_twitch"}, {"intent": "inform"}, {"action": "x"}]},
    ]
    assert context_actions(rules) == {"action_log_twitch"}
    assert not has_conversation_start_rules(rules)
    assert has_conversation_start_rules([{"rule": "c", "conversation_start": True, "steps": []}])


def test_the_new_session_keeps_each_slot_value_once() -> None:
    tracker = conversation(
        [SlotSet("pending_question", "consent"), SlotSet("pending_question", None)],
        [SlotSet("checkin_location", "left calf"), SlotSet("checkin_location", "right thigh")],
    )
    carried = carried_over_slots(tracker)
    assert [(e.key, e.value) for e in carried] == [("checkin_location", "right thigh")]
    assert ActionSessionStart._slot_set_events_from_tracker(tracker) == carried
