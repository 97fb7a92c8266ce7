"""When a long conversation may start a new session (what the new session keeps:
tests/actions/test_session.py)."""

from __future__ import annotations

from pathlib import Path

from rasa.core.processor import MessageProcessor
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

import components  # noqa: F401  (applies the changes, as loading our model does)
from components.rasa_layer.sessions import (
    CONTEXT_ACTIONS,
    SESSION_EVENT_LIMIT,
    context_actions,
    has_conversation_start_rules,
    has_session_expired,
    rasa_has_session_expired,
    should_split,
)

DOMAIN = Domain.load(Path(__file__).resolve().parents[3] / "domain.yml")


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


class Processor:
    """What Rasa's _has_session_expired reads of a MessageProcessor: the domain's session settings."""

    domain = DOMAIN


def test_rasa_asks_ours_whether_a_session_has_ended() -> None:
    assert MessageProcessor._has_session_expired is has_session_expired


def test_a_session_ends_whenever_rasa_would_end_it_and_when_long_at_rest() -> None:
    idle = conversation(faq_turns=3)
    for event in idle.events:
        event.timestamp -= 2 * 60 * 60  # two hours ago: longer than the domain's session_expiration_time
    # Short and idle, recent and long, short and recent, each as Rasa decides or Rasa's plus the split.
    for tracker in (idle, conversation(), conversation(faq_turns=3)):
        rasas = rasa_has_session_expired(Processor(), tracker)  # type: ignore[arg-type]
        assert has_session_expired(Processor(), tracker) == (rasas or should_split(tracker))  # type: ignore[arg-type]
    assert rasa_has_session_expired(Processor(), idle)  # type: ignore[arg-type]
    assert not rasa_has_session_expired(Processor(), conversation())  # type: ignore[arg-type]
